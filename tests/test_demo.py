"""`make demo` builds a believable programme from fictional data."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.cli_helpers import main
from tests.conftest import BERLIN, Demo
from tests.web_helpers import CHEAP_HASHER, csrf_token
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.core.enums import OutboxStatus
from thekiz_flow.core.errors import ConfigError
from thekiz_flow.service import Service
from thekiz_flow.service import users as service_users
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.outbox import OutboxStore
from thekiz_flow.store.simulation import SystemClock
from thekiz_flow.web import create_app
from thekiz_flow.workflow.config import ENV_SECRET_KEY, Settings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW


def test_demo_builds_a_programme(
    demo_build: Demo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(demo_build.folder)
    out = demo_build.output
    assert "Gesamt" in out
    assert "Stufenwechsel" in out
    monkeypatch.setenv("THEKIZ_FLOW_DATABASE_URL", "sqlite:///var/demo/thekiz-flow.db")
    assert main(["centre", "list", "--json"]) == 0
    centres = json.loads(capsys.readouterr().out)
    assert 60 <= len(centres) <= 80
    assert len({c["district"] for c in centres}) == 22
    stages = {c["stage"] for c in centres}
    assert {"interessent", "basisbegleitung", "vertiefungsbegleitung"} <= stages
    assert main(["coach", "list", "--json"]) == 0
    assert 8 <= len(json.loads(capsys.readouterr().out)) <= 12
    forced = []
    for centre in centres:
        assert main(["history", str(centre["id"]), "--json"]) == 0
        forced += [c for c in json.loads(capsys.readouterr().out) if c["forced"]]
    assert forced
    assert all(c["reason"] for c in forced)
    assert_sent_as_the_rules_say(Path("var/demo/thekiz-flow.db"))


def assert_sent_as_the_rules_say(database: Path) -> None:
    """Every mail of the demo went at the reminders' send time (08:00 in Erfurt), on a
    working day (the default rules let none go on another day), never before it was due."""
    workflow = load_workflow(DEFAULT_WORKFLOW)
    calendar = WorkCalendar.of(workflow)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            sent = OutboxStore(connection).find(OutboxStatus.SENT)
    finally:
        engine.dispose()
    assert len(sent) > 1000
    for row in sent:
        assert row.sent_at is not None
        when = row.sent_at.astimezone(BERLIN)
        assert (row.key, when.time()) == (row.key, workflow.send_at)
        assert calendar.is_working_day(when.date()), row.key
        assert row.sent_at >= row.due_at
    on_time = sum(row.sent_at == row.due_at for row in sent)
    assert on_time > 0.95 * len(sent)  # the rest became known after their day (late_days)


def test_the_demo_s_flag_serves_after_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thekiz_flow import demo
    from thekiz_flow.demo import serve

    monkeypatch.chdir(tmp_path)
    steps: list[str] = []

    def demonstrated(sink: object) -> int:
        steps.append("demo")
        return 0

    def served(service: Service, environ: Mapping[str, str]) -> None:
        assert isinstance(service.runtime.clock, SystemClock)
        assert environ is os.environ
        steps.append("serve")

    monkeypatch.setattr(demo, "run", demonstrated)
    monkeypatch.setattr(serve, "serve", served)
    assert demo.main([]) == 0
    assert steps == ["demo"]
    assert demo.main(["--serve"]) == 0
    assert steps == ["demo", "demo", "serve"]


def test_the_demo_site_signs_in_with_passwords_drawn_at_random(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thekiz_flow.demo.serve import announcement, prepare

    monkeypatch.setattr(service_users, "HASHER", CHEAP_HASHER)
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    site = prepare(service, {})
    assert [(s.role, s.email) for s in site.sign_ins] == [
        ("office", "buero@example.org"),
        ("coach", "lena@example.org"),
        ("ministry", "ministerium@example.org"),
    ]
    passwords = [s.password for s in site.sign_ins]
    assert len(set(passwords)) == 3
    assert all(len(p) >= 16 for p in passwords)
    assert [(u.role, u.coach_id) for u in service.users.all()] == [
        ("office", None),
        ("coach", 1),
        ("ministry", None),
    ]
    text = announcement(site)
    assert "http://127.0.0.1:8000/" in text
    assert all(s.email in text and s.password in text for s in site.sign_ins)
    assert f"{ENV_SECRET_KEY} ist nicht gesetzt" in text
    assert site.ephemeral_key
    with TestClient(site.app, base_url="https://testserver") as client:
        token = csrf_token(client.get("/login").text)
        data = {"email": "lena@example.org", "password": passwords[1], "csrf_token": token}
        assert "Abmelden" in client.post("/login", data=data).text


def test_the_demo_site_signs_cookies_with_the_key_of_the_environment(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thekiz_flow.demo.serve import announcement, prepare

    monkeypatch.setattr(service_users, "HASHER", CHEAP_HASHER)
    service.registry.add_coach("Lena Sommer", "lena@example.org", "65")
    with pytest.raises(ConfigError, match="mindestens 32 Zeichen"):
        prepare(service, {ENV_SECRET_KEY: "zu kurz"})
    key = "k" * 32
    site = prepare(service, {ENV_SECRET_KEY: key})
    assert not site.ephemeral_key
    assert ENV_SECRET_KEY not in announcement(site)
    office = site.sign_ins[0]
    with TestClient(site.app, base_url="https://testserver") as client:
        token = csrf_token(client.get("/login").text)
        data = {"email": office.email, "password": office.password, "csrf_token": token}
        client.post("/login", data=data)
        cookies = client.cookies
    again = create_app(Settings(), service.acting_as, key)  # a restart with the same key
    with TestClient(again, base_url="https://testserver", cookies=cookies) as client:
        assert "Abmelden" in client.get("/").text
