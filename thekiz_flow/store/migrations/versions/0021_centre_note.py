"""a stage change's note for the centre: the words the office chose to send to the centre
with the change, beside the reason, which stays internal

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stage_changes") as batch:
        batch.add_column(sa.Column("centre_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stage_changes") as batch:
        batch.drop_column("centre_note")
