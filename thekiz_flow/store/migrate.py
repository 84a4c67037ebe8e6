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

    SQLite rebuilds a table to change a column; with foreign keys on, dropping the old
    table would fail. So they are off for the migration (outside any transaction, where
    SQLite honours the pragma) and every reference is checked before the commit.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                before = current_revision(connection)
                command.upgrade(alembic_config(connection), "head")
                after = current_revision(connection)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("migration left a broken foreign key")
        finally:
            if sqlite:
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
    return before, after


def require_current(connection: Connection) -> None:
    current, head = current_revision(connection), head_revision()
    if current is None:
        raise NotInitialised(
            "Datenbank ist nicht eingerichtet: bitte zuerst 'thekiz-flow init' ausführen"
        )
    if current != head:
        raise NotInitialised(
            f"Datenbankschema ist veraltet ({current}, aktuell {head}): "
            "bitte 'thekiz-flow init' ausführen"
        )
