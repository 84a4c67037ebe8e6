"""Test databases: the migrations run once per session, each test gets a copy of the result.

SQLite: a template file migrated once, copied per test. PostgreSQL: a template schema migrated
once and read back with pg_dump (tables, sequences, indexes, constraints and the alembic_version
row); each test's schema of its own is made by running that script in it. Without pg_dump each
PostgreSQL test is migrated by alembic, as before: slower, the same schema.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade

PG_URL = os.environ.get("THEKIZ_TEST_DATABASE_URL")
SQLITE, POSTGRESQL = "sqlite", "postgresql"


def schema_url(schema: str) -> str:
    """THEKIZ_TEST_DATABASE_URL with ``schema`` as the search path."""
    assert PG_URL
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


def migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


class Databases:
    """Empty or migrated databases for one test session; the templates are made on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._sqlite_template: Path | None = None
        self._pg_script: str | None = None
        self._admin: Engine | None = None

    # ------------------------------------------------------------------ SQLite
    def sqlite_template(self) -> Path:
        if self._sqlite_template is None:
            path = self.folder / "template.db"
            migrate(f"sqlite:///{path}")
            self._sqlite_template = path
        return self._sqlite_template

    def migrated_sqlite(self, path: Path) -> str:
        """A copy of the migrated template at ``path``; its URL."""
        path.parent.mkdir(parents=True, exist_ok=True)
        source, target = sqlite3.connect(self.sqlite_template()), sqlite3.connect(path)
        try:
            source.backup(target)  # the whole database, whatever its journal holds
        finally:
            source.close()
            target.close()
        return f"sqlite:///{path}"

    # ------------------------------------------------------------------ PostgreSQL
    def admin(self) -> Engine:
        if not PG_URL:
            pytest.skip("THEKIZ_TEST_DATABASE_URL is not set")
        if self._admin is None:
            self._admin = make_engine(PG_URL)
        return self._admin

    def pg_script(self) -> str:
        """The migrated schema as SQL without a schema name: run where the search path points."""
        if self._pg_script is None:
            self._pg_script = dump_migrated_schema(self.admin()) if shutil.which("pg_dump") else ""
        return self._pg_script

    @contextmanager
    def schema(self, migrated: bool) -> Iterator[str]:
        """A schema of its own on PostgreSQL (empty or migrated), dropped afterwards."""
        admin = self.admin()
        script = self.pg_script() if migrated else ""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
            if script:
                connection.execute(text(f'SET LOCAL search_path TO "{name}"'))
                connection.connection.driver_connection.execute(script)  # type: ignore[union-attr]
        try:
            url = schema_url(name)
            if migrated and not script:
                migrate(url)
            yield url
        finally:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))

    # ------------------------------------------------------------------ both
    @contextmanager
    def database(
        self, backend: str, folder: Path, name: str = "thekiz", *, migrated: bool = True
    ) -> Iterator[str]:
        """A database of its own: a SQLite file in ``folder`` or a PostgreSQL schema."""
        if backend == SQLITE:
            path = folder / f"{name}.db"
            yield self.migrated_sqlite(path) if migrated else f"sqlite:///{path}"
            return
        with self.schema(migrated) as url:
            yield url

    def close(self) -> None:
        if self._admin is not None:
            self._admin.dispose()


def dump_migrated_schema(admin: Engine) -> str:
    """Migrate a template schema, read it back with pg_dump and drop it."""
    template = f"tpl_{uuid.uuid4().hex[:16]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{template}"'))
    try:
        migrate(schema_url(template))
        url = make_url(str(admin.url))
        command = ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "-n", template]
        for option, value in (("-h", url.host), ("-p", url.port), ("-U", url.username)):
            if value:
                command += [option, str(value)]
        environment = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
        dumped = subprocess.run(
            [*command, url.database or "postgres"],
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{template}" CASCADE'))
    return without_schema(dumped, template)


# pg_dump's session settings, its schema and its psql meta-commands: the test sets its own
SESSION_LINE = re.compile(r"^(SET |SELECT pg_catalog\.set_config|CREATE SCHEMA |\\)")


def without_schema(dumped: str, schema: str) -> str:
    lines = (
        line
        for line in dumped.splitlines()
        if line and not line.startswith("--") and not SESSION_LINE.match(line)
    )
    script = "\n".join(lines).replace(f"{schema}.", "")
    assert schema not in script, "the template's name is left in its schema"
    return script


def trigger_names(engine: Engine, table: str, prefix: str) -> set[str]:
    """The triggers on ``table`` (of the test's own schema) whose names begin with
    ``prefix``."""
    if engine.dialect.name == "postgresql":
        query = (
            "SELECT tgname FROM pg_trigger "
            "WHERE tgrelid = CAST(:table AS regclass) AND tgname LIKE :names"
        )
    else:
        query = (
            "SELECT name FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = :table AND name LIKE :names"
        )
    with engine.connect() as conn:
        return set(conn.execute(text(query), {"table": table, "names": f"{prefix}%"}).scalars())
