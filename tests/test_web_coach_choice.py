"""The lists' choice of coach is a search: never an option for every coach."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from tests.web_helpers import login
from thekiz_flow.service import Service
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


@pytest.mark.parametrize("path", ["/centres", "/sessions", "/visits"])
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
