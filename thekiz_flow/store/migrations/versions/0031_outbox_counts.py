"""the messages per status kept on write: the counts as of the last fold
(``outbox_counts``) and every change since (``outbox_count_changes``, +1 and -1 rows that
triggers on outbox append), so that the outbox page and /metrics read a few rows instead of
counting every message (millions, once the years' sent mails add up).

The triggers only append: no writer waits for another's counter, and a dispatcher's claim
and its marking as sent append a row each per message and status. A fold (the tick) adds
the changes up into the counts and deletes them. A later migration that rebuilds outbox on
SQLite (a batch operation) drops its triggers with it and must create them again;
`tests/test_outbox_counts.py` checks that the head has them.

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

CHANGED = "OLD.status IS NOT NEW.status"
# name, event, condition (None: always), the (status, change) rows appended
TRIGGERS = (
    ("outbox_count_insert", "INSERT", None, (("NEW", 1),)),
    ("outbox_count_update", "UPDATE OF status", CHANGED, (("OLD", -1), ("NEW", 1))),
    ("outbox_count_delete", "DELETE", None, (("OLD", -1),)),
)
APPEND = "INSERT INTO outbox_count_changes (status, delta) VALUES ({row}.status, {delta});"


def _appends(rows: tuple[tuple[str, int], ...]) -> str:
    return " ".join(APPEND.format(row=row, delta=delta) for row, delta in rows)


def upgrade() -> None:
    op.create_table(
        "outbox_counts",
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("status", name=op.f("pk_outbox_counts")),
    )
    op.create_table(
        "outbox_count_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_count_changes")),
    )
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # no message changes between the count and the triggers
        op.execute("LOCK TABLE outbox IN SHARE MODE")
    op.execute(
        "INSERT INTO outbox_counts (status, messages) "
        "SELECT status, count(*) FROM outbox GROUP BY status"
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
                f"CREATE TRIGGER {name} AFTER {event} ON outbox FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"
            )
        else:
            when = "" if condition is None else f" WHEN {condition}"
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON outbox FOR EACH ROW{when} "
                f"BEGIN {_appends(rows)} END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, _, _ in TRIGGERS:
        if postgresql:
            op.execute(f"DROP TRIGGER {name} ON outbox")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("outbox_count_changes")
    op.drop_table("outbox_counts")
