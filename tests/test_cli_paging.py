"""``--limit`` and ``--page`` of the commands that list: a page of the rows and where it is
in all of them; bad values refused with the option named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli_helpers import Run
from thekiz_flow.service.runtime import Runtime


@pytest.fixture
def three(run: Run) -> Run:
    for name in ("Kita A", "Kita B", "Kita C"):
        args = ("centre", "add", "--name", name, "--district", "jena", "--email", "k@example.org")
        assert run(*args).code == 0
    return run


def test_a_page_of_the_centres_and_where_it_is(three: Run) -> None:
    result = three("centre", "list", "--json", "--limit", "2", "--page", "2")
    assert result.code == 0
    assert [c["name"] for c in json.loads(result.out)] == ["Kita C"]
    assert result.err == "Zeilen 3–3 von 3\n"
    table = three("centre", "list", "--limit", "2")
    assert "Kita A" in table.out
    assert "Kita C" not in table.out
    assert "Einrichtungen (3)" in table.out
    assert table.err == "Zeilen 1–2 von 3\n"


def test_without_limit_every_row_and_no_caption(three: Run) -> None:
    result = three("centre", "list", "--json")
    assert len(json.loads(result.out)) == 3
    assert result.err == ""


def test_a_page_beyond_the_last_is_empty(three: Run) -> None:
    result = three("eligible", "--json", "--limit", "2", "--page", "9")
    assert (result.code, json.loads(result.out)) == (0, [])
    assert result.err == "keine Zeilen auf dieser Seite, 3 insgesamt\n"


def test_eligible_and_reminders_take_pages_too(three: Run) -> None:
    result = three("eligible", "--json", "--limit", "1")
    assert [e["centre"] for e in json.loads(result.out)] == [1]
    assert result.err == "Zeilen 1–1 von 3\n"
    preview = three("reminders", "preview", "--json", "--limit", "5")
    assert preview.code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--limit", "0"), "--limit: mindestens 1"),
        (("--limit", "zwei"), "--limit: ungültige Nummer 'zwei'"),
        (("--limit", "2", "--page", "0"), "--page: mindestens 1"),
        (("--page", "2"), "--page: nur zusammen mit --limit"),
    ],
)
def test_bad_paging_is_refused_naming_the_option(
    three: Run, args: tuple[str, ...], message: str
) -> None:
    for command in (("centre", "list"), ("eligible",), ("reminders", "preview")):
        result = three(*command, *args)
        assert (result.code, result.out) == (2, ""), command
        assert result.err == f"Fehler: {message}\n", command


def test_a_page_of_the_reminders_is_the_whole_preview_cut_and_renders_only_its_mails(
    ready: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ready("advance", "1", "admit").code == 0
    whole = json.loads(ready("reminders", "preview", "--days", "60", "--json").out)
    assert len(whole) > 3
    rendered: list[str] = []
    compose = Runtime.compose

    def counted(self: Runtime, key: str, *args: Any, **kwargs: Any) -> Any:
        rendered.append(key)
        return compose(self, key, *args, **kwargs)

    monkeypatch.setattr(Runtime, "compose", counted)
    pages = []
    for number in range(1, len(whole) // 2 + 2):
        args = ("--days", "60", "--json", "--limit", "2", "--page", str(number))
        result = ready("reminders", "preview", *args)
        assert result.code == 0
        pages += json.loads(result.out)
    assert pages == whole
    assert len(rendered) == len(whole)  # each page rendered its own mails only
