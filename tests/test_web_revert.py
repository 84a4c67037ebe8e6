"""Withdrawing a centre's latest stage change on its page: the office's only, asked twice
(what will happen, then the revert), refusals beside the reason with what was typed."""

from __future__ import annotations

from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.test_corrections import ADMITTED, held_session
from tests.web_helpers import USERS, assert_action_guarded, login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

DEEPENED = date(2026, 6, 1)  # today: 15 June 2026


def deepened(service: Service, clock: FrozenClock) -> int:
    """A centre of coach 1 (the web's), admitted on 2 March, deepened (forced) on 1 June."""
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), ADMITTED
    )
    clock.set(noon(ADMITTED, BERLIN))
    service.lifecycle.advance(centre, "admit", on=ADMITTED)
    clock.set(noon(TODAY, BERLIN))
    service.lifecycle.advance(centre, "deepen", on=DEEPENED, reason="zu früh", force=True)
    return centre


def test_the_office_reverts_after_seeing_what_happens(
    web: TestClient, service: Service, clock: FrozenClock, database_url: str
) -> None:
    centre = deepened(service, clock)
    path = f"/centres/{centre}/revert"
    data = {"revert_reason": "falsch geklickt"}
    assert_action_guarded(web, database_url, path, data, forbidden=("coach", "ministry"))
    token = login(web, "office")
    page = web.get(f"/centres/{centre}")
    assert "Letzten Stufenwechsel zurücknehmen" in page.text
    assert "Basisbegleitung → Vertiefungsbegleitung ab 01.06.2026" in page.text
    before = dump(database_url)
    asked = web.post(path, data={"csrf_token": token, **data})
    assert asked.status_code == 200
    assert dump(database_url) == before
    assert "Basisbegleitung → Vertiefungsbegleitung ab 01.06.2026 zurücknehmen" in asked.text
    assert "Kita Pusteblume (Jena) kehrt zurück in die Stufe Basisbegleitung." in asked.text
    assert "werden abgesagt." in asked.text
    assert "neu geplant." in asked.text
    assert "Die Prozessbegleitung erhält eine E-Mail." in asked.text
    assert '<input type="hidden" name="revert_reason" value="falsch geklickt">' in asked.text
    done = web.post(path, data={"csrf_token": token, **data, "confirmed": "ja"})
    assert done.url.path == f"/centres/{centre}"
    assert "Stufenwechsel zurückgenommen: wieder Basisbegleitung." in done.text
    assert "(zurückgenommen)</strong>" in done.text
    assert "Letzten Stufenwechsel zurücknehmen" in done.text  # now the admission's
    assert "Interessent → Basisbegleitung ab 02.03.2026" in done.text
    centre_now, _ = service.registry.centre(centre)
    assert centre_now.stage == "basisbegleitung"
    (entry,) = [e.correction for e in service.corrections.of_centre(centre)]
    assert (entry.actor, entry.reason) == (USERS["office"], "falsch geklickt")


@pytest.mark.parametrize("confirmed", ["", "ja"])
def test_refusals_are_shown_beside_the_reason(
    web: TestClient,
    service: Service,
    clock: FrozenClock,
    database_url: str,
    confirmed: str,
) -> None:
    centre = deepened(service, clock)
    token = login(web, "office")
    before = dump(database_url)
    extra = {"confirmed": confirmed} if confirmed else {}
    empty = web.post(
        f"/centres/{centre}/revert", data={"csrf_token": token, "revert_reason": " ", **extra}
    )
    assert empty.status_code == 400
    assert 'class="field-error"' in empty.text
    assert "darf nicht leer sein" in empty.text
    held_session(service, centre, date(2026, 6, 3))
    before = dump(database_url)
    held = web.post(
        f"/centres/{centre}/revert",
        data={"csrf_token": token, "revert_reason": "zu früh", **extra},
    )
    assert held.status_code == 400
    assert "der Stufenwechsel kann nicht zurückgenommen werden" in held.text
    assert 'value="zu früh"' in held.text
    assert dump(database_url) == before


def test_a_centre_without_a_change_offers_no_revert(
    web: TestClient, service: Service, database_url: str
) -> None:
    centre = service.registry.add_centre(
        CentreInput("Kita Neu", "jena", "neu@example.org"), date(2026, 3, 2)
    )
    token = login(web, "office")
    assert "Letzten Stufenwechsel zurücknehmen" not in web.get(f"/centres/{centre}").text
    before = dump(database_url)
    refused = web.post(
        f"/centres/{centre}/revert", data={"csrf_token": token, "revert_reason": "x"}
    )
    assert refused.status_code == 400
    assert f"Einrichtung {centre} hat keinen Stufenwechsel" in refused.text
    assert dump(database_url) == before
