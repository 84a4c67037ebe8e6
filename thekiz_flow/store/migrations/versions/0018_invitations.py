"""calendar invitations: the last invitation each coach was sent for a session, and the
iCalendar content an outbox message carries

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("activity_id", "coach_id", name=op.f("pk_invitations")),
    )
    op.create_index(
        op.f("ix_invitations_cancelled_activity_id"), "invitations", ["cancelled", "activity_id"]
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("calendar", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("calendar")
    op.drop_index(op.f("ix_invitations_cancelled_activity_id"), table_name="invitations")
    op.drop_table("invitations")
