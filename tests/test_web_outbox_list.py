"""The outbox list: filters by status, recipient, kind, address or subject and due days,
the newest or the oldest first, pages that keep them, and its export without the texts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from starlette.testclient import TestClient

from tests.conftest import BERLIN
from tests.list_helpers import beside, csv_export, next_page, xlsx_export
from tests.web_helpers import login
from thekiz_flow.core import paging
from thekiz_flow.core.enums import OutboxStatus, Recipient
from thekiz_flow.core.outbox import NewMail
from thekiz_flow.service import Service

_ROW = re.compile(r"<tr>\s*<td>(\d+)</td>")
SECRET = "Geheimer Inhalt"


def outbox(service: Service) -> list[int]:
    """Three messages due on 15, 16 and 17 June at noon in Berlin (the newest last):
    a reminder to a coach, sent; a visit to a centre, pending; a visit to the office,
    failed. Their ids in that order."""
    noon = datetime(2026, 6, 15, 12, tzinfo=BERLIN)
    mails = [
        ("session_upcoming", Recipient.COACH, "lena@example.org", "Termin am Montag", "sent"),
        ("visit_upcoming", Recipient.CENTRE, "kita@example.org", "Besuch <bald>", "pending"),
        ("visit_upcoming", Recipient.OFFICE, "buero@example.org", "Besuch am Freitag", "failed"),
    ]
    with service.runtime.unit() as repo:
        repo.outbox.add(
            [
                NewMail(
                    f"{rule}:{n}",
                    rule,
                    role,
                    address,
                    subject,
                    SECRET,
                    f"<p>{SECRET}</p>",
                    noon + timedelta(days=n),
                    status=OutboxStatus(status),
                )
                for n, (rule, role, address, subject, status) in enumerate(mails)
            ],
            service.runtime.clock.now(),
        )
        return sorted(r.id for r in repo.outbox.find())


def shown(web: TestClient, **params: str) -> list[int]:
    page = web.get("/outbox", params=params)
    assert page.status_code == 200, page.text
    return [int(n) for n in _ROW.findall(page.text)]


def test_the_outbox_is_filtered_and_sorted(web: TestClient, service: Service) -> None:
    sent, pending, failed = outbox(service)
    login(web, "office")
    assert shown(web) == [failed, pending, sent]
    assert shown(web, sort="newest") == [failed, pending, sent]
    assert shown(web, sort="oldest") == [sent, pending, failed]
    assert shown(web, status="pending") == [pending]
    assert shown(web, role="centre") == [pending]
    assert shown(web, role="coach") == [sent]
    assert shown(web, kind="visit_upcoming", sort="oldest") == [pending, failed]
    assert shown(web, text="KITA@") == [pending]
    assert shown(web, text="freitag") == [failed]
    assert shown(web, first="2026-06-16") == [failed, pending]
    assert shown(web, last="2026-06-16") == [pending, sent]
    assert shown(web, first="2026-06-16", last="2026-06-16") == [pending]
    assert shown(web, kind="eligible") == []
    page = web.get("/outbox", params={"kind": "visit_upcoming"}).text
    assert "Hinweis auf einen Einrichtungsbesuch" in page
    assert "visit_upcoming</" not in page  # the kind's id is no text of the page
    assert "Einrichtung: kita@example.org" in page
    assert SECRET not in page


def test_the_outbox_pages_keep_the_filters(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, pending, failed = outbox(service)
    monkeypatch.setattr(paging, "PAGE_SIZE", 1)
    login(web, "office")
    first = web.get("/outbox", params={"kind": "visit_upcoming", "sort": "oldest"}).text
    assert "Postausgang (2 von 3)" in first
    assert [int(n) for n in _ROW.findall(first)] == [pending]
    second = next_page(web, "/outbox", first)
    assert [int(n) for n in _ROW.findall(second)] == [failed]
    assert "Seite 2 von 2" in second
    assert 'href="/outbox/export.csv?kind=visit_upcoming&amp;sort=oldest"' in second


def test_the_outbox_exports_what_it_shows_without_the_texts(
    web: TestClient, service: Service
) -> None:
    sent, pending, failed = outbox(service)
    login(web, "office")
    rows = csv_export(web, "/outbox", sort="oldest")
    assert rows[0] == [
        "Nr.",
        "fällig",
        "Stand",
        "Art",
        "Empfänger",
        "Adresse",
        "Betreff",
        "Versuche",
        "letzter Fehler",
        "versandt",
    ]
    assert [r[:7] for r in rows[1:]] == [
        [
            str(sent),
            "15.06.2026 12:00",
            "versandt",
            "Hinweis auf einen Begleittermin",
            "Prozessbegleitung",
            "lena@example.org",
            "Termin am Montag",
        ],
        [
            str(pending),
            "16.06.2026 12:00",
            "wartet",
            "Hinweis auf einen Einrichtungsbesuch",
            "Einrichtung",
            "kita@example.org",
            "Besuch <bald>",
        ],
        [
            str(failed),
            "17.06.2026 12:00",
            "fehlgeschlagen",
            "Hinweis auf einen Einrichtungsbesuch",
            "Fachstelle",
            "buero@example.org",
            "Besuch am Freitag",
        ],
    ]
    assert all(SECRET not in cell for row in rows for cell in row)
    assert [r[0] for r in csv_export(web, "/outbox", status="failed")[1:]] == [str(failed)]
    sheet = xlsx_export(web, "/outbox", role="centre")
    assert sheet[0][:3] == ["Nr.", "fällig", "Stand"]
    assert sheet[1][:3] == [pending, "16.06.2026 12:00", "wartet"]
    assert all(SECRET not in str(cell) for row in sheet for cell in row)


def test_only_the_office_exports_the_outbox(web: TestClient) -> None:
    for role in ("coach", "ministry"):
        login(web, role)
        for path in ("/outbox/export.csv", "/outbox/export.xlsx"):
            assert web.get(path).status_code == 403


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"role": "chef"}, "role", "unbekannter Empfänger &#39;chef&#39;"),
        ({"kind": "werbung"}, "kind", "unbekannte Art &#39;werbung&#39;"),
        ({"first": "15.06.26"}, "first", "ungültiges Datum"),
        ({"first": "2026-06-16", "last": "2026-06-15"}, "last", "liegt vor dem ersten Tag"),
        ({"sort": "wichtig", "text": "kita"}, "sort", "unbekannte Sortierung"),
    ],
)
def test_a_wrong_outbox_filter_is_a_german_400_beside_its_field(
    web: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    login(web, "office")
    refused = web.get("/outbox", params=params)
    assert refused.status_code == 400
    assert message in beside(refused.text, field)
    for name in ("text", "first", "last"):  # what was typed is kept (a select offers its own)
        if name in params:
            assert f'name="{name}" value="{params[name]}"' in refused.text
    assert web.get("/outbox/export.csv", params=params).status_code == 400
