"""an index of the centres by stage and district: the start page's table of the centres per
stage and district counts them from the index alone

Revision ID: 0023
Revises: 0022
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_centres_stage_district"), "centres", ["stage", "district"])


def downgrade() -> None:
    op.drop_index(op.f("ix_centres_stage_district"), table_name="centres")
