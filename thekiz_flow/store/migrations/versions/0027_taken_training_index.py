"""the index of a kind of some centres' activities by status and date carries the training
too: whether a centre has taken a kind of training up (the reminder of a training deadline,
its preview) is read from the index alone, not from each enrolment's row

Revision ID: 0027
Revises: 0026
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

BEFORE = ["kind", "centre_id", "status", "date"]


def upgrade() -> None:
    op.create_index(
        op.f("ix_activities_kind_centre_id_status_date_training_id"),
        "activities",
        [*BEFORE, "training_id"],
    )
    op.drop_index(op.f("ix_activities_kind_centre_id_status_date"), table_name="activities")


def downgrade() -> None:
    op.create_index(op.f("ix_activities_kind_centre_id_status_date"), "activities", BEFORE)
    op.drop_index(
        op.f("ix_activities_kind_centre_id_status_date_training_id"), table_name="activities"
    )
