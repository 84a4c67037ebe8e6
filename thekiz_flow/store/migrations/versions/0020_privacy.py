"""privacy: who exported or erased whose data (the person by number only)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_events")),
    )
    op.create_index(op.f("ix_privacy_events_at"), "privacy_events", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_privacy_events_at"), table_name="privacy_events")
    op.drop_table("privacy_events")
