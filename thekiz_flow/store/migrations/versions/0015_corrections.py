"""corrections: the audit trail of every correction, cancellation as a mistake and edit of
what was recorded (who, when, the changed fields before and after, why)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_corrections_centre_id_centres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index(op.f("ix_corrections_centre_id_id"), "corrections", ["centre_id", "id"])
    op.create_index(
        op.f("ix_corrections_subject_subject_id"), "corrections", ["subject", "subject_id"]
    )
    op.create_index(op.f("ix_corrections_recorded_at"), "corrections", ["recorded_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_corrections_recorded_at"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_subject_subject_id"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_centre_id_id"), table_name="corrections")
    op.drop_table("corrections")
