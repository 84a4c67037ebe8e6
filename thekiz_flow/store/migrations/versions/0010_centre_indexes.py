"""centres indexes for a tick's lookups: by stage and the day the current stay began (the
training deadlines), replacing the one by that day alone; and by plan stamp (the centres
not yet planned with the current rules)

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_centres_stage_episode_start"), "centres", ["stage", "episode_start"])
    op.drop_index(op.f("ix_centres_episode_start"), table_name="centres")
    op.create_index(op.f("ix_centres_plan_stamp"), "centres", ["plan_stamp"])


def downgrade() -> None:
    op.drop_index(op.f("ix_centres_plan_stamp"), table_name="centres")
    op.create_index(op.f("ix_centres_episode_start"), "centres", ["episode_start"])
    op.drop_index(op.f("ix_centres_stage_episode_start"), table_name="centres")
