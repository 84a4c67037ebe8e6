"""planning: activities, closures, trainings

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainings")),
        sa.UniqueConstraint("kind", "title", "date", name=op.f("uq_trainings_kind_title_date")),
    )
    op.create_table(
        "closures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("first", sa.Date(), nullable=False),
        sa.Column("last", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"], ["centres.id"], name=op.f("fk_closures_centre_id_centres")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
    )
    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closures_centre_id"), ["centre_id"], unique=False)

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate", sa.Numeric(precision=8, scale=2), nullable=True))
        batch_op.add_column(sa.Column("training_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("moved", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_activities_coach_id_date"), ["coach_id", "date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activities_date"), ["date"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_activities_training_id_status"), ["training_id", "status"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_training_id_trainings"), "trainings", ["training_id"], ["id"]
        )

    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weekday", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("plan_stamp", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("centres", schema=None) as batch_op:
        batch_op.drop_column("plan_stamp")
        batch_op.drop_column("weekday")

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_activities_training_id_trainings"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_activities_training_id_status"))
        batch_op.drop_index(batch_op.f("ix_activities_date"))
        batch_op.drop_index(batch_op.f("ix_activities_coach_id_date"))
        batch_op.drop_column("moved")
        batch_op.drop_column("reason")
        batch_op.drop_column("training_id")
        batch_op.drop_column("rate")

    with op.batch_alter_table("closures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closures_centre_id"))

    op.drop_table("closures")
    op.drop_table("trainings")
