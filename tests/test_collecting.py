"""Fewer cycle collections during bulk work: raised inside, put back by the last to leave."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from thekiz_flow.digest import aggregate
from thekiz_flow.service import Service, digest
from thekiz_flow.service.collecting import BULK_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def usual_thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_raised_inside_and_put_back_after_even_after_an_error() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (BULK_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)
    with pytest.raises(ZeroDivisionError), fewer_collections():
        _ = 1 / 0
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_the_outer_puts_back() -> None:
    with fewer_collections():
        with fewer_collections():
            pass
        assert gc.get_threshold()[0] == BULK_THRESHOLD
    assert gc.get_threshold() == (700, 10, 10)


def test_two_threads_overlapping_the_last_to_leave_puts_back() -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with fewer_collections():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold()[0])  # the first has left, this one is still in

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [BULK_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_and_collection_turned_off_stay() -> None:
    gc.set_threshold(BULK_THRESHOLD * 2, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == BULK_THRESHOLD * 2
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold() == (0, 10, 10)


def test_the_digest_is_built_with_fewer_collections(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    build = aggregate.build_digest_in_parts
    during: list[int] = []

    def watched(*args: object) -> object:
        during.append(gc.get_threshold()[0])
        return build(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(digest, "build_digest_in_parts", watched)
    service.digest.build(service.runtime.today().year)
    assert during == [BULK_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)
