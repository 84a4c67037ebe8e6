"""calendar_feeds: each coach's private calendar link (a SHA-256 of its token, never the token);
activities.revision: how often an activity was changed (the feed's SEQUENCE);
an index on outbox (status, id): the outbox page lists a status's newest first

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["coaches.id"], name=op.f("fk_calendar_feeds_coach_id_coaches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("coach_id", name=op.f("uq_calendar_feeds_coach_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    op.create_index(op.f("ix_outbox_status_id"), "outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_status_id"), table_name="outbox")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("revision")
    op.drop_table("calendar_feeds")
