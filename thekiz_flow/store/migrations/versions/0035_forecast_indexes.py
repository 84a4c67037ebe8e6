"""the forecast's reads from indexes alone: the stage changes counted by from and to stage
(the programme years renewed and left), and the coaching hours held in a stage (coaching on
request), without reading every change or every session held in the year

Revision ID: 0035
Revises: 0034
"""

from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_stage_changes_from_stage_to_stage_effective",
        "stage_changes",
        ["from_stage", "to_stage", "effective"],
    )
    op.create_index(
        "ix_activities_kind_status_stage_date_hours",
        "activities",
        ["kind", "status", "stage", "date", "hours"],
    )


def downgrade() -> None:
    op.drop_index("ix_activities_kind_status_stage_date_hours", table_name="activities")
    op.drop_index("ix_stage_changes_from_stage_to_stage_effective", table_name="stage_changes")
