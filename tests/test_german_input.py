"""What the office writes, read the same way everywhere: dates as TT.MM.JJJJ or JJJJ-MM-TT,
amounts German first (62,50 €, 1.234,50), CSV files as German Excel saves them (Windows-1252
or UTF-8 with a byte order mark, semicolons, German headers), a coach by name. Bad input is
one German message naming the line and the field; nothing is written."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import TODAY
from tests.test_web_sessions import planned, programme
from tests.web_helpers import login
from thekiz_flow.core import csvtext, german, validate
from thekiz_flow.core.enums import ActivityStatus
from thekiz_flow.core.errors import InvalidInput, RowProblem, RowsRefused
from thekiz_flow.core.model import ActivityFilter
from thekiz_flow.service import Service

RATE = Decimal(1000)


# ------------------------------------------------------------------ the one parser
@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("15.03.2025", date(2025, 3, 15)),
        ("5.3.2025", date(2025, 3, 5)),
        (" 2025-03-15 ", date(2025, 3, 15)),
        ("29.02.2024", date(2024, 2, 29)),
    ],
)
def test_a_day_in_either_format(typed: str, read: date) -> None:
    assert validate.day("date", typed) == read


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("15.03.25", "ungültiges Datum '15.03.25' (Format TT.MM.JJJJ oder JJJJ-MM-TT)"),
        ("03/15/2025", "ungültiges Datum '03/15/2025' (Format TT.MM.JJJJ oder JJJJ-MM-TT)"),
        ("20250315", "ungültiges Datum '20250315' (Format TT.MM.JJJJ oder JJJJ-MM-TT)"),
        ("2025-W11-6", "ungültiges Datum '2025-W11-6' (Format TT.MM.JJJJ oder JJJJ-MM-TT)"),
        ("30.02.2025", "ungültiges Datum '30.02.2025': diesen Tag gibt es nicht"),
        ("2025-13-01", "ungültiges Datum '2025-13-01': diesen Tag gibt es nicht"),
    ],
)
def test_a_day_that_cannot_be_read_is_refused(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate.day("date", typed)
    assert (refused.value.field, refused.value.message) == ("date", message)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("62", "62"),
        ("62,5", "62.5"),
        ("62,50 €", "62.50"),
        ("62,50\xa0€", "62.50"),  # as German Excel writes a currency cell
        ("62,50€", "62.50"),
        ("€ 62,50", "62.50"),
        ("62,50 EUR", "62.50"),
        ("62.50", "62.50"),  # a point before two digits: English, the only reading
        ("1.234,50 €", "1234.50"),
        ("1,234.50", "1234.50"),  # both marks: the last one is the decimal mark
        ("1.234", "1234"),  # German first: a point before three digits groups thousands
        ("1.234.567", "1234567"),
        ("1,234,567", "1234567"),
        ("1,234", "1.234"),  # German first: a comma is the decimal mark
        ("0.125", "0.125"),  # no thousands after a 0
    ],
)
def test_a_number_read_german_first(typed: str, read: str) -> None:
    assert validate.number("rate", typed, unit="€") == Decimal(read)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.23,45", "keine Zahl: '1.23,45' (Tausender in Dreiergruppen, z. B. 1.234,50)"),
        ("1.234.56", "keine Zahl: '1.234.56' (Tausender in Dreiergruppen, z. B. 1.234,50)"),
        ("1,2,3", "keine Zahl: '1,2,3' (Tausender in Dreiergruppen, z. B. 1.234,50)"),
        ("1.234,5,6", "keine Zahl: '1.234,5,6' (Tausender in Dreiergruppen, z. B. 1.234,50)"),
        ("62,50 $", "keine Zahl: '62,50 $' (z. B. „2,5“ oder „1.234,50“)"),
        ("1e3", "keine Zahl: '1e3' (z. B. „2,5“ oder „1.234,50“)"),
        (
            "1,234",
            "höchstens zwei Nachkommastellen, nicht 1,234 (Tausender bitte mit Punkt: 1.234)",
        ),
        ("62.500", "muss größer als 0 und höchstens 1000 sein, nicht 62.500 (gelesen als 62500)"),
        ("1.234,50 €", "muss größer als 0 und höchstens 1000 sein, nicht 1.234,50 €"),
    ],
)
def test_an_amount_that_cannot_be_read_or_meant_is_refused(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate.amount("rate", typed, maximum=RATE, unit="€")
    assert (refused.value.field, refused.value.message) == ("rate", message)


AMOUNTS = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False)


@given(AMOUNTS)
def test_what_german_writes_the_parser_reads_back(value: Decimal) -> None:
    """german.number, euro and euro_plain (and the CSV writer) write what the parser reads."""
    assert validate.number("x", german.number(value)) == value
    assert validate.number("x", german.euro(value), unit="€") == value
    assert validate.number("x", german.euro_plain(value), unit="€") == value
    assert validate.number("x", csvtext.field(value)) == value


@given(
    st.dates(min_value=date(validate.FIRST_YEAR, 1, 1), max_value=date(validate.LAST_YEAR, 12, 31))
)
def test_what_german_writes_as_a_day_the_parser_reads_back(value: date) -> None:
    assert validate.day("x", german.short_date(value)) == value
    assert validate.day("x", csvtext.field(value)) == value
    assert validate.day("x", value.isoformat()) == value


@pytest.mark.parametrize("text", ["31.12.1899", "1899-12-31", "01.01.3000", "9999-12-31"])
def test_a_day_outside_the_years_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="Jahr nicht zwischen 1900 und 2999"):
        validate.day("Tag", text)


# ------------------------------------------------------------------ the files
EXCEL = (
    "Name;Kreis;E-Mail;Träger;Prozessbegleitung;Stufe;seit\r\n"
    "Kita Löwenzahn;Saale-Holzland-Kreis;loewe@example.org;Förderverein „Große Füße“ e. V.;"
    "Lena Sommer;Basisbegleitung;15.03.2025\r\n"
    "Kita Sonnenschein;Gera;sonne@example.org;Stadt Gera;jonas@example.org;;\r\n"
)


def coaches(service: Service) -> None:
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    service.registry.add_coach("Jonas Winter", "jonas@example.org", "60")


@pytest.mark.parametrize(
    "data",
    [EXCEL.encode("cp1252"), b"\xef\xbb\xbf" + EXCEL.encode(), EXCEL.encode()],
    ids=["windows-1252", "utf-8 with bom", "utf-8"],
)
@pytest.mark.backends("sqlite", "postgresql")
def test_a_centre_file_saved_by_german_excel_imports(service: Service, data: bytes) -> None:
    coaches(service)
    assert len(service.registry.import_centre_file("liste.csv", data)) == 2
    found = {c.name: c for c in service.registry.centres()}
    loewe, sonne = found["Kita Löwenzahn"], found["Kita Sonnenschein"]
    assert (loewe.district, loewe.carrier) == (
        "Saale-Holzland-Kreis",
        "Förderverein „Große Füße“ e. V.",
    )
    assert (loewe.stage, loewe.stage_since, loewe.coach_id) == (
        "basisbegleitung",
        date(2025, 3, 15),
        1,
    )
    assert (sonne.stage, sonne.coach_id) == ("interessent", 2)


def test_columns_without_a_name_stay_empty(service: Service, database_url: str) -> None:
    """Excel writes a separator for each formatted empty column, in every line."""
    data = b"Name;Kreis;E-Mail;;\r\nKita Eins;Jena;eins@example.org;;\r\n;;;;\r\n"
    assert len(service.registry.import_centre_file("liste.csv", data)) == 1
    before = dump(database_url)
    with pytest.raises(RowsRefused) as refused:
        service.registry.import_centre_file(
            "liste.csv", data.replace(b"Eins", b"Zwei").replace(b"org;;", b"org;;x")
        )
    assert refused.value.problems == [
        RowProblem(2, None, "ein Wert in einer Spalte ohne Namen in Zeile 1")
    ]
    assert dump(database_url) == before


def test_english_headers_and_commas_still_import(service: Service) -> None:
    coaches(service)
    data = (
        b"NAME , district,email,Stage_Since,stage,coach\n"
        b"Kita Eins,Jena,eins@example.org,2025-03-15,vertiefungsbegleitung,1\n"
    )
    (made,) = service.registry.import_centre_file("list.csv", data)
    (centre,) = service.registry.centres()
    assert (centre.id, centre.stage, centre.stage_since) == (
        made,
        "vertiefungsbegleitung",
        date(2025, 3, 15),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            "Name;Kreis;E-Mail\nKita Löwe;Gera;a@example.org\n".encode("mac_roman"),
            "liste.csv: Zeile 2: Zeichenkodierung nicht sicher erkannt ('Lšwe' als "
            "Windows-1252 gelesen); bitte in Excel als „CSV UTF-8 (durch Trennzeichen "
            "getrennt)“ speichern",
        ),
        (
            "Name;Kreis;E-Mail\nKita Süd;Gera;a@example.org\n".encode("cp850"),
            "liste.csv: weder UTF-8 noch Windows-1252; bitte in Excel als „CSV UTF-8 (durch "
            "Trennzeichen getrennt)“ speichern",
        ),
        (
            "Name;Kreis;E-Mail\nKita Süd;Gera;a@example.org\n".encode("utf-16"),
            "liste.csv: eine UTF-16-Datei (oder keine Textdatei); bitte in Excel als „CSV "
            "UTF-8 (durch Trennzeichen getrennt)“ speichern",
        ),
        (
            b"PK\x03\x04\x14\x00",
            "liste.csv: eine Excel-Arbeitsmappe, keine CSV-Datei; bitte in Excel als „CSV "
            "UTF-8 (durch Trennzeichen getrennt)“ speichern",
        ),
        (b"Name;Kreis;Mail;Kreis\n", "liste.csv: Zeile 1: die Spalte „Kreis“ steht doppelt"),
        (b"Name;Kreis\n", "liste.csv: Zeile 1: die Spalte „E-Mail“ fehlt"),
    ],
    ids=["mac roman", "dos", "utf-16", "xlsx", "twice", "missing"],
)
def test_a_file_that_cannot_be_read_for_sure_is_refused(
    service: Service, database_url: str, data: bytes, message: str
) -> None:
    before = dump(database_url)
    with pytest.raises(InvalidInput) as refused:
        service.registry.import_centre_file("liste.csv", data)
    assert str(refused.value) == message
    assert dump(database_url) == before


@pytest.mark.backends("sqlite", "postgresql")
def test_a_coach_by_name_only_where_unique(service: Service, database_url: str) -> None:
    coaches(service)
    service.registry.add_coach("Lena Sommer", "lena.zwei@example.org", "60")
    before = dump(database_url)
    data = (
        "Name;Kreis;E-Mail;Prozessbegleitung;Stufe;seit\n"
        "Kita Eins;Jena;eins@example.org;  jonas   WINTER ;;\n"
        "Kita Zwei;Gera;zwei@example.org;Lena Sommer;;\n"
        "Kita Drei;Gera;drei@example.org;Erika Muster;;\n"
        "Kita Vier;Suhl;vier@example.org;;Basisbegleitung;15.03.20255\n"
    ).encode("cp1252")
    with pytest.raises(RowsRefused) as refused:
        service.registry.import_centre_file("liste.csv", data)
    assert refused.value.problems == [
        RowProblem(
            3,
            "Prozessbegleitung",
            "mehrdeutig: 2 Prozessbegleitungen heißen 'Lena Sommer' (Nr. 1 lena@example.org, "
            "Nr. 3 lena.zwei@example.org); bitte Nummer oder E-Mail angeben",
        ),
        RowProblem(
            4,
            "Prozessbegleitung",
            "keine Prozessbegleitung 'Erika Muster' (Nummer, E-Mail oder Name)",
        ),
        RowProblem(
            5,
            "seit",
            "ungültiges Datum '15.03.20255' (Format TT.MM.JJJJ oder JJJJ-MM-TT)",
        ),
    ]
    assert str(refused.value).startswith(
        "liste.csv: nichts importiert, 3 Fehler: Zeile 3, Feld „Prozessbegleitung“: mehrdeutig"
    )
    assert dump(database_url) == before
    fixed = data.replace(b"Lena Sommer", b"3").replace(b"Erika Muster", b"").replace(b"55", b"5")
    assert len(service.registry.import_centre_file("liste.csv", fixed)) == 4
    assert {c.name: c.coach_id for c in service.registry.centres()}["Kita Eins"] == 2


def test_a_column_the_file_lacks_is_named_in_german(service: Service) -> None:
    data = b"Name;Kreis;E-Mail;Stufe\nKita Eins;Jena;eins@example.org;Pausiert\n"
    with pytest.raises(RowsRefused) as refused:
        service.registry.import_centre_file("liste.csv", data)
    (problem,) = refused.value.problems
    assert (problem.line, problem.field) == (2, "fortgesetzt in")
    assert problem.message.startswith("fehlt; eine Einrichtung in der Stufe Pausiert")


def test_trainings_from_german_excel(service: Service, database_url: str) -> None:
    data = (
        "Art;Titel;Datum;Ort;Plätze\r\n"
        "Reflexionsfortbildung;Reflexion im Frühjahr;12.03.2027;Weißensee;12\r\n"
        "auftakt;Auftakt;2027-02-05;Jena;25\r\n"
    ).encode("cp1252")
    assert service.trainings.import_training_file("fortbildungen.csv", data) == [1, 2]
    (first,) = [t for t, _, _ in service.trainings.find() if t.id == 1]
    assert (first.kind, first.title, first.date, first.place) == (
        "reflexion",
        "Reflexion im Frühjahr",
        date(2027, 3, 12),
        "Weißensee",
    )
    before = dump(database_url)
    bad = "Art;Titel;Datum;Ort;Plätze\nfachtag;Fachtag;31.04.2027;Gera;viele\n".encode()
    with pytest.raises(RowsRefused) as refused:
        service.trainings.import_training_file("f.csv", bad)
    assert str(refused.value) == (
        "f.csv: nichts importiert, 1 Fehler: Zeile 2, Feld „Datum“: ungültiges Datum "
        "'31.04.2027': diesen Tag gibt es nicht"
    )
    assert dump(database_url) == before


# ------------------------------------------------------------------ the command line
def test_the_command_line_reads_german_dates_and_amounts(ready: Run, database_url: str) -> None:
    added = ready("coach", "add", "--name=Jonas Winter", "--email=j@example.org", "--rate=62,50 €")
    assert added.code == 0, added
    assert ready("advance", "1", "admit", "--on", "01.02.2024").code == 0
    day = german.short_date(berlin_today())
    held = ready("session", "done", "E1", "--date", day, "--hours", "2,5")
    assert held.code == 0, held
    (session,) = json.loads(ready("activities", "--status=held", "--json").out)
    assert (session["date"], session["hours"]) == (berlin_today().isoformat(), 2.5)
    rates = {c["name"]: c["rate"] for c in json.loads(ready("coach", "list", "--json").out)}
    assert rates["Jonas Winter"] == 62.5
    before = dump(database_url)
    for args, message in (
        (("--date", "31.02.2026", "--hours", "2"), "Fehler: --date: ungültiges Datum"),
        (("--date", day, "--hours", "2.500"), "Fehler: --hours: muss größer als 0 und höchstens"),
    ):
        refused = ready("session", "done", "E1", *args)
        assert (refused.code, refused.out) == (2, "")
        assert refused.err.startswith(message), refused.err
    assert dump(database_url) == before


def test_the_command_line_imports_a_german_excel_file(
    ready: Run, database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "bad.csv").write_bytes(
        "Name;Kreis;E-Mail;Prozessbegleitung\nKita Süd;Gera;sued@example.org;Lena Somer\n".encode(
            "cp1252"
        )
    )
    before = dump(database_url)
    refused = ready("centre", "import", "bad.csv")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err == (
        "Fehler: bad.csv: nichts importiert, 1 Fehler: Zeile 2, Feld „Prozessbegleitung“: "
        "keine Prozessbegleitung 'Lena Somer' (Nummer, E-Mail oder Name)\n"
    )
    assert dump(database_url) == before
    (tmp_path / "good.csv").write_bytes(
        (tmp_path / "bad.csv").read_bytes().replace(b"Lena Somer", b"Lena Sommer")
    )
    done = ready("centre", "import", "good.csv")
    assert done.out == "1 Einrichtungen importiert (Nr. 3–3).\n", done


# ------------------------------------------------------------------ the web pages
def test_the_forms_read_german_dates_and_amounts(
    web: TestClient, service: Service, database_url: str
) -> None:
    mine, _ = programme(service)
    session = next(s for s in planned(service, mine) if s.date < TODAY)
    token = login(web, "office")
    before = dump(database_url)
    data = {"date": "31.02.2026", "hours": "2,5", "csrf_token": token}
    refused = web.post(f"/sessions/{session.id}/record", data=data)
    assert refused.status_code == 400
    assert "Datum: ungültiges Datum &#39;31.02.2026&#39;: diesen Tag gibt es nicht" in refused.text
    assert dump(database_url) == before
    data["date"] = german.short_date(session.date)
    assert web.post(f"/sessions/{session.id}/record", data=data).status_code == 200
    (held,) = service.overview.activities(
        ActivityFilter(centre_id=mine, status=ActivityStatus.HELD)
    )
    assert (held.date, held.hours) == (session.date, Decimal("2.5"))
    form = {"name": "Erika Beispiel", "email": "erika@example.org", "csrf_token": token}
    refused = web.post("/coaches/new", data={**form, "rate": "62.500 €"})
    assert refused.status_code == 400
    assert "(gelesen als 62500)" in refused.text
    assert web.post("/coaches/new", data={**form, "rate": "62,50 €"}).status_code == 200
    rates = {c.name: c.rate for c in service.registry.coaches()}
    assert rates["Erika Beispiel"] == Decimal("62.50")


def test_the_import_page_takes_a_german_excel_file(
    web: TestClient, service: Service, database_url: str
) -> None:
    token = login(web, "office")
    before = dump(database_url)
    bad = "Name;Kreis;E-Mail\nKita Süd;Erfurd;sued@example.org\n".encode("cp1252")
    refused = web.post(
        "/centres/import", data={"csrf_token": token}, files={"file": ("liste.csv", bad)}
    )
    assert refused.status_code == 400
    assert "Zeile 2, Feld „Kreis“: unbekannter Kreis &#39;Erfurd&#39;" in refused.text
    assert dump(database_url) == before
    good = bad.replace(b"Erfurd", b"Erfurt")
    done = web.post(
        "/centres/import", data={"csrf_token": token}, files={"file": ("liste.csv", good)}
    )
    assert "1 Einrichtungen importiert" in done.text
    assert [c.name for c in service.registry.centres()] == ["Kita Süd"]


def test_the_catalogue_takes_a_german_excel_file(
    web: TestClient, service: Service, database_url: str
) -> None:
    token = login(web, "office")
    before = dump(database_url)
    bad = "Art;Titel;Datum;Ort;Plätze\nFachtag;Fachtag Süd;15.09.27;Weißensee;80\n"
    files = {"file": ("fortbildungen.csv", bad.encode("cp1252"), "text/csv")}
    refused = web.post("/trainings/import", data={"csrf_token": token}, files=files)
    assert refused.status_code == 400
    assert (
        "fortbildungen.csv: nichts importiert, 1 Fehler: Zeile 2, Feld „Datum“: ungültiges "
        "Datum &#39;15.09.27&#39; (Format TT.MM.JJJJ oder JJJJ-MM-TT)"
    ) in refused.text
    assert dump(database_url) == before
    good = bad.replace("15.09.27", "15.09.2027").encode("cp1252")
    files = {"file": ("fortbildungen.csv", good, "text/csv")}
    done = web.post("/trainings/import", data={"csrf_token": token}, files=files)
    assert "1 Fortbildungen importiert." in done.text
    ((training, _, _),) = service.trainings.find()
    assert (training.kind, training.title, training.date, training.place) == (
        "fachtag",
        "Fachtag Süd",
        date(2027, 9, 15),
        "Weißensee",
    )
