"""the coaching sessions whose calendar invitations may owe something, marked on write: a
coaching session written (``invitation_marks``, by triggers), and the days of the
invitations' window the last tick looked at (``invitation_state``), so that a tick reads the
sessions written since and those that came into the window, not every planned session

A later migration that rebuilds activities on SQLite (a batch operation) drops its triggers
with it and must create them again; `tests/test_invitation_marks.py` checks that the head has
both.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

COACHING = "NEW.kind = 'coaching'"
# what an invitation follows: the session's kind, status, day and coach
CHANGED = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("kind", "status", "date", "coach_id"))
TRIGGERS = (  # name, event, condition
    ("invitation_mark_insert", "INSERT", COACHING),
    (
        "invitation_mark_update",
        "UPDATE OF kind, status, date, coach_id",
        f"(NEW.kind = 'coaching' OR OLD.kind = 'coaching') AND ({CHANGED})",
    ),
)
MARK = "INSERT INTO invitation_marks (activity_id) VALUES (NEW.id);"


def upgrade() -> None:
    op.create_table(
        "invitation_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_marks")),
    )
    op.create_table(
        "invitation_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("since", sa.Date(), nullable=True),
        sa.Column("through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_state")),
    )
    # never looked at: the first tick reads every planned session, as before this revision
    op.execute("INSERT INTO invitation_state (id, since, through) VALUES (1, NULL, NULL)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION invitation_mark() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {MARK} RETURN NULL; END $$"
        )
        for name, event, condition in TRIGGERS:
            when = condition.replace("IS NOT", "IS DISTINCT FROM")
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON activities FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION invitation_mark()"
            )
    else:
        for name, event, condition in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON activities FOR EACH ROW "
                f"WHEN {condition} BEGIN {MARK} END"
            )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}" + (" ON activities" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION invitation_mark()")
    op.drop_table("invitation_state")
    op.drop_table("invitation_marks")
