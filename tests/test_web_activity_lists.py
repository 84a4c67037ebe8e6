"""The lists of planned sessions and visits: paging, orders, filters, exports, bad values;
and the centre of a new session or visit found by its name."""

from __future__ import annotations

import html
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import csrf_token, login
from thekiz_flow.core import paging
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")  # the lists' SQL on both

ADMITTED = date(2026, 3, 2)
ROW = re.compile(
    r'data-label="Nr.">(\d+)</td>\s*<td data-label="Datum">([\d.]+)</td>.*?'
    r'<a href="/centres/(\d+)">([^<]+)</a></td>\s*<td data-label="Kreis">([^<]+)</td>\s*'
    r'<td data-label="Prozessbegleitung">([^<]+)</td>',
    re.S,
)
Row = tuple[int, date, int, str, str, str]  # id, date, centre, name, district, coach
CSV_HEADER = "Nr.;Datum;Stand;Einrichtung;Einrichtung Nr.;Kreis;Prozessbegleitung;Stufe;Stunden"


def programme(service: Service) -> dict[str, int]:
    """Admitted on 2 March (sessions planned monthly from then): Lena's (coach 1) Kita
    Pusteblume in Jena and Haus Ahorn in Gotha, Jonas's Kita Löwenzahn in Jena, and Kita
    Eiche in Gera, which has lost Jonas today (its sessions from today on wait for the next
    coach, the earlier ones stay his)."""
    assert isinstance(service.runtime.clock, FrozenClock)
    service.runtime.clock.set(noon(ADMITTED, BERLIN))
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")
    ids = {}
    for key, name, district, coach in (
        ("puste", "Kita Pusteblume", "jena", "1"),
        ("ahorn", "Haus Ahorn", "gotha", "1"),
        ("loewe", "Kita Löwenzahn", "jena", "2"),
        ("eiche", "Kita Eiche", "gera", "2"),
    ):
        centre = service.registry.add_centre(
            CentreInput(name, district, "k@example.org", coach=coach), ADMITTED
        )
        service.lifecycle.advance(centre, "admit", on=ADMITTED)
        ids[key] = centre
    service.runtime.clock.set(noon(TODAY, BERLIN))
    service.registry.assign_coach(ids["eiche"], "keine")
    return ids


def rows(page: str) -> list[Row]:
    return [
        (int(n), datetime.strptime(d, "%d.%m.%Y").date(), int(c), name, district, coach)
        for n, d, c, name, district, coach in ROW.findall(html.unescape(page))
    ]


def shown(web: TestClient, path: str = "/sessions", **params: str) -> list[Row]:
    page = web.get(path, params=params)
    assert page.status_code == 200, page.text
    return rows(page.text)


def planned_sessions(service: Service, last: date) -> set[int]:
    where = ActivityFilter(kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED, last=last)
    return {a.id for a in service.overview.activities(where)}


def test_every_order_up_and_down(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "office")
    every = shown(web, coach="")
    assert {r[0] for r in every} == planned_sessions(service, date(2026, 7, 15))
    assert len(every) == 20  # four centres, March to July

    def name(r: Row) -> tuple[str, str]:
        return r[3].lower(), r[4]

    def then(r: Row) -> tuple[object, ...]:
        return r[2], r[1], r[0]

    by_date = sorted(every, key=lambda r: (r[1], r[0]))  # by number within a day
    assert shown(web, coach="", sort="date") == by_date
    assert shown(web, coach="", sort="date", order="desc") == by_date[::-1]
    expected = {
        "centre": (name, then),
        "district": (lambda r: r[4], lambda r: (r[3].lower(), *then(r))),
        "coach": (lambda r: r[5].lower(), lambda r: (r[1], r[0])),
    }
    for sort, (first, rest) in expected.items():
        for order in ("asc", "desc"):
            wanted = sorted(sorted(every, key=rest), key=first, reverse=order == "desc")
            if sort == "coach":  # without a coach last, either way
                wanted = sorted(wanted, key=lambda r: r[5] == "–")
            assert shown(web, coach="", sort=sort, order=order) == wanted, (sort, order)
    by_coach = shown(web, coach="", sort="coach", order="desc")
    assert [r[5] for r in by_coach] == ["Lena Sommer"] * 10 + ["Jonas Winter"] * 9 + ["–"]


def test_every_filter(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "office")

    def centres(**params: str) -> set[int]:
        return {r[2] for r in shown(web, **{"coach": "", **params})}

    assert centres() == set(ids.values())
    assert centres(coach="2") == {ids["loewe"], ids["eiche"]}
    assert shown(web, coach="keine") == [
        r for r in shown(web, coach="", text="Eiche") if r[1] >= TODAY
    ]
    assert centres(coach="keine") == {ids["eiche"]}
    assert centres(district="Gotha") == {ids["ahorn"]}
    assert centres(district="Jena", coach="1") == {ids["puste"]}
    assert centres(text="LÖWEN") == {ids["loewe"]}
    assert centres(text=str(ids["ahorn"])) == {ids["ahorn"]}
    assert centres(text="Kindergarten") == set()
    july = shown(web, coach="", month="2026-07")
    assert {r[1] for r in july} == {date(2026, 7, 6)}
    assert len(july) == 4
    past = shown(web, coach="", due="unrecorded")
    assert past
    assert all(r[1] < TODAY for r in past)
    assert all(r[1] >= TODAY for r in shown(web, coach="", due="upcoming"))
    assert shown(web, coach="", month="2026-05", due="upcoming") == []
    page = web.get("/visits", params={"district": "Gera"})
    assert "Einrichtungsbesuche (1)" in page.text
    assert "Kita Eiche" in page.text
    assert "Haus Ahorn" not in page.text


def test_a_coach_sees_their_own_until_they_choose(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "coach")
    own = shown(web)
    assert {r[2] for r in own} == {ids["puste"], ids["ahorn"]}
    page = web.get("/sessions").text
    assert '<option value="1" selected>Lena Sommer</option>' in page
    assert "coach=1" in page  # the export links ask for the same
    assert {r[2] for r in shown(web, coach="")} == set(ids.values())
    assert {r[2] for r in shown(web, coach="2")} == {ids["loewe"], ids["eiche"]}
    csv = web.get("/sessions/export.csv").content.decode("utf-8-sig")
    assert "Kita Pusteblume" in csv
    assert "Kita Löwenzahn" not in csv
    visits = web.get("/visits").text  # the visits: everyone's at first
    assert "Einrichtungsbesuche (4)" in visits


def test_paging_keeps_every_filter_and_the_order(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    programme(service)
    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    login(web, "office")
    params = {"text": "Kita", "coach": "", "district": "Jena", "due": "", "month": ""}
    params |= {"sort": "centre", "order": "desc"}
    everything = shown(web, **params, page="1") + shown(web, **params, page="2")
    everything += shown(web, **params, page="3") + shown(web, **params, page="4")
    assert len(everything) == 10  # two centres in Jena, March to July
    assert [r[3] for r in everything] == ["Kita Pusteblume"] * 5 + ["Kita Löwenzahn"] * 5
    first = web.get("/sessions", params=params).text
    assert "Seite 1 von 4" in first
    found = re.search(r'<a href="\?([^"]+)" rel="next">', first)
    assert found is not None
    following = html.unescape(found.group(1))
    assert following == ("coach=&district=Jena&text=Kita&month=&due=&sort=centre&order=desc&page=2")
    second = web.get(f"/sessions?{following}")
    assert "Seite 2 von 4" in second.text
    assert rows(second.text) == everything[3:6]
    assert 'rel="prev"' in second.text
    export = (
        "coach=&amp;district=Jena&amp;text=Kita&amp;month=&amp;due=&amp;sort=centre&amp;order=desc"
    )
    assert f'href="/sessions/export.csv?{export}"' in first
    assert f'href="/sessions/export.xlsx?{export}"' in first
    beyond = web.get("/sessions", params={**params, "page": "9"})
    assert beyond.status_code == 200
    assert rows(beyond.text) == []


def test_the_export_is_the_list_on_every_page(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = programme(service)
    monkeypatch.setattr(paging, "PAGE_SIZE", 3)
    login(web, "office")
    params = {"coach": "", "district": "Jena", "sort": "centre"}
    answer = web.get("/sessions/export.csv", params=params)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        'attachment; filename="begleittermine-2026-06-15.csv"'
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte order mark
    lines = answer.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == CSV_HEADER
    assert lines[-1] == ""
    body = lines[1:-1]
    assert len(body) == 10  # every page
    first = next(s for s in shown(web, **params) if s[3] == "Kita Löwenzahn")
    assert body[0] == (
        f"{first[0]};02.03.2026;nicht erfasst;Kita Löwenzahn;{ids['loewe']};Jena;"
        "Jonas Winter;Basisbegleitung;3,00"
    )
    assert body[-1].split(";")[1:4] == ["06.07.2026", "geplant", "Kita Pusteblume"]
    workbook = web.get("/sessions/export.xlsx", params=params)
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet is not None
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[0]) == CSV_HEADER.split(";")
    assert len(table) == 11
    number, day, state, name, centre, district, coach, stage, hours = table[1]
    assert (number, day, state, name, centre) == (
        first[0],
        datetime(2026, 3, 2),
        "nicht erfasst",
        "Kita Löwenzahn",
        ids["loewe"],
    )
    assert (district, coach, stage, Decimal(str(hours))) == (
        "Jena",
        "Jonas Winter",
        "Basisbegleitung",
        Decimal(3),
    )
    visits = web.get("/visits/export.csv", params={"district": "Gera"})
    lines = visits.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == CSV_HEADER.removesuffix(";Stunden")
    assert [line.split(";")[3:6] for line in lines[1:-1]] == [
        ["Kita Eiche", str(ids["eiche"]), "Gera"]
    ]
    login(web, "ministry")
    assert web.get("/sessions/export.csv").status_code == 403


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "sort",
            "wichtig",
            "Sortierung: unbekannte Sortierung &#39;wichtig&#39; "
            "(möglich: Datum, Einrichtung, Kreis, Prozessbegleitung)",
        ),
        (
            "order",
            "rauf",
            "Reihenfolge: unbekannte Reihenfolge &#39;rauf&#39; (möglich: aufsteigend, absteigend)",
        ),
        ("month", "bald", "Monat: ungültiger Monat &#39;bald&#39; (Format JJJJ-MM)"),
        ("due", "alles", "Auswahl: unbekannte Auswahl &#39;alles&#39;"),
        ("district", "Berlin", "Kreis: unbekannter Kreis &#39;Berlin&#39;"),
        ("coach", "Lena", "Prozessbegleitung: ungültige Nummer &#39;Lena&#39;"),
        ("text", "a\tb", "Suche: enthält Steuerzeichen"),
    ],
)
def test_a_bad_filter_is_refused_beside_its_field(
    web: TestClient, service: Service, name: str, value: str, message: str
) -> None:
    programme(service)
    login(web, "office")
    for path in ("/sessions", "/visits"):
        refused = web.get(path, params={"district": "Jena", "text": "Kita", name: value})
        assert refused.status_code == 400
        assert f'aria-describedby="{name}-error"' in refused.text
        error = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>', refused.text)
        assert error is not None
        assert error.group(1).startswith(message)
        assert rows(refused.text) == []
        assert 'role="search"' in refused.text  # the filters to correct it
        kept = html.escape(value) if name in ("text", "month") else "Kita"
        assert f'value="{kept}"' in refused.text
        export = web.get(f"{path}/export.csv", params={name: value})
        assert export.status_code == 400
        assert message.split(":")[0] in export.text


def test_a_bad_page_is_refused_an_unknown_coach_is_404(web: TestClient, service: Service) -> None:
    programme(service)
    login(web, "office")
    for page in ("zwei", "-1", "1,5"):
        refused = web.get("/sessions", params={"page": page, "sort": "centre"})
        assert refused.status_code == 400
        assert '<p class="error" role="alert">Seite: ungültige Nummer' in refused.text
        assert '<option value="centre" selected>Einrichtung</option>' in refused.text
    unknown = web.get("/sessions", params={"coach": "99"})  # as every unknown number
    assert unknown.status_code == 404
    assert "keine Prozessbegleitung mit der Nummer 99" in unknown.text
    far = web.get("/sessions", params={"page": "1" * 50})  # beyond the last: empty
    assert far.status_code == 200
    assert rows(far.text) == []


# ---------------------------------------------------------------- centre by name
def radios(page: str) -> list[tuple[str, bool, str]]:
    """The centres a form offers: (value, checked, label)."""
    found = re.findall(
        r'<input type="radio" name="centre" value="(\d+)" required( checked)?> ([^<]+)</label>',
        html.unescape(page),
    )
    return [(value, bool(checked), label) for value, checked, label in found]


def test_a_new_session_s_centre_is_found_by_name(web: TestClient, service: Service) -> None:
    ids = programme(service)
    for i in range(23):  # not admitted: no sessions on request
        service.registry.add_centre(CentreInput(f"Kita Nr. {i:02}", "Erfurt", "n@example.org"))
    login(web, "office")
    listing = web.get("/sessions", params={"coach": "2"}).text
    assert 'href="/sessions/request?back=%2Fsessions%3Fcoach%3D2"' in listing
    assert 'name="centre"' not in listing  # no centre is listed above the list
    one = web.get("/sessions/request", params={"text": "löwen", "back": "/sessions?coach=2"})
    assert radios(one.text) == [(str(ids["loewe"]), True, "Kita Löwenzahn (Jena)")]
    assert 'name="text" value="löwen"' in html.unescape(one.text)  # the search is kept
    assert 'name="back" value="/sessions?coach=2"' in html.unescape(one.text)
    many = web.get("/sessions/unplanned", params={"text": "Nr."})
    assert [label for _, _, label in radios(many.text)] == [
        f"Kita Nr. {i:02} (Erfurt)" for i in range(20)
    ]
    assert "3 weitere gefunden: bitte genauer suchen." in many.text
    last = max(int(value) for value, _, _ in radios(many.text)) + 3  # Kita Nr. 22: not shown
    token = csrf_token(many.text)
    data = {"csrf_token": token, "text": "Nr.", "centre": str(last), "date": "2026-06-10"}
    refused = web.post("/sessions/unplanned", data={**data, "hours": "viel"})
    assert refused.status_code == 400
    assert radios(refused.text)[0] == (str(last), True, "Kita Nr. 22 (Erfurt)")  # kept
    assert len(radios(refused.text)) == 21
    for bad in ("9" * 5000, "abc", ""):
        again = web.post("/sessions/unplanned", data={**data, "centre": bad, "hours": "viel"})
        assert again.status_code in (400, 404)
        assert all(not checked for _, checked, _ in radios(again.text))
    none = web.get("/sessions/request", params={"text": "Nr."})  # in no stage with sessions
    assert radios(none.text) == []
    assert "Keine Einrichtung gefunden für „Nr.“" in html.unescape(none.text)
    refused = web.get("/sessions/request", params={"text": "x" * 201})
    assert refused.status_code == 400
    assert 'id="text-error">Suche: höchstens 200 Zeichen' in refused.text


def test_a_coach_finds_only_their_own_centres(web: TestClient, service: Service) -> None:
    ids = programme(service)
    login(web, "coach")
    mine = web.get("/sessions/unplanned")
    assert [label for _, _, label in radios(mine.text)] == [
        "Haus Ahorn (Gotha)",
        "Kita Pusteblume (Jena)",
    ]
    assert radios(web.get("/sessions/request", params={"text": "Löwen"}).text) == []
    assert web.get("/visits/new").status_code == 403  # the office's
    assert str(ids["loewe"]) not in [v for v, _, _ in radios(mine.text)]


def test_a_refused_new_session_keeps_the_search_and_the_choice(
    web: TestClient, service: Service, database_url: str
) -> None:
    ids = programme(service)
    token = login(web, "office")
    before = dump(database_url)
    data = {"csrf_token": token, "text": "kita", "back": "/sessions?district=Jena"}
    saturday = {**data, "centre": str(ids["loewe"]), "date": "2026-07-04", "hours": "2"}
    refused = web.post("/sessions/request", data=saturday)
    assert refused.status_code == 400
    assert (str(ids["loewe"]), True, "Kita Löwenzahn (Jena)") in radios(refused.text)
    assert ("Kita Pusteblume (Jena)") in [label for _, _, label in radios(refused.text)]
    assert 'id="date-error">Datum: 04.07.2026 ist kein Arbeitstag' in refused.text
    assert 'value="2026-07-04"' in refused.text
    assert 'name="back" value="/sessions?district=Jena"' in html.unescape(refused.text)
    unchosen = web.post("/sessions/unplanned", data={**data, "date": "2026-06-10", "hours": "2"})
    assert unchosen.status_code == 400
    assert '<fieldset class="choices" aria-describedby="centre-error">' in unchosen.text
    assert 'id="centre-error">Einrichtung: bitte eine Einrichtung wählen' in unchosen.text
    assert dump(database_url) == before
    done = web.post("/sessions/request", data={**saturday, "date": "2026-07-07"})
    assert str(done.url).endswith("/sessions?district=Jena")
    assert "auf Anfrage geplant am 07.07.2026" in done.text


def test_another_visit_s_centre_is_found_by_name(
    web: TestClient, service: Service, database_url: str
) -> None:
    ids = programme(service)
    token = login(web, "office")
    listing = web.get("/visits").text
    assert 'href="/visits/new?back=%2Fvisits"' in listing
    found = web.get("/visits/new", params={"text": "ahorn"})
    assert radios(found.text) == [(str(ids["ahorn"]), True, "Haus Ahorn (Gotha)")]
    before = dump(database_url)
    data = {"csrf_token": token, "text": "ahorn", "centre": str(ids["ahorn"])}
    refused = web.post("/visits", data={**data, "date": "2099-01-05", "note": "Rundgang"})
    assert refused.status_code == 400
    assert radios(refused.text) == [(str(ids["ahorn"]), True, "Haus Ahorn (Gotha)")]
    assert 'id="date-error">Datum: 05.01.2099 liegt in der Zukunft' in refused.text
    assert ">Rundgang</textarea>" in refused.text
    assert dump(database_url) == before
    done = web.post("/visits", data={**data, "date": TODAY.isoformat(), "note": ""})
    assert "Einrichtungsbesuch bei Haus Ahorn (Gotha) am 15.06.2026 erfasst." in (done.text)
