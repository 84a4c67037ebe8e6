"""An id no row can have (beyond INTEGER, 32 bits on PostgreSQL) is an unknown one: exit 2, 404."""

from __future__ import annotations

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from tests.cli_helpers import Run, dump
from tests.web_helpers import login

# just beyond PostgreSQL's INTEGER (the ids' type), and beyond SQLite's 64-bit INTEGER
HUGE = [str(2**31), "99999999999999999999"]
CENTRE, COACH, SESSION = "keine Einrichtung", "keine Prozessbegleitung", "kein Termin"
TRAINING, MAIL = "keine Fortbildung", "keine Nachricht"
DAY = "--date=2026-06-01"

COMMANDS = [
    (["centre", "show", "{n}"], CENTRE),
    (["centre", "edit", "{n}", "--name=Kita"], CENTRE),
    (["centre", "assign", "{n}", "--coach=1"], CENTRE),
    (["centre", "weekday", "{n}", "mo"], CENTRE),
    (["centre", "closure", "{n}", "--from=2026-06-01", "--to=2026-06-02"], CENTRE),
    (["advance", "{n}", "admit"], CENTRE),
    (["history", "{n}"], CENTRE),
    (["session", "done", "{n}", DAY, "--hours=2"], SESSION),
    (["session", "done", "E{n}", DAY, "--hours=2"], CENTRE),
    (["session", "move", "{n}", DAY], SESSION),
    (["session", "cancel", "{n}", "--reason=krank"], SESSION),
    (["session", "request", "{n}", DAY], CENTRE),
    (["visit", "done", "{n}", DAY], CENTRE),
    (["training", "enrol", "{n}", "1"], TRAINING),
    (["training", "enrol", "1", "{n}"], CENTRE),
    (["training", "attended", "{n}", "1"], TRAINING),
    (["training", "cancel", "{n}", "1", "--reason=krank"], TRAINING),
    (["training", "show", "{n}"], TRAINING),
    (["outbox", "retry", "{n}"], MAIL),
    (["coach", "show", "{n}"], COACH),
    (["activities", "--centre={n}"], CENTRE),
    (["activities", "--coach={n}"], COACH),
    (["plan", "--centre={n}"], CENTRE),
]


@pytest.mark.parametrize(("args", "what"), COMMANDS, ids=lambda v: " ".join(v)[:30])
def test_a_command_answers_an_id_beyond_the_range_as_unknown(
    run: Run, database_url: str, args: list[str], what: str
) -> None:
    assert run("init").code == 0
    before = dump(database_url)
    for number in HUGE:
        result = run(*(arg.format(n=number) for arg in args))
        assert (result.code, result.out) == (2, "")
        assert result.err == f"Fehler: {what} mit der Nummer {number}\n"
    assert dump(database_url) == before


@pytest.mark.parametrize("args", [["centre", "assign", "1"], ["coach", "feed"]])
def test_a_coach_by_a_number_beyond_the_range_is_unknown(ready: Run, args: list[str]) -> None:
    with open("config.toml", "a", encoding="utf-8") as config:
        config.write('[web]\nbase_url = "https://thekiz.example.org"\n')
    result = ready(*args, f"--coach={HUGE[1]}")
    assert (result.code, result.out) == (2, "")
    assert f"keine Prozessbegleitung '{HUGE[1]}'" in result.err


def test_an_id_too_long_to_be_a_number_is_no_number(ready: Run) -> None:
    result = ready("centre", "show", "9" * 5000)
    assert (result.code, result.err[:24]) == (2, "Fehler: ID: ungültige Nu")
    result = ready("centre", "assign", "1", "--coach", "9" * 5000)
    assert (result.code, result.err[:29]) == (2, "Fehler: --coach: ungültige Nu")


PAGES = [
    ("get", "/centres/{n}", {}, CENTRE),
    ("get", "/centres/{n}/edit", {}, CENTRE),
    ("post", "/centres/{n}/edit", {"name": "Kita"}, CENTRE),
    ("post", "/centres/{n}/coach", {"coach": "1"}, CENTRE),
    ("post", "/centres/{n}/advance", {"trigger": "admit"}, CENTRE),
    ("get", "/centres?coach={n}", {}, "keine Prozessbegleitung '{n}'"),
    ("post", "/sessions/{n}/record", {"date": "2026-06-01", "hours": "2"}, SESSION),
    ("post", "/sessions/{n}/move", {"date": "2026-06-01"}, SESSION),
    ("post", "/sessions/{n}/cancel", {"reason": "krank"}, SESSION),
    ("get", "/sessions?coach={n}", {}, COACH),
    ("post", "/visits", {"centre": "{n}", "date": "2026-06-01"}, CENTRE),
    ("get", "/coaches/{n}", {}, COACH),
    ("get", "/trainings/{n}", {}, TRAINING),
    ("post", "/trainings/{n}/enrol", {"centre": "1"}, TRAINING),
    ("post", "/trainings/1/enrol", {"centre": "{n}"}, CENTRE),
    ("post", "/trainings/{n}/cancel", {"centre": "1", "reason": "krank"}, TRAINING),
    ("post", "/trainings/{n}/attended", {"centre": "1"}, TRAINING),
    ("post", "/feeds/{n}/renew", {}, COACH),
    ("post", "/feeds/{n}/revoke", {}, COACH),
    ("post", "/outbox/{n}/retry", {}, MAIL),
    ("get", "/users/{n}", {}, "kein Zugang"),
    ("post", "/users/{n}/enable", {"confirm": "1"}, "kein Zugang"),
]


def test_a_page_of_the_list_beyond_the_range_is_empty(web: TestClient) -> None:
    login(web, "office")
    for number in HUGE:
        response = web.get(f"/centres?page={number}")
        assert response.status_code == 200
        assert "<h1>Einrichtungen (0)</h1>" in response.text
        for path in ("/trainings", "/outbox", "/coaches", "/users"):
            response = web.get(f"{path}?page={number}")
            assert response.status_code == 200
            assert "<tbody>" not in response.text


@pytest.mark.parametrize(("method", "path", "form", "what"), PAGES, ids=lambda v: str(v)[:30])
def test_a_page_answers_an_id_beyond_the_range_with_404(
    web: TestClient, method: str, path: str, form: dict[str, str], what: str
) -> None:
    token = login(web, "office")
    for number in HUGE:
        address = path.format(n=number)
        if method == "get":
            response = web.get(address)
        else:
            data = {key: value.format(n=number) for key, value in form.items()}
            response = web.post(address, data={"csrf_token": token, **data})
        assert response.status_code == 404
        expected = what if "{n}" in what else what + " mit der Nummer {n}"
        assert escape(expected.format(n=number)) in response.text


@pytest.mark.parametrize(
    "path", ["/centres/" + "9" * 5000, "/users/" + "9" * 5000, "/digests/99999.csv"]
)
def test_an_address_with_a_number_too_long_is_a_page_that_does_not_exist(
    web: TestClient, path: str
) -> None:
    login(web, "office")
    response = web.get(path)
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht." in response.text
