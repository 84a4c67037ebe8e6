"""`thekiz-flow digest` through the real entry point."""

from __future__ import annotations

import csv
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest

from tests.cli_helpers import Run, berlin_today, dump
from tests.conftest import BERLIN
from thekiz_flow.core.clock import FrozenClock

WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)
SATURDAY = datetime(2026, 12, 5, 10, 0, tzinfo=BERLIN)


def at(moment: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's clock stands at ``moment``."""
    monkeypatch.setattr("thekiz_flow.cli.app.SystemClock", lambda: FrozenClock(moment))


def test_digest_writes_four_files_and_sends_once(
    ready: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(WEDNESDAY, monkeypatch)
    (tmp_path / "config.toml").write_text(
        "[mail]\nsender = 'thekiz-flow@example.org'\noffice = 'fachstelle@example.org'\n"
        "ministry = 'ministerium@example.org'\n",
        encoding="utf-8",
    )
    assert ready("advance", "1", "admit", "--on", "2024-02-01").code == 0
    result = ready("digest", "2024", "--out", "berichte")
    assert result.code == 0, result
    paths = [Path(line) for line in result.out.splitlines()]
    assert [p.name for p in paths] == [
        "digest-2024.html",
        "digest-2024.csv",
        "digest-2024.xlsx",
        "digest-2024.pdf",
    ]
    assert all((tmp_path / p).is_file() for p in paths)
    text = (tmp_path / paths[1]).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines(), delimiter=";"))
    assert [(r["Einrichtung"], r["Stufe 31. Dezember"]) for r in rows] == [
        ("Kita Pusteblume", "Basisbegleitung"),
        ("Kita Regenbogen", "Interessent"),
    ]
    sent = ready("digest", "2024", "--out", "berichte", "--send")
    assert "in den Postausgang gestellt" in sent.out
    again = ready("digest", "2024", "--out", "berichte", "--send")
    assert "war schon im Postausgang" in again.out
    mails = [
        message_from_bytes(m.read_bytes(), policy=default)
        for m in (tmp_path / "var" / "mail").glob("*.eml")
    ]
    digests = [m for m in mails if m["Subject"] == "Jahresbericht ThEKiZ 2024"]
    assert len(digests) == 1
    assert digests[0]["To"] == "ministerium@example.org"
    message = digests[0]
    assert isinstance(message, EmailMessage)
    names = sorted(str(part.get_filename()) for part in message.iter_attachments())
    assert names == ["digest-2024.csv", "digest-2024.html", "digest-2024.pdf", "digest-2024.xlsx"]


def test_a_digest_is_not_queued_when_mail_cannot_be_sent(
    ready: Run, tmp_path: Path, database_url: str
) -> None:
    (tmp_path / "config.toml").write_text(
        "[mail]\nministry = 'ministerium@example.org'\n", encoding="utf-8"
    )
    before = dump(database_url)
    refused = ready("digest", "2024", "--send")
    assert refused.code == 2, refused
    assert "Pflichtangabe fehlt für den Versand" in refused.err
    assert dump(database_url) == before


def test_a_digest_sent_on_a_weekend_says_when_it_goes_out(
    ready: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It waits in the outbox for the next working day, as every mail to the ministry."""
    (tmp_path / "config.toml").write_text(
        "[mail]\nsender = 'thekiz-flow@example.org'\nministry = 'ministerium@example.org'\n",
        encoding="utf-8",
    )
    at(SATURDAY, monkeypatch)
    sent = ready("digest", "2024", "--out", "berichte", "--send")
    assert sent.code == 0, sent
    assert sent.out.splitlines()[-1] == (
        "Jahresbericht 2024 in den Postausgang gestellt; er geht am 07.12.2026 10:00 an das "
        "Ministerium (nächster Arbeitstag)."
    )
    assert not list((tmp_path / "var" / "mail").glob("*.eml"))
    at(SATURDAY.replace(day=7), monkeypatch)  # Monday: a dispatch sends it
    assert ready("outbox", "send").code == 0
    assert len(list((tmp_path / "var" / "mail").glob("*.eml"))) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["digest", "1999"], "YEAR: 1999 liegt nicht zwischen 2000"),
        (["digest", "3000"], "YEAR: 3000 liegt nicht zwischen 2000"),
        (["digest", "letztes"], "YEAR: ungültige Nummer 'letztes'"),
    ],
)
def test_digest_refuses_bad_years(
    ready: Run, database_url: str, args: list[str], words: str
) -> None:
    before = dump(database_url)
    result = ready(*args)
    assert (result.code, result.out, result.err.count("\n")) == (2, "", 1)
    assert words in result.err
    assert dump(database_url) == before


def test_the_digest_of_a_year_not_yet_over_is_not_sent(ready: Run, database_url: str) -> None:
    this_year = str(berlin_today().year)
    before = dump(database_url)
    result = ready("digest", this_year, "--out", "berichte", "--send")
    assert (result.code, result.err) == (
        2,
        f"Fehler: Der Jahresbericht {this_year} geht erst nach dem Ende des Jahres an das "
        "Ministerium\n",
    )
    assert dump(database_url) == before
