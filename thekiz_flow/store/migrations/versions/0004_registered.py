"""centres.registered: since when the programme knows a centre (for the yearly digest)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registered", sa.Date(), nullable=True))
    day = (
        "substr(created_at, 1, 10)"
        if op.get_bind().dialect.name == "sqlite"
        else ("created_at::date")
    )
    # The earliest date known of each centre: its creation or its first stage change.
    op.execute(
        f"UPDATE centres SET registered = (SELECT min(d) FROM (SELECT {day} AS d "
        "UNION ALL SELECT min(effective) FROM stage_changes "
        "WHERE stage_changes.centre_id = centres.id) AS known)"
    )
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.alter_column("registered", existing_type=sa.Date(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.drop_column("registered")
