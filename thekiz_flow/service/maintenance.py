"""Whole databases: a backup while the service runs, a restore, a transfer to PostgreSQL.

- Backup: SQLite by its online backup API (a consistent copy, pages changed meanwhile are
  copied again); PostgreSQL by ``pg_dump --format=custom``, if the machine has it.
- Restore: only into an empty database, unless forced; SQLite by the same API, PostgreSQL
  by ``pg_restore``. A backup of a newer schema than this code is refused.
- Transfer: the schema made in the (empty) target by the migrations, every row copied in
  the order of the foreign keys with its id, the sequences set past the ids, then the rows
  and a checksum per table compared; one transaction in the target, so a mismatch leaves it
  without rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from thekiz_flow.core.errors import InvalidInput, Refused, ThekizError
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import (
    current_revision,
    head_revision,
    require_current,
    require_known,
    upgrade,
)
from thekiz_flow.store.operations import (
    backup_sqlite,
    checksums,
    copy_rows,
    filled_tables,
    restore_sqlite,
    sqlite_revision,
)

PG_CLIENT_HINT = (
    "auf Debian/Ubuntu im Paket postgresql-client; in der Version des Datenbankservers oder neuer"
)


@dataclass(frozen=True)
class Transferred:
    tables: dict[str, int]  # rows per table, copied and compared


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump's connection options for ``url`` (the password through the environment, so
    no process list shows it), and ``-n SCHEMA`` when the URL sets a search path."""
    args = ["--dbname", url.database or "postgres"]
    for option, value in (("--host", url.host), ("--port", url.port), ("--username", url.username)):
        if value:
            args += [option, str(value)]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    schema = _search_path(url.query)
    return (args + (["--schema", schema] if schema else [])), environment


def _search_path(query: Mapping[str, object]) -> str | None:
    """The schema of ``options=-csearch_path=NAME`` in a database URL, if any."""
    options = query.get("options")
    for part in options.split() if isinstance(options, str) else ():
        if part.startswith("-csearch_path="):
            return part.split("=", 1)[1]
    return None


def _tool(name: str, how: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise Refused(f"{name} nicht gefunden ({PG_CLIENT_HINT}); {how}")
    return found


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = " ".join(done.stderr.split())[:300]
        raise ThekizError(f"{what} fehlgeschlagen: {detail}")


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database into the new file ``target``."""
    if target.exists():
        raise InvalidInput("file", f"{target} gibt es schon; bitte einen neuen Dateinamen wählen")
    if not target.parent.is_dir():
        raise InvalidInput("file", f"Verzeichnis {target.parent} gibt es nicht")
    if engine.dialect.name == "sqlite":
        backup_sqlite(engine, target)
        return
    args, environment = _libpq(engine.url)
    how = f"von Hand: pg_dump --format=custom --file {target} {' '.join(args)}"
    command = [_tool("pg_dump", how), "--format=custom", "--no-owner", "--file", str(target)]
    _run([*command, *args], environment, "pg_dump")


def restore(engine: Engine, source: Path, force: bool) -> None:
    """Replace the database by the backup ``source``; refused if it holds rows, unless
    ``force``."""
    if not source.is_file():
        raise InvalidInput("file", f"{source} gibt es nicht")
    with engine.connect() as connection:
        filled = filled_tables(connection)
    if filled and not force:
        raise InvalidInput(
            None,
            f"die Datenbank ist nicht leer ({len(filled)} Tabellen mit Daten, z. B. "
            f"{', '.join(filled[:3])}); sie wird nur mit {{force}} überschrieben",
            ("force",),
        )
    if engine.dialect.name == "sqlite":
        try:
            revision = sqlite_revision(source)
        except sqlite3.DatabaseError:
            revision = None
        if revision is None:
            raise InvalidInput("file", f"{source} ist keine Sicherung von thekiz-flow (SQLite)")
        require_known(revision)
        restore_sqlite(source, engine)
        return
    args, environment = _libpq(engine.url)
    how = f"von Hand: pg_restore --clean --if-exists --no-owner {' '.join(args)} {source}"
    command = [_tool("pg_restore", how), "--clean", "--if-exists", "--no-owner"]
    command += ["--single-transaction", "--exit-on-error"]
    _run([*command, *args, str(source)], environment, "pg_restore")


def is_current(engine: Engine) -> bool:
    """Whether the database has the schema of this code (after a restore: no `init` due)."""
    with engine.connect() as connection:
        return current_revision(connection) == head_revision()


def transfer(source: Engine, target_url: str) -> Transferred:
    """Copy every row into the empty database ``target_url`` and compare."""
    target = make_engine(target_url)
    try:
        if target.url.render_as_string() == source.url.render_as_string():
            raise InvalidInput("to", "ist dieselbe Datenbank wie die Quelle")
        with source.connect() as connection:
            require_current(connection)
        with target.connect() as connection:
            filled = filled_tables(connection)
        if filled:
            raise InvalidInput(
                "to",
                f"die Zieldatenbank ist nicht leer ({len(filled)} Tabellen mit Daten, z. B. "
                f"{', '.join(filled[:3])}); übertragen wird nur in eine leere Datenbank",
            )
        upgrade(target)
        with source.begin() as reading, target.begin() as writing:
            copied = copy_rows(reading, writing)
            before, after = checksums(reading), checksums(writing)
            differing = [name for name in before if before[name] != after.get(name)]
            if differing:
                raise ThekizError(
                    "Übertragung abgebrochen, nichts übernommen: Prüfsummen weichen ab in "
                    + ", ".join(differing)
                )
        return Transferred(copied)
    finally:
        target.dispose()
