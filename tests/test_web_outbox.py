"""The outbox page (filter, newest first, pages in SQL) and sending a failed mail again."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urljoin

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.test_web_overview import programme
from tests.web_helpers import assert_action_guarded, login
from thekiz_flow.core import paging
from thekiz_flow.core.enums import DeliveryStatus, OutboxStatus, Recipient
from thekiz_flow.core.outbox import Attempt, NewMail
from thekiz_flow.service import Service

_ROW = re.compile(r"<tr>\s*<td>(\d+)</td>")


def mails(service: Service, count: int, status: OutboxStatus = OutboxStatus.SENT) -> None:
    """``count`` more messages of ``status``, due one minute after another."""
    now = service.runtime.clock.now()
    with service.runtime.unit() as repo:
        store = repo.outbox
        first = len(store.find())
        store.add(
            [
                NewMail(
                    f"test:{first + n}",
                    "test",
                    Recipient.CENTRE,
                    f"kita{n}@example.org",
                    f"Nachricht {first + n}",
                    "",
                    "",
                    now + timedelta(minutes=n),
                    status=status,
                )
                for n in range(count)
            ],
            now,
        )


def shown(html: str) -> list[int]:
    return [int(n) for n in _ROW.findall(html)]


def follow(web: TestClient, html: str, label: str) -> str:
    found = re.search(rf'<a href="([^"]+)" rel="\w+">{label}', html)
    assert found is not None, f"no link {label!r}"
    return web.get(urljoin("/outbox", found.group(1).replace("&amp;", "&"))).text


@pytest.mark.parametrize(("role", "status"), [("office", 200), ("coach", 403), ("ministry", 403)])
def test_the_outbox_per_role(web: TestClient, service: Service, role: str, status: int) -> None:
    programme(service)
    login(web, role)
    assert web.get("/outbox").status_code == status


def test_the_outbox_shows_the_newest_first_a_page_at_a_time(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 4)
    mails(service, 2 * 4 + 3)
    ids = sorted((r.id for r in service.outbox.rows()), reverse=True)
    login(web, "office")
    first = web.get("/outbox").text
    assert shown(first) == ids[:4]
    assert "« zurück" not in first
    assert f"Postausgang ({len(ids)} von {len(ids)})" in first
    assert f'<option value="sent">versandt ({len(ids)})</option>' in first
    second = follow(web, first, "weiter")
    assert shown(second) == ids[4:8]
    third = follow(web, second, "weiter")
    assert shown(third) == ids[8:]
    assert "weiter »" not in third
    assert shown(follow(web, third, "« zurück")) == ids[4:8]
    assert shown(follow(web, second, "« zurück")) == ids[:4]


def test_the_outbox_by_status(web: TestClient, service: Service) -> None:
    programme(service)  # one failed message
    mails(service, 3)
    mails(service, 2, OutboxStatus.PENDING)
    login(web, "office")
    page = web.get("/outbox", params={"status": "Failed"})
    (failed,) = service.outbox.rows(OutboxStatus.FAILED)
    assert shown(page.text) == [failed.id]
    selected = '<option value="failed" selected>fehlgeschlagen (1)</option>'
    assert selected in web.get("/outbox", params={"status": "failed"}).text
    assert "Postfach voll" in page.text
    assert "Erinnerung &lt;Termin&gt;" in page.text
    assert "erneut senden" in page.text
    pending = web.get("/outbox", params={"status": "pending"}).text
    assert shown(pending) == sorted(
        (r.id for r in service.outbox.rows(OutboxStatus.PENDING)), reverse=True
    )
    assert "erneut senden" not in pending  # only failed messages are sent again


def test_wrong_filters_are_german_pages(web: TestClient) -> None:
    login(web, "office")
    wrong = web.get("/outbox", params={"status": "verloren"})
    assert wrong.status_code == 400
    assert "Stand: unbekannter Stand &#39;verloren&#39;" in wrong.text
    assert web.get("/outbox", params={"page": "x"}).status_code == 400


def test_retrying_a_failed_mail(web: TestClient, service: Service, database_url: str) -> None:
    programme(service)
    (row,) = service.outbox.rows(OutboxStatus.FAILED)
    path = f"/outbox/{row.id}/retry"
    assert_action_guarded(web, database_url, path, {}, forbidden=("coach", "ministry"))
    token = login(web, "office")
    done = web.post(path, data={"csrf_token": token, "next": "/"})
    assert done.url.path == "/"
    assert f"Nachricht {row.id} an fachstelle@example.org wird erneut versandt." in done.text
    assert {r.id: r.status for r in service.outbox.rows()}[row.id] == OutboxStatus.PENDING


def test_a_retry_returns_to_the_outbox_and_never_elsewhere(
    web: TestClient, service: Service
) -> None:
    programme(service)
    (row,) = service.outbox.rows(OutboxStatus.FAILED)
    token = login(web, "office")
    data = {"csrf_token": token, "next": "https://evil.example/"}
    done = web.post(f"/outbox/{row.id}/retry", data=data, follow_redirects=False)
    assert done.headers["location"] == "/outbox?status=failed"


def test_a_refused_retry_is_a_german_page_and_writes_nothing(
    web: TestClient, service: Service, database_url: str
) -> None:
    programme(service)
    (row,) = service.outbox.rows(OutboxStatus.FAILED)
    token = login(web, "office")
    assert web.post(f"/outbox/{row.id}/retry", data={"csrf_token": token}).status_code == 200
    before = dump(database_url)
    again = web.post(f"/outbox/{row.id}/retry", data={"csrf_token": token})
    assert again.status_code == 400
    assert "nur fehlgeschlagene mit Adresse werden erneut versandt" in again.text
    missing = web.post("/outbox/999/retry", data={"csrf_token": token})
    assert missing.status_code == 404
    assert "keine Nachricht mit der Nummer 999" in missing.text
    assert dump(database_url) == before


def test_a_message_page_shows_its_text_its_html_safely_and_its_history(
    web: TestClient, service: Service
) -> None:
    now = service.runtime.clock.now()
    html = '<p>Guten Tag</p><script>alert("x")</script><img src=x onerror="alert(1)">'
    mail = NewMail(
        "test:html", "test", Recipient.CENTRE, "kita@example.org", "Hallo", "Guten Tag\n", html, now
    )
    with service.runtime.unit() as repo:
        repo.outbox.add([mail], now)
        (claim,) = repo.outbox.claim(now, timedelta(minutes=1), 1)
        repo.outbox.record_attempts(
            [
                Attempt(
                    claim.mail.id,
                    1,
                    now,
                    DeliveryStatus.RETRY,
                    "kita@example.org",
                    451,
                    "Bitte später",
                )
            ]
        )
    login(web, "office")
    page = web.get(f"/outbox/{claim.mail.id}")
    assert page.status_code == 200
    text = page.text
    assert '<h2 id="verlauf">Verlauf</h2>' in text
    assert "vorläufig nicht zugestellt" in text
    assert "451 Bitte später" in text
    assert '<pre class="mail">Guten Tag\n</pre>' in text
    (frame,) = re.findall(r"<iframe[^>]*>", text)
    assert 'sandbox=""' in frame  # no script, no same origin, no forms
    assert "<script" not in text.split("<iframe", 1)[1].split("</iframe>", 1)[0]
    assert "&lt;script&gt;" in frame
    listed = web.get("/outbox").text
    assert f'href="/outbox/{claim.mail.id}#verlauf"' in listed


def test_a_message_not_yet_tried_says_so(web: TestClient, service: Service) -> None:
    mails(service, 1, OutboxStatus.PENDING)
    (row,) = service.outbox.rows()
    login(web, "office")
    assert "Noch kein Versuch, die Nachricht zu senden." in web.get(f"/outbox/{row.id}").text
