"""The lists' choice of coach is a search: never an option for every coach."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import dump
from tests.test_web_planning import programme
from tests.web_helpers import csrf_token, login
from thekiz_flow.core.model import CentreInput
from thekiz_flow.service import Service
from thekiz_flow.service.registry import RegistryService
from thekiz_flow.web.coach_choice import CHOICES


def coach_options(html: str) -> list[str]:
    """The names the choice of coach offers."""
    found = re.search(r'<select[^>]*name="coach".*?</select>', html, re.S)
    assert found is not None
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', found.group(0))


@pytest.fixture
def many(web: TestClient, service: Service) -> TestClient:
    for n in range(1, 31):
        service.registry.add_coach(f"Coach {n:02}", f"coach{n}@example.org", "65")
    login(web, "office")
    return web


@pytest.mark.parametrize("path", ["/centres", "/sessions", "/visits", "/statements"])
def test_the_choice_offers_a_few_coaches_and_the_search_finds_the_others(
    many: TestClient, path: str
) -> None:
    first = coach_options(many.get(path).text)
    assert first == [f"Coach {n:02}" for n in range(1, CHOICES + 1)]
    assert coach_options(many.get(path, params={"coach_search": "coach27@"}).text) == ["Coach 27"]
    assert 'name="coach_search"' in many.get(path).text


def test_the_chosen_coach_is_offered_even_beyond_the_first(many: TestClient) -> None:
    chosen = many.get("/centres", params={"coach": "30"}).text  # Coach 29 (Lena is 1)
    assert coach_options(chosen)[0] == "Coach 29"
    assert re.search(r'<option value="30" selected>Coach 29</option>', chosen)


# ------------------------------------------------------ the forms' choices
def option_labels(html: str) -> list[str]:
    """Every label the choice of coach offers (the numbered ones and "ohne ...")."""
    found = re.search(r'<select[^>]*name="coach".*?</select>', html, re.S)
    assert found is not None
    return re.findall(r'<option value="(?:\d+|keine)"[^>]*>([^<]+)</option>', found.group(0))


def a_centre(service: Service) -> int:
    return service.registry.add_centre(CentreInput("Kita Sonne", "jena", "s@example.org"), None)


def by_name(n: int) -> str:
    return f"Coach {n:02}"


def with_email(n: int) -> str:
    return f"Coach {n:02} (coach{n}@example.org)"


FORMS: dict[str, tuple[str, Callable[[int], str]]] = {  # a page ({centre}), a coach's label
    "centre": ("/centres/{centre}", by_name),
    "new centre": ("/centres/new", by_name),
    "new user": ("/users/new", with_email),
    "calendar": ("/calendar", by_name),
}


@pytest.mark.parametrize("form", FORMS)
def test_a_form_offers_a_few_coaches_and_the_search_finds_the_others(
    many: TestClient, service: Service, form: str
) -> None:
    template, label = FORMS[form]
    path = template.format(centre=a_centre(service))
    page = many.get(path)
    assert page.status_code == 200
    assert coach_options(page.text) == [label(n) for n in range(1, CHOICES + 1)]
    assert 'name="coach_search"' in page.text
    by_mail = many.get(path, params={"coach_search": "coach27@"}).text
    assert coach_options(by_mail) == [label(27)]
    by_name = many.get(path, params={"coach_search": "oach 05"}).text
    assert coach_options(by_name) == [label(5)]


def test_the_centre_page_offers_its_coach_and_says_how_many_more(
    many: TestClient, service: Service
) -> None:
    centre = service.registry.add_centre(
        CentreInput("Kita Sonne", "jena", "s@example.org", coach="30"), None
    )
    text = many.get(f"/centres/{centre}").text  # Coach 29 (Lena is 1)
    assert option_labels(text) == [
        "Coach 29",
        *(f"Coach {n:02}" for n in range(1, CHOICES + 1)),
        "ohne Prozessbegleitung",
    ]
    assert re.search(r'<option value="30" selected>Coach 29</option>', text)
    assert "11 weitere gefunden: bitte genauer suchen." in text  # 31 coaches, 20 offered
    none = many.get(f"/centres/{centre}", params={"coach_search": "niemand"}).text
    assert "Keine Prozessbegleitung gefunden für „niemand“" in none
    assert option_labels(none) == ["Coach 29", "ohne Prozessbegleitung"]
    own = many.get(f"/centres/{centre}", params={"coach_search": "coach29@"}).text
    assert re.search(r'<option value="30" selected>Coach 29</option>', own)
    assert "Eine Prozessbegleitung gefunden für „coach29@“: sie ist ausgewählt." in own


def test_a_deactivated_coach_is_not_offered_for_a_centre(
    many: TestClient, service: Service
) -> None:
    service.registry.deactivate_coach(28)  # Coach 27
    path = f"/centres/{a_centre(service)}"
    assert coach_options(many.get(path, params={"coach_search": "coach27@"}).text) == []
    assert coach_options(many.get("/centres/new", params={"coach_search": "coach27@"}).text) == []


def test_assigning_a_coach_found_by_the_search(
    many: TestClient, service: Service, database_url: str
) -> None:
    centre = a_centre(service)
    token = csrf_token(many.get(f"/centres/{centre}").text)
    found = many.get(f"/centres/{centre}", params={"coach_search": "coach27@"}).text
    assert re.search(r'name="coach_search" value="coach27@"', found)  # kept in the form
    done = many.post(
        f"/centres/{centre}/coach",
        data={"csrf_token": token, "coach": "28", "coach_search": "coach27@"},
    )
    assert done.url.path == f"/centres/{centre}"
    assert service.registry.centre(centre)[0].coach_id == 28
    before = dump(database_url)
    refused = many.post(
        f"/centres/{centre}/coach",
        data={"csrf_token": token, "coach": "99", "coach_search": "coach12@"},
    )
    assert refused.status_code == 400
    assert re.search(r'<p class="field-error" id="coach-error">[^<]*99', refused.text)
    assert coach_options(refused.text) == ["Coach 27", "Coach 12"]  # the centre's, the search's
    assert dump(database_url) == before


def test_a_new_centre_with_a_coach_found_by_the_search(
    many: TestClient, service: Service, database_url: str
) -> None:
    token = csrf_token(many.get("/centres/new").text)
    typed = {"name": "Kita Mond", "district": "Gera", "email": "m@example.org", "on": ""}
    before = dump(database_url)
    refused = many.post(
        "/centres/new",
        data={"csrf_token": token, **typed, "coach": "99", "coach_search": "coach25@"},
    )
    assert refused.status_code == 400
    assert 'id="coach-error"' in refused.text
    assert coach_options(refused.text) == ["Coach 25"]
    assert dump(database_url) == before
    done = many.post(
        "/centres/new",
        data={"csrf_token": token, **typed, "coach": "26", "coach_search": "coach25@"},
    )
    assert done.status_code == 200
    centre = int(done.url.path.rsplit("/", 1)[1])
    assert service.registry.centre(centre)[0].coach_id == 26


def field_value(html: str, name: str) -> str:
    found = re.search(rf'<input type="[a-z]+" name="{name}" value="([^"]*)"', html)
    assert found is not None, name
    return found.group(1)


def test_searching_a_coach_in_the_new_centre_form_keeps_what_was_typed(
    many: TestClient, database_url: str
) -> None:
    """The search is inside the form: its button sends what was typed along, and the form
    comes back with it and the coaches found, nothing written (the required fields may
    still be empty)."""
    token = csrf_token(many.get("/centres/new").text)
    typed = {"name": "Kita Mond", "district": "Gera", "email": "", "carrier": "Stadt Gera"}
    before = dump(database_url)
    found = many.post(
        "/centres/new",
        data={
            "csrf_token": token,
            **typed,
            "on": "",
            "coach_search": "coach25@",
            "find_coach": "1",
        },
    )
    assert found.status_code == 200
    assert dump(database_url) == before
    assert coach_options(found.text) == ["Coach 25"]
    assert [field_value(found.text, n) for n in ("name", "email", "carrier", "coach_search")] == [
        "Kita Mond",
        "",
        "Stadt Gera",
        "coach25@",
    ]
    assert re.search(r'<option value="Gera" selected>', found.text)
    assert 'class="field-error"' not in found.text
    assert re.search(r'<button[^>]*name="find_coach"[^>]*formnovalidate', found.text)


def search_in_new_centre_form(client: TestClient, search: str, coach: str = "") -> str:
    token = csrf_token(client.get("/centres/new").text)
    data = {"csrf_token": token, "name": "Kita Mond", "district": "Gera", "email": ""}
    sent = client.post(
        "/centres/new", data={**data, "coach": coach, "coach_search": search, "find_coach": "1"}
    )
    assert sent.status_code == 200
    return sent.text


def chosen_coach(html: str) -> str | None:
    found = re.search(r'<select[^>]*name="coach".*?</select>', html, re.S)
    assert found is not None
    chosen = re.search(r'<option value="(\d+)" selected>', found.group(0))
    return None if chosen is None else chosen.group(1)


def test_a_search_that_finds_one_coach_chooses_it_and_says_so(
    many: TestClient, service: Service
) -> None:
    page = search_in_new_centre_form(many, "coach25@")
    coach = next(c for c in service.registry.coaches() if c.email == "coach25@example.org")
    assert chosen_coach(page) == str(coach.id)
    assert "Eine Prozessbegleitung gefunden für „coach25@“: sie ist ausgewählt." in page
    # a coach chosen before stays chosen: the search only offers the one it found
    other = next(c for c in service.registry.coaches() if c.email == "coach3@example.org")
    page = search_in_new_centre_form(many, "coach25@", str(other.id))
    assert chosen_coach(page) == str(other.id)
    assert "Eine Prozessbegleitung gefunden für „coach25@“: Coach 25, bitte oben wählen." in page


def test_a_search_that_finds_several_says_how_many_and_chooses_none(many: TestClient) -> None:
    page = search_in_new_centre_form(many, "coach2")  # Coach 02, 20 to 29
    assert chosen_coach(page) is None
    assert "11 gefunden für „coach2“: bitte oben eine wählen." in page
    page = search_in_new_centre_form(many, "Coach")
    assert f"30 gefunden für „Coach“, die ersten {CHOICES} stehen zur Wahl: bitte genauer" in page


def test_searching_a_coach_in_the_new_user_form_keeps_what_was_typed(
    many: TestClient, service: Service
) -> None:
    token = csrf_token(many.get("/users/new").text)
    before = service.users.all()
    found = many.post(
        "/users/new",
        data={
            "csrf_token": token,
            "email": "zugang@example.org",
            "role": "coach",
            "coach": "",
            "coach_search": "coach23@",
            "find_coach": "1",
        },
    )
    assert found.status_code == 200
    assert service.users.all() == before
    assert coach_options(found.text) == ["Coach 23 (coach23@example.org)"]
    coach = next(c for c in service.registry.coaches() if c.email == "coach23@example.org")
    assert chosen_coach(found.text) == str(coach.id)  # the one found is chosen
    assert field_value(found.text, "email") == "zugang@example.org"
    assert re.search(r'<option value="coach" selected>', found.text)


def test_a_coach_user_linked_to_a_coach_found_by_the_search(
    many: TestClient, service: Service
) -> None:
    token = csrf_token(many.get("/users/new").text)
    done = many.post(
        "/users/new",
        data={
            "csrf_token": token,
            "email": "zugang@example.org",
            "role": "coach",
            "coach": "24",
            "coach_search": "coach23@",
            "password": "ein-langes-Passwort",
            "repeat": "ein-langes-Passwort",
        },
    )
    assert done.status_code == 200
    assert "Zugang zugang@example.org angelegt." in done.text
    added = [u for u in service.users.all() if u.email == "zugang@example.org"]
    assert [u.coach_id for u in added] == [24]


# -------------------------------------------------------------------- feeds
def feed_rows(html: str) -> list[str]:
    return re.findall(r"<tr>\s*<td>([^<]+)</td>", html)


def test_the_feeds_page_lists_the_coaches_the_search_finds(
    many: TestClient, service: Service
) -> None:
    assert feed_rows(many.get("/feeds").text) == [f"Coach {n:02}" for n in range(1, CHOICES + 1)]
    assert "11 weitere gefunden" in many.get("/feeds").text
    found = many.get("/feeds", params={"coach_search": "coach29@"}).text
    assert feed_rows(found) == ["Coach 29"]
    token = csrf_token(found)
    made = many.post("/feeds/30/renew", data={"csrf_token": token})
    assert made.status_code == 200
    assert feed_rows(made.text)[0] == "Coach 29"  # the coach whose link was made, first


def test_a_coach_sees_only_their_own_feed(web: TestClient, service: Service) -> None:
    for n in range(1, 4):
        service.registry.add_coach(f"Coach {n:02}", f"coach{n}@example.org", "65")
    login(web, "coach")
    page = web.get("/feeds", params={"coach_search": "Coach"}).text
    assert feed_rows(page) == ["Lena Sommer"]
    assert 'name="coach_search"' not in page


# ----------------------------------------------------------------- calendar
def test_the_calendar_reads_only_the_month_s_centres(
    web: TestClient, service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, other = programme(service)

    def every(*_: object, **__: object) -> None:
        raise AssertionError("the calendar reads every centre or coach")

    monkeypatch.setattr(RegistryService, "centres", every)
    monkeypatch.setattr(RegistryService, "coaches", every)
    login(web, "office")
    july = web.get("/calendar", params={"month": "2026-07", "coach": ""})
    assert july.status_code == 200
    assert f'href="/centres/{mine}"' in july.text
    assert f'href="/centres/{other}"' in july.text
    assert "Jonas Winter" in july.text  # a session's coach by name
    lena = web.get("/calendar", params={"month": "2026-07", "coach_search": "lena@"}).text
    assert coach_options(lena) == ["Lena Sommer"]
    assert "coach_search=lena%40" in lena  # the months before and after search the same
