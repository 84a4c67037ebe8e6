"""activities indexes shaped like a tick's queries: by kind and centre (then status and
date), by kind, status and date (the due days), by kind, status and recorded_at (what was
just recorded); they replace (kind, status, centre_id) and (recorded_at)

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_activities_kind_centre_id_status_date"),
        "activities",
        ["kind", "centre_id", "status", "date"],
    )
    op.create_index(
        op.f("ix_activities_kind_status_date"), "activities", ["kind", "status", "date"]
    )
    op.create_index(
        op.f("ix_activities_kind_status_recorded_at"),
        "activities",
        ["kind", "status", "recorded_at"],
    )
    op.drop_index(op.f("ix_activities_kind_status_centre_id"), table_name="activities")
    op.drop_index(op.f("ix_activities_recorded_at"), table_name="activities")


def downgrade() -> None:
    op.create_index(op.f("ix_activities_recorded_at"), "activities", ["recorded_at"])
    op.create_index(
        op.f("ix_activities_kind_status_centre_id"), "activities", ["kind", "status", "centre_id"]
    )
    op.drop_index(op.f("ix_activities_kind_status_recorded_at"), table_name="activities")
    op.drop_index(op.f("ix_activities_kind_status_date"), table_name="activities")
    op.drop_index(op.f("ix_activities_kind_centre_id_status_date"), table_name="activities")
