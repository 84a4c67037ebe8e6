"""The digest sent remembers its as-recorded moment; what changed since it was sent is
listed per centre (figures before and after, who corrected what and why), on the command
line and on the office's page, and the office's overview says so."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import Run, dump
from tests.conftest import BERLIN, TODAY
from tests.test_corrections import later
from tests.web_helpers import login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.errors import Refused
from thekiz_flow.core.model import Activity, CentreInput
from thekiz_flow.service import Service
from thekiz_flow.workflow.config import DigestSettings

pytestmark = pytest.mark.backends("sqlite", "postgresql")

ADMITTED = date(2025, 2, 3)


def held_in_2025(service: Service, clock: FrozenClock, coach: str = "1") -> tuple[int, Activity]:
    """A centre admitted on 3 February 2025 with a session held on 5 March (2 hours)."""
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach=coach), date(2025, 1, 6)
    )
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    clock.set(noon(TODAY, BERLIN))
    return centre, service.sessions.record(f"E{centre}", date(2025, 3, 5), "2", "Elternabend")


@pytest.fixture
def sent(service: Service, clock: FrozenClock, tmp_path: Path) -> tuple[int, Activity]:
    """Coach 1 and the centre of ``held_in_2025``; the digest of 2025 sent today."""
    service.runtime.digest = DigestSettings(dir=tmp_path / "digests")
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    found = held_in_2025(service, clock)
    assert service.digest.send(2025, service.digest.write(2025))
    return found


def test_the_digest_sent_remembers_its_moment(
    service: Service, clock: FrozenClock, sent: tuple[int, Activity]
) -> None:
    assert service.digest_changes.sent_at(2025) == clock.now()
    assert service.digest_changes.since_sent(2025).centres == ()
    assert service.digest_changes.changed_years() == []
    with pytest.raises(Refused, match="Der Jahresbericht 2024 wurde noch nicht an das Minis"):
        service.digest_changes.since_sent(2024)


def test_corrections_since_sent_are_listed(
    service: Service, clock: FrozenClock, sent: tuple[int, Activity]
) -> None:
    centre, held = sent
    later(clock)
    service.corrections.correct_session(held.id, "falsch abgelesen", hours="1,5")
    service.registry.update_coach(1, rate="80", valid_from=date(2025, 1, 1))  # held keep theirs
    changes = service.digest_changes.since_sent(2025)
    (changed,) = changes.centres
    assert (changed.centre_id, changed.name) == (centre, "Kita Pusteblume")
    figures = {f.name: (f.before, f.after) for f in changed.figures}
    assert figures == {"Stunden": ("2,0", "1,5"), "Kosten": ("130,00 €", "97,50 €")}
    (entry,) = changed.entries
    assert (entry.correction.reason, entry.correction.actor) == ("falsch abgelesen", "test")
    assert service.digest_changes.changed_years() == [2025]


def test_the_cli_lists_the_changes_since_sent(ready: Run, database_url: str) -> None:
    before = dump(database_url)
    never = ready("digest", "2025", "--changes-since-sent")
    assert (never.code, never.out) == (2, "")
    assert never.err == (
        "Fehler: Der Jahresbericht 2025 wurde noch nicht an das Ministerium gesendet\n"
    )
    together = ready("digest", "2025", "--changes-since-sent", "--send")
    assert together.code == 2
    assert "--changes-since-sent: nicht zusammen mit --send" in together.err
    assert dump(database_url) == before
    assert ready("advance", "1", "admit", "--on", "2025-02-03").code == 0
    done = ready("session", "done", "E1", "--date", "2025-03-05", "--hours", "2")
    assert done.code == 0, done
    assert ready("digest", "2025", "--send").code == 0
    unchanged = ready("digest", "2025", "--changes-since-sent")
    assert unchanged.code == 0, unchanged
    assert unchanged.out.startswith("Jahresbericht 2025, gesendet wie erfasst am ")
    assert unchanged.out.endswith(": seitdem unverändert.\n")
    held = done.out.split()[1]
    fixed = ready("session", "correct", held, "--hours", "3", "--reason", "falsch notiert")
    assert fixed.code == 0, fixed
    listed = ready("digest", "2025", "--changes-since-sent").out
    assert "seitdem geändert in 1 Einrichtung:\nEinrichtung 1 (Kita Pusteblume):\n" in listed
    assert "  Stunden: 2,0 → 3,0\n  Kosten: 130,00 € → 195,00 €\n" in listed
    assert "korrigiert: Stunden 2,0 → 3,0 (Grund: falsch notiert), von buero" in listed


def test_the_office_sees_the_changes_since_sent(
    web: TestClient, service: Service, clock: FrozenClock, tmp_path: Path
) -> None:
    service.runtime.digest = DigestSettings(dir=tmp_path / "digests")
    _, held = held_in_2025(service, clock)
    login(web, "coach")
    assert web.get("/digests/2025/changes").status_code == 403
    web.cookies.clear()
    login(web, "office")
    never = web.get("/digests/2025/changes")
    assert never.status_code == 400
    assert "wurde noch nicht an das Ministerium gesendet" in never.text
    assert service.digest.send(2025, service.digest.write(2025))
    assert "/digests/2025/changes" not in web.get("/").text
    assert 'href="/digests/2025/changes"' in web.get("/digests").text
    clock.set(clock.now() + timedelta(minutes=5))
    service.corrections.correct_session(held.id, "falsch abgelesen", hours="1,5")
    overview = web.get("/").text
    assert (
        "Der Jahresbericht 2025 hat sich seit dem Versand an das Ministerium geändert" in overview
    )
    page = web.get("/digests/2025/changes")
    assert page.status_code == 200
    assert "<td>Stunden</td><td>2,0</td><td>1,5</td>" in page.text
    assert "(Grund: falsch abgelesen), von " in page.text


def test_without_a_ministry_address_the_digest_waits_and_says_what_is_missing(
    service: Service, sent: tuple[int, Activity]
) -> None:
    """The office reads the reason in the outbox: what is missing, in German, and the setting
    that supplies it."""
    assert service.runtime.mail.ministry is None
    (row,) = [r for r in service.outbox.rows() if r.rule == "digest"]
    assert (row.status, row.recipient, row.last_error) == (
        OutboxStatus.FAILED,
        "",
        "keine Adresse des Ministeriums eingerichtet, Einstellung [mail] ministry",
    )
