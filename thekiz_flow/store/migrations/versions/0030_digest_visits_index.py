"""an index of the activities by kind, status, centre and stage, with their date: the
digest's held site visits (the last of each centre in each stage, over every year) are
read from the index alone, in the order of its centres and stages, not from the rows of
ten years.

Revision ID: 0030
Revises: 0029
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

NAME = "ix_activities_kind_status_centre_id_stage_date"


def upgrade() -> None:
    op.create_index(op.f(NAME), "activities", ["kind", "status", "centre_id", "stage", "date"])


def downgrade() -> None:
    op.drop_index(op.f(NAME), table_name="activities")
