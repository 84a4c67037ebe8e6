"""The migrations: `init` makes the schema of store/tables.py, and upgrades a database that
already holds data from the first schema to the newest."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from thekiz_flow.core.errors import NotInitialised
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    require_current,
    upgrade,
)
from thekiz_flow.store.operations import restore_sqlite
from thekiz_flow.store.tables import metadata


def test_init_is_idempotent_and_matches_the_tables(engine: Engine) -> None:
    assert upgrade(engine) == (head_revision(), head_revision())
    with engine.connect() as connection:
        assert current_revision(connection) == head_revision()
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


@pytest.fixture
def old_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
    yield engine
    engine.dispose()


def test_a_populated_first_schema_upgrades_to_head(old_engine: Engine) -> None:
    with old_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO coaches (id, name, email, rate, created_at) "
                "VALUES (1, 'P', 'p@example.org', 60, '2026-11-22 10:00:00')"
            )
        )
        for ident, stage, since in (
            (1, "basisbegleitung", "2024-03-01"),
            (2, "interessent", "2026-11-22"),
        ):
            connection.execute(
                text(
                    "INSERT INTO centres (id, name, district, email, coach_id, stage, stage_since,"
                    " created_at) VALUES (:id, :name, 'Jena', 'k@example.org', 1, :stage, :since,"
                    " '2026-11-22 10:00:00')"
                ),
                {"id": ident, "name": f"Kita {ident}", "stage": stage, "since": since},
            )
        connection.execute(
            text(
                "INSERT INTO stage_changes (centre_id, trigger, from_stage, to_stage,"
                " effective, recorded_at, actor, forced) VALUES (1, 'import', 'interessent',"
                " 'basisbegleitung', '2024-03-01', '2026-11-22 10:00:00', 'buero', :forced)"
            ),
            {"forced": True},
        )
        connection.execute(
            text(
                "INSERT INTO activities (centre_id, kind, key, stage, date, status)"
                " VALUES (1, 'site_visit', 'visit:1', 'basisbegleitung', '2024-05-02', 'held')"
            )
        )
    assert upgrade(old_engine)[1] == head_revision()
    with old_engine.connect() as connection:
        registered: dict[int, object] = dict(
            connection.execute(text("SELECT id, registered FROM centres")).all()
        )
        visits = connection.execute(text("SELECT count(*) FROM activities")).scalar()
        revisions = connection.execute(text("SELECT revision FROM activities")).scalars().all()
        created = connection.execute(text("SELECT created_at FROM activities")).scalars().all()
        kept = connection.execute(text("SELECT count(*) FROM activity_undo")).scalar()
        audited = connection.execute(text("SELECT count(*) FROM corrections")).scalar()
        counted = connection.execute(text("SELECT stage, district, centres FROM centre_counts"))
        counts = sorted(tuple(row) for row in counted)
        changes = connection.execute(text("SELECT count(*) FROM centre_count_changes")).scalar()
    assert {k: str(v) for k, v in registered.items()} == {
        1: str(date(2024, 3, 1)),
        2: str(date(2026, 11, 22)),
    }
    assert visits == 1
    assert revisions == [0]  # unchanged since it was recorded
    assert created == [None]  # when it was stored is unknown: it always existed
    assert (kept, audited) == (0, 0)
    assert counts == [("basisbegleitung", "Jena", 1), ("interessent", "Jena", 1)]
    assert changes == 0
    assert upgrade(old_engine)[0] == head_revision()


def schema(engine: Engine) -> dict[str, object]:
    """Every table's columns, keys, indexes and constraints, and the revision recorded."""
    found = inspect(engine)
    tables: dict[str, object] = {
        name: (
            [{**c, "type": str(c["type"])} for c in found.get_columns(name)],
            found.get_pk_constraint(name),
            sorted(map(repr, found.get_foreign_keys(name))),
            sorted(map(_index, found.get_indexes(name))),
            sorted(map(repr, found.get_unique_constraints(name))),
            sorted(map(repr, found.get_check_constraints(name))),
        )
        for name in found.get_table_names()
    }
    with engine.connect() as connection:
        tables["revision"] = connection.execute(text("SELECT * FROM alembic_version")).all()
    return tables


def _index(index: Mapping[str, Any]) -> str:
    """An index as reflected, a partial index's condition as its text (not the object)."""
    options = {key: str(value) for key, value in index.get("dialect_options", {}).items()}
    return repr({**index, "dialect_options": options})


def test_a_tests_database_is_the_migrated_schema(
    database_url: str, empty_database_url: str
) -> None:
    """The copy of the session's template each test gets is what `init` makes."""
    copied, migrated = make_engine(database_url), make_engine(empty_database_url)
    try:
        assert upgrade(migrated) == (None, head_revision())
        assert upgrade(copied) == (head_revision(), head_revision())
        assert schema(copied) == schema(migrated)
        assert len(schema(copied)) > 10
    finally:
        copied.dispose()
        migrated.dispose()


def test_each_step_is_a_transaction_of_its_own(
    old_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step that fails is undone alone: the steps before it stay, `init` goes on later."""
    from thekiz_flow.store import migrate

    def fail_at_0005(ctx: MigrationContext, step: Any, **_: object) -> None:
        if step.up_revision_id == "0005":
            raise RuntimeError("step 0005 fails")

    monkeypatch.setattr(migrate, "_after_step", fail_at_0005)
    with pytest.raises(RuntimeError, match="0005"):
        upgrade(old_engine)
    with old_engine.connect() as connection:
        assert current_revision(connection) == "0004"
    monkeypatch.undo()
    assert upgrade(old_engine) == ("0004", head_revision())


def test_a_database_newer_than_the_code_is_refused(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(NotInitialised, match="9999 ist neuer als diese Version"):
        upgrade(engine)
    with engine.connect() as connection, pytest.raises(NotInitialised, match="aktualisieren"):
        require_current(connection)


MAIL_TO_AENNE = text("SELECT count(*) FROM outbox WHERE lower(recipient) = 'änne@example.org'")


def _written_by_the_shell(path: Path) -> Engine:
    """A database whose mail to "ÄNNE@…" the sqlite3 shell wrote: it folds ASCII letters
    only, so the mail's key in the index is one the application's lower() never looks up
    (its erasure would miss it)."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with closing(sqlite3.connect(path)) as shell:  # no application function: the built-in
        shell.execute(
            "INSERT INTO outbox (key, rule, role, recipient, subject, body_text, body_html,"
            " status, due_at, next_attempt_at, created_at) VALUES ('k', 'r', 'centre',"
            " 'ÄNNE@Example.org', 's', 'geheim', '', 'sent', '2026-01-01', '2026-01-01',"
            " '2026-01-01')"
        )
        shell.commit()
    with engine.connect() as connection:
        assert connection.execute(MAIL_TO_AENNE).scalar() == 0  # the index misleads
    return engine


def test_init_rebuilds_the_lower_case_indexes_another_program_wrote(tmp_path: Path) -> None:
    engine = _written_by_the_shell(tmp_path / "t.db")
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(MAIL_TO_AENNE).scalar() == 1
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()


def test_a_restore_rebuilds_them_before_the_erasures_are_replayed(tmp_path: Path) -> None:
    _written_by_the_shell(tmp_path / "backup.db").dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'live.db'}")
    restore_sqlite(tmp_path / "backup.db", engine)
    with engine.connect() as connection:
        assert connection.execute(MAIL_TO_AENNE).scalar() == 1
    engine.dispose()
