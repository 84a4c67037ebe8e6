"""centres.episode_start and next_step_on: what a tick looks up by date

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.add_column(sa.Column("episode_start", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("next_step_on", sa.Date(), nullable=True))
    op.create_index(op.f("ix_centres_episode_start"), "centres", ["episode_start"])
    op.create_index(op.f("ix_centres_next_step_on"), "centres", ["next_step_on"])
    op.create_index(op.f("ix_stage_changes_effective"), "stage_changes", ["effective"])
    # Filled by the next tick: the planning rules' fingerprint no longer matches.
    op.execute("UPDATE centres SET plan_stamp = NULL")


def downgrade() -> None:
    op.drop_index(op.f("ix_stage_changes_effective"), table_name="stage_changes")
    op.drop_index(op.f("ix_centres_next_step_on"), table_name="centres")
    op.drop_index(op.f("ix_centres_episode_start"), table_name="centres")
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.drop_column("next_step_on")
        batch_op.drop_column("episode_start")
