"""two indexes for the reminders of a large programme (their preview and the tick):

- the trainings by kind and date: the next offerings of a kind with a free seat (what a
  training deadline's reminder proposes) are read from the first coming one on, in date
  order, not from every offering of the kind ever made;
- the stage changes by stage and day, with their centre: the changes of some days to a
  stage (a renewal's) are read in order and counted, each looked up as withdrawn or still
  in force, from the index alone.

Revision ID: 0029
Revises: 0028
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

CHANGES = ["to_stage", "effective", "id", "centre_id"]
CHANGES_INDEX = "ix_stage_changes_to_stage_effective_id_centre_id"


def upgrade() -> None:
    op.create_index(op.f("ix_trainings_kind_date"), "trainings", ["kind", "date"])
    op.create_index(op.f(CHANGES_INDEX), "stage_changes", CHANGES)


def downgrade() -> None:
    op.drop_index(op.f(CHANGES_INDEX), table_name="stage_changes")
    op.drop_index(op.f("ix_trainings_kind_date"), table_name="trainings")
