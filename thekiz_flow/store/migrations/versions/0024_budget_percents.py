"""the year's budget percents kept on write: each centre's share of its year's budget spent
(``budget_percents``), the rules and year they were figured for (``budget_state``), and the
centres whose figure is stale (``budget_stale``), marked by triggers on every write that can
change it: a held coaching session written, changed or deleted, a stage change, a correction
of a centre's record, a centre's stage set

A later migration that rebuilds one of these tables on SQLite (a batch operation) drops its
triggers with it and must create them again; `tests/test_budget_warnings_fast_path.py` checks
that each kind of write is still marked.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

HELD_NEW = "NEW.kind = 'coaching' AND NEW.status = 'held'"
HELD_OLD = "OLD.kind = 'coaching' AND OLD.status = 'held'"
# name, event, table, condition (None: always), the centres marked
TRIGGERS = (
    ("budget_mark_activity_insert", "INSERT", "activities", HELD_NEW, ("NEW.centre_id",)),
    (
        "budget_mark_activity_update",
        "UPDATE OF kind, status, date, hours, rate, centre_id",
        "activities",
        f"({HELD_NEW}) OR ({HELD_OLD})",
        ("OLD.centre_id", "NEW.centre_id"),
    ),
    ("budget_mark_activity_delete", "DELETE", "activities", HELD_OLD, ("OLD.centre_id",)),
    ("budget_mark_change_insert", "INSERT", "stage_changes", None, ("NEW.centre_id",)),
    (
        "budget_mark_change_update",
        "UPDATE OF centre_id, from_stage, to_stage, effective",
        "stage_changes",
        None,
        ("OLD.centre_id", "NEW.centre_id"),
    ),
    ("budget_mark_change_delete", "DELETE", "stage_changes", None, ("OLD.centre_id",)),
    (
        "budget_mark_correction",
        "INSERT",
        "corrections",
        "NEW.centre_id IS NOT NULL",
        ("NEW.centre_id",),
    ),
    ("budget_mark_centre_stage", "UPDATE OF stage", "centres", None, ("NEW.id",)),
)
MARK = "INSERT INTO budget_stale (centre_id) VALUES ({centre});"
PG_FUNCTIONS = {  # PostgreSQL's triggers call a function, one for each set of marks
    ("NEW.centre_id",): "budget_mark_new",
    ("OLD.centre_id",): "budget_mark_old",
    ("OLD.centre_id", "NEW.centre_id"): "budget_mark_both",
    ("NEW.id",): "budget_mark_centre",
}


def upgrade() -> None:
    op.create_table(
        "budget_percents",
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("centre_id", name=op.f("pk_budget_percents")),
    )
    op.create_index(
        "ix_budget_percents_percent_desc", "budget_percents", [sa.text("percent DESC"), "centre_id"]
    )
    op.create_table(
        "budget_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_stale")),
    )
    op.create_table(
        "budget_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_state")),
    )
    op.execute("INSERT INTO budget_state (id, rules) VALUES (1, '')")  # nothing figured yet
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for name, event, table, condition, rows in TRIGGERS:
        when = "" if condition is None else f" WHEN {condition}"
        marks = " ".join(MARK.format(centre=centre) for centre in rows)
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {marks} END"
        )


def _postgresql_triggers() -> None:
    for rows, function in PG_FUNCTIONS.items():
        marks = " ".join(MARK.format(centre=centre) for centre in rows)
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {marks} RETURN NULL; END $$"
        )
    for name, event, table, condition, rows in TRIGGERS:
        when = "" if condition is None else f" WHEN ({condition})"
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION {PG_FUNCTIONS[rows]}()"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        for function in PG_FUNCTIONS.values():
            op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("budget_state")
    op.drop_table("budget_stale")
    op.drop_index("ix_budget_percents_percent_desc", table_name="budget_percents")
    op.drop_table("budget_percents")
