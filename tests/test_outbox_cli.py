"""The outbox and reminder commands: listing, retrying a failed mail, refusals, the preview."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cli_helpers import Result, Run, dump
from tests.conftest import BERLIN
from tests.outbox_helpers import OFFICE, add_pending, message_id, rows, write_config
from tests.smtp_servers import RefusingServer, free_port
from thekiz_flow.core.calendar import WorkCalendar
from thekiz_flow.service.outbox import NOTICE_RULE
from thekiz_flow.store.engine import make_engine
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

KEYS = {"id", "key", "to", "subject", "status", "attempts", "last_error"}


def use_smtp(port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the CLI sends over SMTP to 127.0.0.1:``port``."""
    config = write_config(tmp_path / "smtp.toml", port, batch_size=50, lease_seconds=60)
    monkeypatch.setenv("THEKIZ_FLOW_CONFIG", str(config))


def outbox(run: Run, *args: str) -> dict[int, dict[str, object]]:
    result = run("outbox", "--json", *args)
    assert (result.code, result.err) == (0, ""), result
    entries = json.loads(result.out)
    for entry in entries:
        assert set(entry) >= KEYS
    return {int(entry["id"]): entry for entry in entries}


def test_outbox_list_retry_and_send(
    ready: Run, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(database_url)
    try:
        due = datetime.now(UTC) - timedelta(minutes=1)
        ids = add_pending(engine, 3, due, to={2: "unbekannt@example.org"})
    finally:
        engine.dispose()
    refused = ids[1]
    with RefusingServer("unbekannt@example.org") as server:
        use_smtp(server.port, tmp_path, monkeypatch)
        sent = ready("outbox", "send")
        assert (sent.code, sent.err) == (0, "")
        assert sent.out == "3 versandt, 0 später erneut, 1 fehlgeschlagen.\n"  # 2 + the notice

        listed = outbox(ready)
        [notice] = [e for e in listed.values() if e["key"] == f"{NOTICE_RULE}:{refused}"]
        assert (notice["to"], notice["status"]) == (OFFICE, "sent")
        assert [listed[i]["status"] for i in ids] == ["sent", "failed", "sent"]
        assert listed[refused]["to"] == "unbekannt@example.org"
        assert listed[refused]["attempts"] == 1
        assert listed[refused]["last_error"] == "SMTP 550: 5.1.1 Mailbox unbekannt"
        assert list(outbox(ready, "--status", "failed")) == [refused]
        table = ready("outbox", "--status", "failed")
        assert table.code == 0
        assert "unbekannt@example.org" in table.out
        assert "pers" not in table.out  # person1, person3: sent, not listed

        server.refused = "niemand@example.org"  # the address works now
        retried = ready("outbox", "retry", str(refused))
        assert (retried.code, retried.err) == (0, "")
        assert retried.out == (
            f"Nachricht {refused} an unbekannt@example.org wird erneut versandt.\n"
        )
        assert outbox(ready)[refused]["status"] == "pending"
        assert ready("outbox", "send").out == "1 versandt, 0 später erneut, 0 fehlgeschlagen.\n"
    assert outbox(ready)[refused]["status"] == "sent"
    shown = ready("outbox", "show", str(refused))
    assert (shown.code, shown.err) == (0, "")
    assert shown.out.startswith(f"Nachricht {refused}: versandt\nan: unbekannt@example.org")
    assert "Verlauf (2)" in shown.out
    for part in ("abgelehnt", "550 5.1.1 Mailbox unbekannt", "angenommen", "250 "):
        assert part in shown.out
    assert shown.out.endswith(f"Guten Tag, Nachricht {refused - ids[0] + 1}.\n")
    detail = json.loads(ready("outbox", "show", str(refused), "--json").out)
    assert [(h["attempt"], h["outcome"], h["code"]) for h in detail["history"]] == [
        (1, "failed", 550),
        (2, "sent", 250),
    ]
    assert detail["history"][0]["reply"] == "5.1.1 Mailbox unbekannt"
    assert detail["text"] == f"Guten Tag, Nachricht {refused - ids[0] + 1}.\n"
    assert ready("outbox", "show", "999").code == 2
    engine = make_engine(database_url)
    try:
        found = rows(engine)
    finally:
        engine.dispose()
    assert sorted(server.message_ids) == sorted(message_id(r) for r in found.values())


@pytest.mark.parametrize(
    "args",
    [
        ("outbox", "retry", "SENT"),
        ("outbox", "retry", "999"),
        ("outbox", "--status", "kaputt"),
    ],
)
def test_refused_outbox_commands_write_nothing(
    ready: Run,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    engine = make_engine(database_url)
    try:
        [sent] = add_pending(engine, 1, datetime.now(UTC) - timedelta(minutes=1))
    finally:
        engine.dispose()
    with RefusingServer("niemand@example.org") as server:
        use_smtp(server.port, tmp_path, monkeypatch)
        assert ready("outbox", "send").out.startswith("1 versandt")
    before = dump(database_url)
    result = ready(*(str(sent) if a == "SENT" else a for a in args))
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("Fehler: ")
    assert result.err.count("\n") == 1
    assert dump(database_url) == before


def test_outbox_send_without_a_sender_claims_nothing(
    ready: Run, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit 2 means nothing written: no row may be left `sending` for a lease."""
    engine = make_engine(database_url)
    try:
        add_pending(engine, 1, datetime.now(UTC) - timedelta(minutes=1))
    finally:
        engine.dispose()
    config = tmp_path / "nosender.toml"
    config.write_text(
        f'[mail]\nbackend = "smtp"\n[mail.smtp]\nhost = "127.0.0.1"\nport = {free_port()}\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("THEKIZ_FLOW_CONFIG", str(config))
    before = dump(database_url)
    result = ready("outbox", "send")
    assert result == Result(2, "", "Fehler: mail.sender: Pflichtangabe fehlt für den Versand\n")
    assert dump(database_url) == before


def test_reminders_preview_lists_what_is_ahead_and_writes_nothing(
    ready: Run, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_smtp(free_port(), tmp_path, monkeypatch)  # the office's address; nothing is sent
    assert ready("advance", "1", "admit").code == 0
    before = dump(database_url)
    result = ready("reminders", "preview", "--days", "30", "--json")
    assert (result.code, result.err) == (0, ""), result
    ahead = json.loads(result.out)
    assert ahead
    now = datetime.now(UTC)
    # an occurrence of the next 30 days goes out then, or on the next working day
    calendar = WorkCalendar.of(load_workflow(DEFAULT_WORKFLOW))
    last = calendar.next_working_day((now + timedelta(days=30)).astimezone(BERLIN).date())
    for entry in ahead:
        assert set(entry) >= {"rule", "to", "when", "subject"}
        when = datetime.fromisoformat(entry["when"])
        assert now - timedelta(minutes=5) < when
        assert when.astimezone(BERLIN).date() <= last
        assert calendar.is_working_day(when.astimezone(BERLIN).date())
        assert entry["subject"]
    assert {e["to"] for e in ahead} <= {"lena@example.org", "pusteblume@example.org", OFFICE}
    assert dump(database_url) == before
    table = ready("reminders", "preview", "--days", "30")
    assert table.code == 0
    assert dump(database_url) == before
