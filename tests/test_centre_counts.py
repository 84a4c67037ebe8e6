"""The centres per stage and district kept on write (the start page's table,
`store/kept_counts.py`): whatever is written to centres, and whenever it is folded, the
counts are those of one GROUP BY over every centre."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, delete, func, select, text, update

from tests.databases import Databases, trigger_names
from tests.store.helpers import NOW, centre
from tests.test_allowed_fast_path import example_folder, examples
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.repository import Repository
from thekiz_flow.store.tables import centre_count_changes, centres

pytestmark = pytest.mark.backends("sqlite", "postgresql")

STAGES = ["interessent", "basisbegleitung", "vertiefungsbegleitung", "pausiert"]
DISTRICTS = ["Gera", "Jena", "Suhl"]
CENTRE = st.integers(min_value=0, max_value=7)  # the nth centre there is, if any
OPERATION = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(STAGES), st.sampled_from(DISTRICTS)),
    st.tuples(st.just("stage"), CENTRE, st.sampled_from(STAGES)),
    st.tuples(st.just("district"), CENTRE, st.sampled_from(DISTRICTS)),
    st.tuples(st.just("both"), CENTRE, st.sampled_from(STAGES), st.sampled_from(DISTRICTS)),
    st.tuples(st.just("all"), st.sampled_from(STAGES), st.sampled_from(STAGES)),
    st.tuples(st.just("delete"), CENTRE),
    st.tuples(st.just("name"), CENTRE),  # a change that moves no count
    st.tuples(st.just("fold")),
)
# each a transaction: one or more operations, committed or rolled back
TRANSACTION = st.tuples(st.lists(OPERATION, min_size=1, max_size=3), st.booleans())


def grouped(conn: Connection) -> list[tuple[str, str, int]]:
    """Every centre counted: what the counts must be."""
    c = centres.c
    stmt = select(c.stage, c.district, func.count()).group_by(c.stage, c.district)
    return sorted((s, d, int(n)) for s, d, n in conn.execute(stmt))


def apply(conn: Connection, operation: tuple[object, ...], added: list[int]) -> None:
    repo = Repository(conn, NOW)
    what, *args = operation
    ids = sorted(conn.execute(select(centres.c.id)).scalars())
    if what == "add":
        stage, district = args
        name = f"Kita {len(added) + 1}"
        added.append(len(added))
        repo.add_centres([centre(name, str(district), stage=stage)], NOW)
        return
    if what == "fold":
        repo.centre_counts.fold()
        return
    if what == "all":  # one statement moving many centres, as a batch stage change does
        was, to = args
        conn.execute(update(centres).where(centres.c.stage == was).values(stage=to))
        return
    if not ids:
        return
    one = centres.c.id == ids[int(args[0]) % len(ids)]  # type: ignore[call-overload]
    if what == "delete":
        conn.execute(delete(centres).where(one))
        return
    values: dict[str, object] = {"email": "neu@example.org"}  # "name": no count moves
    if what in ("stage", "both"):
        values = {"stage": args[1]}
    if what == "district":
        values = {"district": args[1]}
    if what == "both":
        values["district"] = args[2]
    conn.execute(update(centres).where(one).values(**values))


@contextmanager
def database(databases: Databases, backend: str, folder: object) -> Iterator[Engine]:
    with databases.database(backend, folder) as url:  # type: ignore[arg-type]
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


@examples(60)
@given(transactions=st.lists(TRANSACTION, min_size=1, max_size=8))
def test_the_counts_are_every_centre_counted_whatever_was_written_and_folded(
    transactions: list[tuple[list[tuple[object, ...]], bool]],
    databases: Databases,
    backend: str,
    tmp_path: object,
) -> None:
    with database(databases, backend, example_folder(tmp_path)) as engine:  # type: ignore[arg-type]
        replay(engine, transactions, apply, lambda c: sorted(Repository(c).stage_counts()), grouped)


def replay(
    engine: Engine,
    transactions: list[tuple[list[tuple[object, ...]], bool]],
    write: Callable[[Connection, tuple[object, ...], list[int]], None],
    kept: Callable[[Connection], object],
    counted: Callable[[Connection], object],
) -> None:
    """Each transaction's operations written, then committed or rolled back: after each, and
    inside the writing transaction too (its own changes counted), the ``kept`` counts are
    what ``counted`` counts."""
    added: list[int] = []
    for operations, commit in transactions:
        with engine.connect() as conn:
            with conn.begin() as transaction:
                for operation in operations:
                    write(conn, operation, added)
                assert kept(conn) == counted(conn)
                if not commit:
                    transaction.rollback()
        with engine.connect() as conn:
            assert kept(conn) == counted(conn)


def test_the_head_has_the_counting_triggers(engine: Engine) -> None:
    """A later migration that rebuilds centres on SQLite drops its triggers with it."""
    names = trigger_names(engine, "centres", "centre_count")
    assert names == {"centre_count_insert", "centre_count_update", "centre_count_delete"}


def test_a_tick_folds_the_changes_into_the_counts(service: Service, engine: Engine) -> None:
    service.registry.add_centre(
        CentreInput("Kita Sonnenschein", "Jena", "kita@example.org", stage="basisbegleitung")
    )
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(centre_count_changes)).scalar() == 1
    service.ticks.tick()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(centre_count_changes)).scalar() == 0
        assert grouped(conn) == [("basisbegleitung", "Jena", 1)]
    assert service.registry.stage_counts() == [("basisbegleitung", "Jena", 1)]


@pytest.mark.backends("postgresql")
def test_writers_do_not_wait_for_a_fold_and_two_folds_take_each_change_once(
    engine: Engine,
) -> None:
    """A fold holds no lock a writer of centres needs: a centre added and committed while a
    fold is open (the writer would fail after 2 s of waiting) stays for the next fold. A
    second fold meanwhile takes none of the first's changes (it waits for the first only to
    add to the same count); afterwards the counts are exact and every change folded once."""
    with engine.begin() as conn:
        Repository(conn, NOW).add_centres([centre("Kita A", "Gera")], NOW)
    second: list[int] = []

    def fold_again() -> None:
        with engine.connect() as other, other.begin():
            other.execute(text("SET LOCAL lock_timeout = '10s'"))
            second.append(Repository(other).centre_counts.fold())

    thread = threading.Thread(target=fold_again)
    with engine.connect() as folding, folding.begin():
        assert Repository(folding).centre_counts.fold() == 1
        with engine.connect() as writer, writer.begin():
            writer.execute(text("SET LOCAL lock_timeout = '2s'"))
            Repository(writer, NOW).add_centres([centre("Kita B", "Gera")], NOW)
        thread.start()
        thread.join(timeout=0.5)
    thread.join(timeout=10)
    assert second == [1]  # Kita B's change: Kita A's was the first fold's
    with engine.connect() as conn:
        assert Repository(conn).stage_counts() == [("interessent", "Gera", 2)]
        assert conn.execute(select(func.count()).select_from(centre_count_changes)).scalar() == 0
