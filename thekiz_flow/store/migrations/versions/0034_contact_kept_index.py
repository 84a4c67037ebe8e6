"""the centres whose contact address is not erased yet, by stage and since when: a partial
index, so that the privacy page's preview of retention (and the retention) finds the few
centres that left and still hold an address among the thousands that left, without reading
each of them

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

CONTACT_KEPT = "email NOT LIKE '%@geloescht.invalid'"


def upgrade() -> None:
    kept = sa.text(CONTACT_KEPT)
    op.create_index(
        "ix_centres_contact_kept",
        "centres",
        ["stage", "stage_since"],
        sqlite_where=kept,
        postgresql_where=kept,
    )


def downgrade() -> None:
    op.drop_index("ix_centres_contact_kept", table_name="centres")
