"""the centres per stage and district kept on write: the counts as of the last fold
(``centre_counts``) and every change since (``centre_count_changes``, +1 and -1 rows that
triggers on centres append), so that the start page's table reads a few rows instead of
counting every centre; the index by stage and district, kept for that count alone, goes

The triggers only append: no writer waits for another's counter. A fold (the tick)
adds the changes up into the counts and deletes them. A later migration that rebuilds
centres on SQLite (a batch operation) drops its triggers with it and must create them
again; `tests/test_centre_counts.py` checks that the head has them.

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

CHANGED = "OLD.stage IS NOT NEW.stage OR OLD.district IS NOT NEW.district"
# name, event, condition (None: always), the (stage and district, change) rows appended
TRIGGERS = (
    ("centre_count_insert", "INSERT", None, (("NEW", 1),)),
    ("centre_count_update", "UPDATE OF stage, district", CHANGED, (("OLD", -1), ("NEW", 1))),
    ("centre_count_delete", "DELETE", None, (("OLD", -1),)),
)
APPEND = (
    "INSERT INTO centre_count_changes (stage, district, delta) "
    "VALUES ({row}.stage, {row}.district, {delta});"
)


def _appends(rows: tuple[tuple[str, int], ...]) -> str:
    return " ".join(APPEND.format(row=row, delta=delta) for row, delta in rows)


def upgrade() -> None:
    op.create_table(
        "centre_counts",
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("centres", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stage", "district", name=op.f("pk_centre_counts")),
    )
    op.create_table(
        "centre_count_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("district", sa.String(length=60), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_centre_count_changes")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # no centre changes between the count and the triggers
        op.execute("LOCK TABLE centres IN SHARE MODE")
    op.execute(
        "INSERT INTO centre_counts (stage, district, centres) "
        "SELECT stage, district, count(*) FROM centres GROUP BY stage, district"
    )
    for name, event, condition, rows in TRIGGERS:
        if postgresql:
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN {_appends(rows)} RETURN NULL; END $$"
            )
            when = (
                ""
                if condition is None
                else " WHEN ({})".format(condition.replace("IS NOT", "IS DISTINCT FROM"))
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON centres FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"
            )
        else:
            when = "" if condition is None else f" WHEN {condition}"
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON centres FOR EACH ROW{when} "
                f"BEGIN {_appends(rows)} END"
            )
    op.drop_index(op.f("ix_centres_stage_district"), table_name="centres")


def downgrade() -> None:
    op.create_index(op.f("ix_centres_stage_district"), "centres", ["stage", "district"])
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, _, _ in TRIGGERS:
        if postgresql:
            op.execute(f"DROP TRIGGER {name} ON centres")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("centre_count_changes")
    op.drop_table("centre_counts")
