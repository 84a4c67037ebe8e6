"""indexes for the privacy pages and retention: a person's mails and their attempts by
address in lower case (their data, its erasure, a withdrawn centre's erasure by the daily
retention), an account's stage changes by its address in lower case, a coach's calendar
invitations, the centres by the day the programme first knew them (the digests' first
year); and the mails still holding their texts by status and when they settled
(what retention empties next, and the privacy page's count of it), a partial index of the
few mails still holding them

Revision ID: 0032
Revises: 0031
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

HELD = (
    "body_text != '' OR body_html != '' OR attachments != '' OR calendar IS NOT NULL"
    " OR context IS NOT NULL"
)


def upgrade() -> None:
    op.create_index("ix_outbox_lower_recipient", "outbox", [sa.text("lower(recipient)")])
    op.create_index(
        "ix_outbox_attempts_lower_recipient", "outbox_attempts", [sa.text("lower(recipient)")]
    )
    op.create_index("ix_stage_changes_lower_actor", "stage_changes", [sa.text("lower(actor)")])
    op.create_index(op.f("ix_invitations_coach_id"), "invitations", ["coach_id"])
    op.create_index(op.f("ix_centres_registered"), "centres", ["registered"])
    held = sa.text(HELD)
    op.create_index(
        "ix_outbox_held",
        "outbox",
        ["status", sa.text("coalesce(sent_at, created_at)")],
        sqlite_where=held,
        postgresql_where=held,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_held", table_name="outbox")
    op.drop_index(op.f("ix_centres_registered"), table_name="centres")
    op.drop_index(op.f("ix_invitations_coach_id"), table_name="invitations")
    op.drop_index("ix_stage_changes_lower_actor", table_name="stage_changes")
    op.drop_index("ix_outbox_attempts_lower_recipient", table_name="outbox_attempts")
    op.drop_index("ix_outbox_lower_recipient", table_name="outbox")
