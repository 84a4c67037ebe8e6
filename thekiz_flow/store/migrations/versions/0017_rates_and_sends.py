"""coach rates over time and the digests sent: a coach's hourly rates, each in force from
its day on; a year's digest sent to the ministry with the moment it was recorded as of

Each coach gets the rate they have as the first of their history, in force since always;
each digest in the outbox counts as sent as recorded when it was put there.

Revision ID: 0017
Revises: 0016
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

from thekiz_flow.store.tables import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["coach_id"], ["coaches.id"], name=op.f("fk_coach_rates_coach_id_coaches")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_rates")),
    )
    op.create_index(
        op.f("ix_coach_rates_coach_id_valid_from"), "coach_rates", ["coach_id", "valid_from"]
    )
    op.create_table(
        "digest_sends",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("as_recorded_at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_digest_sends")),
    )
    coaches = sa.table(
        "coaches",
        sa.column("id", sa.Integer()),
        sa.column("rate", sa.Numeric(8, 2)),
        sa.column("created_at", UTCDateTime()),
    )
    rates = sa.table(
        "coach_rates",
        sa.column("coach_id", sa.Integer()),
        sa.column("rate", sa.Numeric(8, 2)),
        sa.column("valid_from", sa.Date()),
        sa.column("recorded_at", UTCDateTime()),
        sa.column("actor", sa.String()),
    )
    bind = op.get_bind()
    rows = [
        {
            "coach_id": ident,
            "rate": rate,
            "valid_from": date(2000, 1, 1),  # since always
            "recorded_at": created,
            "actor": "Übernahme",
        }
        for ident, rate, created in bind.execute(
            sa.select(coaches.c.id, coaches.c.rate, coaches.c.created_at)
        )
    ]
    if rows:
        op.bulk_insert(rates, rows)
    _sends_so_far(bind)


def _sends_so_far(bind: sa.Connection) -> None:
    """The digests already in the outbox: sent as recorded when they were put there."""
    outbox = sa.table(
        "outbox",
        sa.column("key", sa.String()),
        sa.column("rule", sa.String()),
        sa.column("created_at", UTCDateTime()),
    )
    sends = sa.table(
        "digest_sends",
        sa.column("year", sa.Integer()),
        sa.column("as_recorded_at", UTCDateTime()),
        sa.column("actor", sa.String()),
    )
    stmt = sa.select(outbox.c.key, outbox.c.created_at).where(outbox.c.rule == "digest")
    rows = [
        {"year": int(key.split(":")[1]), "as_recorded_at": created, "actor": "Übernahme"}
        for key, created in bind.execute(stmt)
        if key.split(":")[-1].isdigit()
    ]
    if rows:
        op.bulk_insert(sends, rows)


def downgrade() -> None:
    op.drop_table("digest_sends")
    op.drop_index(op.f("ix_coach_rates_coach_id_valid_from"), table_name="coach_rates")
    op.drop_table("coach_rates")
