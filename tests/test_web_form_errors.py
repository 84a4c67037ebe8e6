"""Every web form refuses a bad value beside its field, in German, without a command-line flag.

Each form is sent once with one bad value: the answer is 400, names the field by its German
label (never ``--email``), shows the message in the field's error element (the field
``aria-describedby`` it), keeps what was typed and writes nothing.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.conftest import BERLIN, TODAY
from tests.web_helpers import USERS, login
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import ActivityFilter, CentreInput
from thekiz_flow.service import Service

LONG = "x" * 2001  # longer than a reason may be


@dataclass(frozen=True)
class Form:
    path: str  # with {centre}, {session}, {training}, {user}
    data: dict[str, str]
    field: str  # the input the message belongs beside
    message: str  # as the page shows it (escaped)
    kept: str | None  # the typed value as the form shows it again (None: a password, a box)


FORMS = [
    Form(
        "/centres/new",
        {"name": "Kita Neu", "district": "Jena", "email": "kein-at"},
        "email",
        "E-Mail: ungültige E-Mail-Adresse &#39;kein-at&#39;",
        'value="kein-at"',
    ),
    Form(
        "/centres/{centre}/edit",
        {"name": "Kita Neu", "district": "Jena", "email": "kein-at", "weekday": "keiner"},
        "email",
        "E-Mail: ungültige E-Mail-Adresse &#39;kein-at&#39;",
        'value="kein-at"',
    ),
    Form(
        "/centres/{centre}/advance",
        {"trigger": "pause", "on": "morgen"},
        "on",
        "Datum: ungültiges Datum &#39;morgen&#39; (Format TT.MM.JJJJ oder JJJJ-MM-TT)",
        'value="morgen"',
    ),
    Form(
        "/centres/{centre}/coach",
        {"coach": "99"},
        "coach",
        "Prozessbegleitung: keine Prozessbegleitung &#39;99&#39; (Nummer, E-Mail oder Name)",
        None,
    ),
    Form(
        "/sessions/{session}/record",
        {"date": "2026-06-01", "hours": "viel", "note": "Notiz bleibt"},
        "hours",
        "Stunden: keine Zahl: &#39;viel&#39; (z. B. „2,5“ oder „1.234,50“)",
        'value="viel"',
    ),
    Form(
        "/sessions/{session}/move",
        {"date": "morgen", "reason": "Krankheit"},
        "date",
        "Datum: ungültiges Datum &#39;morgen&#39; (Format TT.MM.JJJJ oder JJJJ-MM-TT)",
        'value="morgen"',
    ),
    Form(
        "/sessions/{session}/cancel",
        {"reason": LONG},
        "reason",
        "Grund: höchstens 2000 Zeichen, nicht 2001",
        f'value="{LONG}"',
    ),
    Form(
        "/visits",
        {"centre": "abc", "date": "2026-06-01", "note": "n"},
        "centre",
        "Einrichtung: ungültige Nummer &#39;abc&#39;",
        None,  # chosen from a list: a value not in it cannot be shown again
    ),
    Form(
        "/visits",
        {"centre": "{centre}", "date": "abc", "note": "n"},
        "date",
        "Datum: ungültiges Datum &#39;abc&#39; (Format TT.MM.JJJJ oder JJJJ-MM-TT)",
        'value="abc"',
    ),
    Form(
        "/trainings/{training}/cancel",
        {"centre": "{centre}", "reason": LONG},
        "reason",
        "Grund: höchstens 2000 Zeichen, nicht 2001",
        f'value="{LONG}"',
    ),
    Form(
        "/account/password",
        {
            "current": "falsch-falsch-falsch",
            "new": "ein-neues-Passwort",
            "repeat": "ein-neues-Passwort",
        },
        "current",
        "Aktuelles Passwort: stimmt nicht",
        None,
    ),
    Form(
        "/users/{user}/password",
        {"new": "kurz", "repeat": "kurz"},
        "new",
        "Neues Passwort: mindestens 12 Zeichen, nicht 4",
        None,
    ),
    Form("/users/{user}/disable", {}, "confirm", "Bitte bestätigen: Häkchen setzen", None),
]


def _setup(service: Service) -> dict[str, int]:
    """A centre of coach 1 with planned sessions, a training it is enrolled in, a user."""
    assert isinstance(service.runtime.clock, FrozenClock)
    admitted = date(2026, 3, 2)
    service.runtime.clock.set(noon(admitted, BERLIN))
    centre = service.registry.add_centre(
        CentreInput("Kita Pusteblume", "jena", "k@example.org", coach="1"), admitted
    )
    service.lifecycle.advance(centre, "admit", on=admitted)
    service.runtime.clock.set(noon(TODAY, BERLIN))
    where = ActivityFilter(
        centre_id=centre, kind=ActivityKind.COACHING, status=ActivityStatus.PLANNED
    )
    session = service.overview.activities(where)[0].id
    training = service.trainings.add("reflexion", "Reflexion", "2026-09-10", "Jena", "12")
    service.trainings.enrol(training, centre)
    user = next(u.id for u in service.users.all() if u.email == USERS["coach"])
    return {"centre": centre, "session": session, "training": training, "user": user}


def _no_flag(page: str, token: str) -> bool:
    """No ``--`` on the page (the random CSRF token may have one)."""
    return "--" not in page.replace(token, "")


def _beside(page: str, field: str) -> str:
    """The text of the field's error element; the field names it as its description."""
    assert f'aria-describedby="{field}-error"' in page
    found = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page, re.S)
    assert found is not None, f"no error beside {field}"
    return found.group(1)


@pytest.mark.parametrize("form", FORMS, ids=[f.path for f in FORMS])
def test_a_form_refuses_a_bad_value_beside_its_field(
    web: TestClient, service: Service, database_url: str, form: Form
) -> None:
    ids = _setup(service)
    token = login(web, "office")
    before = dump(database_url)
    data = {name: value.format(**ids) for name, value in form.data.items()}
    refused = web.post(form.path.format(**ids), data={**data, "csrf_token": token})
    assert refused.status_code == 400
    assert _no_flag(refused.text, token)
    assert _beside(refused.text, form.field) == form.message
    if form.kept is not None:
        assert form.kept in refused.text
    assert dump(database_url) == before


def test_a_note_typed_in_a_refused_session_form_is_kept(web: TestClient, service: Service) -> None:
    ids = _setup(service)
    token = login(web, "office")
    data = {"date": "2026-06-01", "hours": "viel", "note": "Netzwerk & Team", "csrf_token": token}
    refused = web.post(f"/sessions/{ids['session']}/record", data=data)
    assert ">Netzwerk &amp; Team</textarea>" in refused.text


def test_a_refusal_of_no_field_of_the_form_is_shown_above_it(
    web: TestClient, service: Service
) -> None:
    ids = _setup(service)
    token = login(web, "office")
    data = {"centre": "abc", "csrf_token": token}
    refused = web.post(f"/trainings/{ids['training']}/enrol", data=data)
    assert refused.status_code == 400
    assert '<p class="error" role="alert">Einrichtung: ungültige Nummer &#39;abc&#39;</p>' in (
        refused.text
    )
    twice = web.post(
        f"/trainings/{ids['training']}/enrol", data={**data, "centre": str(ids["centre"])}
    )
    assert "keine zweite Anmeldung möglich" in html.unescape(twice.text)
    assert _no_flag(twice.text, token)


def test_a_page_names_a_bad_filter_by_its_label(web: TestClient) -> None:
    token = login(web, "office")
    refused = web.get("/sessions", params={"month": "bald"})
    assert refused.status_code == 400
    assert "Monat: ungültiger Monat &#39;bald&#39; (Format JJJJ-MM)" in refused.text
    assert _no_flag(refused.text, token)
