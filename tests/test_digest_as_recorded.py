"""The digest as recorded on a day: corrections, back-dated entries, new centres and edits
recorded since leave its files byte for byte as they were written on that day."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.cli_helpers import Run
from tests.conftest import BERLIN, TODAY
from tests.test_corrections import admitted, held_session
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import ActivityFilter, CentreEdit, CentreInput
from thekiz_flow.digest.files import DigestFiles
from thekiz_flow.service import Service

pytestmark = pytest.mark.backends("sqlite", "postgresql")

LATER = date(2026, 6, 17)


def contents(files: DigestFiles) -> list[bytes]:
    return [path.read_bytes() for path in (files.html, files.csv, files.xlsx)]


def test_what_was_recorded_since_leaves_the_digest_as_it_was(
    service: Service, clock: FrozenClock, tmp_path: Path
) -> None:
    centre = admitted(service, clock)
    held = held_session(service, centre)
    service.sessions.record_visit(centre, date(2026, 6, 10), "Rundgang")
    sent = contents(service.digest.write(2026, tmp_path / "sent"))
    same_day = service.digest.write(2026, tmp_path / "same", as_recorded_on=TODAY)
    assert contents(same_day) == sent

    clock.set(noon(LATER, BERLIN))
    service.corrections.correct_session(held.id, "falsch notiert", hours="1,5")
    service.sessions.record(f"E{centre}", date(2026, 4, 7), "3")  # back-dated
    held_visit = ActivityFilter(
        centre_id=centre, kind=ActivityKind.SITE_VISIT, status=ActivityStatus.HELD
    )
    (visit,) = service.overview.activities(held_visit)
    service.corrections.void_visit(visit.id, "verwechselt")
    service.registry.update_centre(centre, CentreEdit(name="Kita Pusteblume Süd"))
    service.registry.add_centre(
        CentreInput("Kita Neu", "gera", "neu@example.org"), date(2026, 1, 5)
    )

    now = contents(service.digest.write(2026, tmp_path / "now"))
    assert now[1] != sent[1]
    as_then = contents(service.digest.write(2026, tmp_path / "then", as_recorded_on=TODAY))
    assert as_then == sent
    assert contents(service.digest.write(2026, tmp_path / "later", as_recorded_on=LATER)) == now


def test_a_day_to_come_is_refused(service: Service) -> None:
    with pytest.raises(InvalidInput, match="liegt in der Zukunft"):
        service.digest.build(2026, as_recorded_on=date(2026, 6, 16))


def test_the_cli_writes_the_digest_as_recorded_on_a_day(ready: Run, tmp_path: Path) -> None:
    written = ready("digest", "2025", "--out", "a", "--as-recorded-on", "2026-01-15")
    assert written.code == 0, written
    assert (tmp_path / "a" / "digest-2025.csv").is_file()
    refused = ready("digest", "2025", "--send", "--as-recorded-on", "2026-01-15")
    assert refused.code == 2
    assert "--as-recorded-on: nicht zusammen mit --send" in refused.err
    wrong = ready("digest", "2025", "--as-recorded-on", "15.01.26")
    assert (wrong.code, wrong.err.startswith("Fehler: --as-recorded-on: ungültiges Datum")) == (
        2,
        True,
    )
