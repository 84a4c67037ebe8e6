"""Property: a centres CSV imports whole or not at all, whatever its rows hold, in whichever
encoding, separator and header language German Excel or a script writes it."""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from tests.conftest import BERLIN, TODAY
from thekiz_flow.core.clock import FrozenClock, noon
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Workflow
from thekiz_flow.service import Service
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.tables import centres, stage_changes

GOOD = {
    "district": st.sampled_from(["Jena", "gera", "SUHL", "Weimarer Land"]),
    "email": st.sampled_from(["a@example.org", "kita.b@example.org"]),
    "stage": st.sampled_from(["", "basisbegleitung", "Vertiefungsbegleitung"]),
    "stage_since": st.sampled_from(["", "2025-01-06", "31.12.2024", "6.1.2025"]),
}
BAD = {
    "district": st.sampled_from(["", "Bayern", "Jenna"]),
    "email": st.sampled_from(["", "kein-at", "a@b"]),
    "stage": st.sampled_from(["basis", "pause"]),
    "stage_since": st.sampled_from(["2030-01-01", "gestern", "2025-02-30", "6.1.25"]),
}
counter = itertools.count()


@st.composite
def rows(draw: st.DrawFn) -> tuple[list[dict[str, str]], bool]:
    """Rows, and whether every one of them is good."""
    result, all_good = [], True
    for _ in range(draw(st.integers(1, 6))):
        bad_field = draw(st.sampled_from([None, None, None, *BAD]))
        row = {f: draw(BAD[f] if f == bad_field else GOOD[f]) for f in GOOD}
        name = draw(st.text(alphabet="abc äö,;\"'-", min_size=0, max_size=12)).strip()
        if not name:
            all_good = False
        row["name"] = f"Kita {name}" if name and draw(st.booleans()) else name
        row["name"] = f"{row['name']} {next(counter)}" if row["name"] else ""
        all_good = all_good and bad_field is None
        result.append(row)
    return result, all_good


GERMAN = {
    "name": "Name",
    "district": "Kreis",
    "email": "E-Mail",
    "stage": "Stufe",
    "stage_since": "seit",
}


def to_csv(records: list[dict[str, str]], delimiter: str, german: bool) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["name", *GOOD], delimiter=delimiter)
    if german:  # as German Excel writes it
        writer.writerow(GERMAN)
    else:
        writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(centres)).scalar_one(),
            connection.execute(select(func.count()).select_from(stage_changes)).scalar_one(),
        )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=rows(),
    delimiter=st.sampled_from([",", ";"]),
    german=st.booleans(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_random_rows_never_half_import(
    tmp_path: Path,
    workflow: Workflow,
    data: tuple[list[dict[str, str]], bool],
    delimiter: str,
    german: bool,
    encoding: str,
) -> None:
    records, all_good = data
    engine = make_engine(f"sqlite:///{tmp_path / 'import.db'}")
    upgrade(engine)
    service = Service(engine, workflow, FrozenClock(noon(TODAY, BERLIN)), BERLIN, "test")
    path = tmp_path / f"import-{next(counter)}.csv"
    path.write_text(to_csv(records, delimiter, german), encoding=encoding)
    before = counts(engine)
    try:
        ids = service.registry.import_centres(path)
    except InvalidInput:
        assert not all_good
        assert counts(engine) == before
    else:
        assert all_good
        staged = sum(1 for r in records if r["stage"])
        assert len(ids) == len(records)
        assert counts(engine) == (before[0] + len(records), before[1] + staged)
    finally:
        engine.dispose()


def test_the_step_of_an_imported_stage_has_a_german_name(service: Service, tmp_path: Path) -> None:
    """No internal id reaches a reader: the change that records an imported centre's stage is
    named "Übernahme beim Import" wherever steps are named (the centre page, `history`)."""
    row = {
        "name": "Kita Auen",
        "district": "Jena",
        "email": "a@example.org",
        "stage": "basisbegleitung",
        "stage_since": "2025-01-06",
    }
    path = tmp_path / "kitas.csv"
    path.write_text(to_csv([row], ";", True), encoding="utf-8")
    (centre,) = service.registry.import_centres(path)
    (change,) = service.lifecycle.history(centre)
    assert service.workflow.step_name(change.trigger) == "Übernahme beim Import"
