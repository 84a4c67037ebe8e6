"""an index on activities.recorded_at: the budget reminders look up what was just recorded

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_activities_recorded_at"), "activities", ["recorded_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_activities_recorded_at"), table_name="activities")
