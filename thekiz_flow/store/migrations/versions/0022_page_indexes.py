"""indexes for what pages and ticks read: centres by coach (a coach's centres, their count,
the site visits of a coach's calendar feed), and by lower-case name alone and after the
district (the centre list's orders, each page a short range of an index); a coach's
activities of a kind and status by date (the coach's start page and lists)

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_activities_coach_id_kind_status_date"),
        "activities",
        ["coach_id", "kind", "status", "date"],
    )
    op.create_index(op.f("ix_centres_coach_id"), "centres", ["coach_id"])
    op.create_index("ix_centres_lower_name", "centres", [sa.text("lower(name)"), "id"])
    op.create_index(
        "ix_centres_district_lower_name", "centres", ["district", sa.text("lower(name)"), "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_centres_district_lower_name", table_name="centres")
    op.drop_index("ix_centres_lower_name", table_name="centres")
    op.drop_index(op.f("ix_centres_coach_id"), table_name="centres")
    op.drop_index(op.f("ix_activities_coach_id_kind_status_date"), table_name="activities")
