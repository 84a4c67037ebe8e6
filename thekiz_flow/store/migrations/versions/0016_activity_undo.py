"""activity undo log: activities.created_at and each activity's state before every change,
so that the activities can be read as they were recorded at any moment

Existing activities keep created_at empty: they are taken to have always existed.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_at", UTCDateTime(), nullable=True))
    op.create_table(
        "activity_undo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hours", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("coach_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("rate", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("training_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("moved", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_undo")),
    )
    op.create_index(
        op.f("ix_activity_undo_activity_id_changed_at"),
        "activity_undo",
        ["activity_id", "changed_at"],
    )
    op.create_index(op.f("ix_activity_undo_changed_at"), "activity_undo", ["changed_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_undo_changed_at"), table_name="activity_undo")
    op.drop_index(op.f("ix_activity_undo_activity_id_changed_at"), table_name="activity_undo")
    op.drop_table("activity_undo")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_column("created_at")
