"""The store's contract: every test here that opens a database runs on SQLite and on
PostgreSQL, through the unit of work the service uses (`Repository`) and its stores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine

from tests.conftest import BACKENDS
from tests.store.helpers import NOW, Unit
from thekiz_flow.store.repository import Repository


@pytest.fixture(params=list(BACKENDS.values()))
def backend(request: pytest.FixtureRequest) -> str:
    """Both backends, for every test of the contract."""
    return str(request.param)


@pytest.fixture
def unit(engine: Engine) -> Unit:
    """``with unit() as repo:`` one transaction on the test's database, committed at its end
    (rolled back if the block raises), as `Service.unit` opens it."""

    @contextmanager
    def begin() -> Iterator[Repository]:
        with engine.begin() as connection:
            yield Repository(connection, NOW)

    return begin
