"""Alembic, driven from code: `thekiz-flow init` upgrades to head; commands check it."""

from __future__ import annotations

from functools import cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from thekiz_flow.core.errors import NotInitialised

SCRIPT_LOCATION = "thekiz_flow.store:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Create or upgrade the schema; returns (before, after). Idempotent.

    One transaction per migration step: an upgrade that fails leaves the database at the
    last step that succeeded, and `init` goes on from there. A database of a newer version
    (a revision this code does not know) is refused before anything is done.

    SQLite rebuilds a table to change a column; with foreign keys on, dropping the old
    table would fail. So they are off for the migration (outside any transaction, where
    SQLite honours the pragma) and every reference is checked before each step commits.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            before = current_revision(connection)
            connection.commit()  # alembic begins each step's transaction itself
            require_known(before)
            if before != head_revision():  # at head alembic would load every step to do none
                config = alembic_config(connection)
                config.attributes["on_version_apply"] = [_after_step]
                command.upgrade(config, "head")
                connection.commit()
            after = current_revision(connection)
            if sqlite:
                refold(connection)
            connection.commit()
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return before, after


def refold(connection: Connection) -> None:
    """SQLite: the indexes of text in lower case rebuilt with the application's ``lower()``
    (`engine.py`, every letter). Another program on the file (the sqlite3 shell, a database
    browser) folds ASCII letters only: the keys of what it wrote there would not be found,
    a person's mails with an umlaut in the address missed by their erasure. `init` and
    `restore` heal it."""
    folded = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql LIKE '%lower(%'"
    )
    for name in folded.scalars().all():
        quoted = name.replace('"', '""')
        connection.exec_driver_sql(f'REINDEX "{quoted}"')


def _after_step(ctx: MigrationContext, **_: object) -> None:
    """After each step, before its commit: on SQLite every reference still points at a row."""
    assert ctx.connection is not None
    if ctx.connection.dialect.name != "sqlite":
        return
    if ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").first():
        raise RuntimeError("migration left a broken foreign key")


@cache
def known_revisions() -> frozenset[str]:
    """The revisions of the migrations shipped with this code (read once: alembic loads
    every migration's module to list them, and every command checks the schema)."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def require_known(current: str | None) -> None:
    """Refuse a database whose schema is newer than this code (a revision it does not know)."""
    if current is not None and current not in known_revisions():
        raise NotInitialised(
            f"Datenbankschema {current} ist neuer als diese Version von thekiz-flow "
            f"(sie kennt bis {head_revision()}): bitte thekiz-flow aktualisieren"
        )


def require_current(connection: Connection) -> None:
    current, head = current_revision(connection), head_revision()
    if current is None:
        raise NotInitialised(
            "Datenbank ist nicht eingerichtet: bitte zuerst 'thekiz-flow init' ausführen"
        )
    require_known(current)
    if current != head:
        raise NotInitialised(
            f"Datenbankschema ist veraltet ({current}, aktuell {head}): "
            "bitte 'thekiz-flow init' ausführen"
        )
