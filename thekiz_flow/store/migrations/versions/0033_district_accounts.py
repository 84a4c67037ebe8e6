"""the districts' accounts of a year kept on write: each centre's figures of the year
(``district_accounts``), each district's totals (``district_totals``), what each year was
figured for (``account_years``), and the centres whose figures are stale (``account_stale``),
marked by triggers on every write that can change them: a held coaching session written,
changed or deleted, a stage change written, a correction of a centre's record (a stage change
reverted, or such a correction deleted), a centre registered, deleted, renamed or moved to
another district

A later migration that rebuilds one of these tables on SQLite (a batch operation) drops its
triggers with it and must create them again; `tests/test_district_accounts_kept.py` checks
that each kind of write is still marked.

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

HELD_NEW = "NEW.kind = 'coaching' AND NEW.status = 'held'"
HELD_OLD = "OLD.kind = 'coaching' AND OLD.status = 'held'"
# name, event, table, condition (None: always), the centres marked
TRIGGERS = (
    ("account_mark_activity_insert", "INSERT", "activities", HELD_NEW, ("NEW.centre_id",)),
    (
        "account_mark_activity_update",
        "UPDATE OF kind, status, date, hours, rate, centre_id",
        "activities",
        f"({HELD_NEW}) OR ({HELD_OLD})",
        ("OLD.centre_id", "NEW.centre_id"),
    ),
    ("account_mark_activity_delete", "DELETE", "activities", HELD_OLD, ("OLD.centre_id",)),
    ("account_mark_change_insert", "INSERT", "stage_changes", None, ("NEW.centre_id",)),
    (
        "account_mark_change_update",
        "UPDATE OF centre_id, from_stage, to_stage, effective",
        "stage_changes",
        None,
        ("OLD.centre_id", "NEW.centre_id"),
    ),
    ("account_mark_change_delete", "DELETE", "stage_changes", None, ("OLD.centre_id",)),
    (
        "account_mark_correction",
        "INSERT",
        "corrections",
        "NEW.centre_id IS NOT NULL",
        ("NEW.centre_id",),
    ),
    (
        "account_mark_correction_delete",
        "DELETE",
        "corrections",
        "OLD.centre_id IS NOT NULL",
        ("OLD.centre_id",),
    ),
    ("account_mark_centre_insert", "INSERT", "centres", None, ("NEW.id",)),
    (
        "account_mark_centre_update",
        "UPDATE OF name, district, stage_since, registered",
        "centres",
        None,
        ("NEW.id",),
    ),
    ("account_mark_centre_delete", "DELETE", "centres", None, ("OLD.id",)),
)
MARK = "INSERT INTO account_stale (centre_id) VALUES ({centre});"
PG_FUNCTIONS = {  # PostgreSQL's triggers call a function, one for each set of marks
    ("NEW.centre_id",): "account_mark_new",
    ("OLD.centre_id",): "account_mark_old",
    ("OLD.centre_id", "NEW.centre_id"): "account_mark_both",
    ("NEW.id",): "account_mark_centre_new",
    ("OLD.id",): "account_mark_centre_old",
}
MONEY = ("sessions", "hours", "cost")
SUMS = ("hours", "cost", "budget", "rest")  # a district's: more than 32 bits


def upgrade() -> None:
    op.create_table(
        "district_accounts",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("stage_start", sa.String(length=40), nullable=False),
        sa.Column("stage_end", sa.String(length=40), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in MONEY),
        sa.Column("budget", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("year", "centre_id", name=op.f("pk_district_accounts")),
    )
    op.create_index(
        op.f("ix_district_accounts_year_district_name_centre_id"),
        "district_accounts",
        ["year", "district", "name", "centre_id"],
    )
    op.create_table(
        "district_totals",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("centres", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint("year", "district", name=op.f("pk_district_totals")),
    )
    op.create_table(
        "account_years",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(length=80), nullable=False),
        sa.Column("figured_upto", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_account_years")),
    )
    op.create_table(
        "account_stale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_stale")),
        sqlite_autoincrement=True,
    )
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
    op.drop_table("account_stale")
    op.drop_table("account_years")
    op.drop_table("district_totals")
    op.drop_index(
        op.f("ix_district_accounts_year_district_name_centre_id"), table_name="district_accounts"
    )
    op.drop_table("district_accounts")
