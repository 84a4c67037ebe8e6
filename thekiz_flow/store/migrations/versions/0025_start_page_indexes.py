"""indexes for the start page's counts: the planned activities of the next days of any kind
and the centres per stage whose next step is allowed, each counted from its index alone; the
trainings by date (the coming ones); the coaches by lower-case name (a page of the coach
list or the coach search, a short range of the index)

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_activities_status_date"), "activities", ["status", "date"])
    op.create_index(op.f("ix_centres_stage_next_step_on"), "centres", ["stage", "next_step_on"])
    op.create_index(op.f("ix_trainings_date"), "trainings", ["date"])
    op.create_index("ix_coaches_lower_name", "coaches", [sa.text("lower(name)"), "id"])


def downgrade() -> None:
    op.drop_index("ix_coaches_lower_name", table_name="coaches")
    op.drop_index(op.f("ix_trainings_date"), table_name="trainings")
    op.drop_index(op.f("ix_centres_stage_next_step_on"), table_name="centres")
    op.drop_index(op.f("ix_activities_status_date"), table_name="activities")
