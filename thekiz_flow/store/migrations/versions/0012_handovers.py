"""handovers: the activities a coach handed over when their centre got another coach (or
none), so that coach's calendar feed shows them as cancelled

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_handovers_activity_id_activities")
        ),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["coaches.id"], name=op.f("fk_handovers_coach_id_coaches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handovers")),
        sa.UniqueConstraint(
            "activity_id", "coach_id", name=op.f("uq_handovers_activity_id_coach_id")
        ),
    )
    op.create_index(
        op.f("ix_handovers_coach_id_recorded_at"), "handovers", ["coach_id", "recorded_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_handovers_coach_id_recorded_at"), table_name="handovers")
    op.drop_table("handovers")
