"""A demonstration: fictional coaches, centres and trainings, simulated day by day.

``make demo`` (``python -m thekiz_flow.demo``) deletes and recreates ``var/demo/``, imports
about 70 fictional centres as they stood on 1 January 2025 and then lets a frozen clock
walk day by day up to today: every day runs the same tick as ``thekiz-flow run``, coaches
record their sessions, the office visits and moves centres on. The same seed gives the
same history. Every name and address is invented; e-mail addresses are at example.org.
With ``--serve`` (``make demo SERVE=1``) the web pages then show the demonstration's
database on http://127.0.0.1:8000 until Ctrl+C (see ``thekiz_flow.demo.serve``).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console

from thekiz_flow.core import german
from thekiz_flow.core.clock import Clock, FrozenClock
from thekiz_flow.demo.data import (
    COACHES,
    centre_rows,
    training_rows,
    write_csv,
)
from thekiz_flow.demo.office import Office
from thekiz_flow.demo.people import People
from thekiz_flow.demo.report import centres_table, mail_table, sessions_table
from thekiz_flow.demo.sink import MailSink
from thekiz_flow.service import Service
from thekiz_flow.service.csvfiles import CENTRE_COLUMNS, TRAINING_COLUMNS
from thekiz_flow.service.simulation import SIMULATED_HOUR, simulate_days
from thekiz_flow.store.engine import make_engine
from thekiz_flow.store.migrate import upgrade
from thekiz_flow.store.simulation import SystemClock
from thekiz_flow.workflow.config import DigestSettings, MailSettings, SmtpSettings
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW

DEMO_DIR = Path("var/demo")
DATABASE_URL = "sqlite:///var/demo/thekiz-flow.db"
ZONE = ZoneInfo("Europe/Berlin")
SEED = 20250101
START = date(2025, 1, 1)
DIGEST_YEAR = 2025
DIGESTS = DigestSettings(DEMO_DIR, (1, 15))


def mail_settings(port: int) -> MailSettings:
    """SMTP to the local sink; fictional addresses of the office and the ministry; the
    office's own mail templates in var/demo/mail-templates."""
    return MailSettings(
        backend="smtp",
        sender="thekiz-flow@example.org",
        office="fachstelle@example.org",
        ministry="ministerium@example.org",
        smtp=SmtpSettings(host="127.0.0.1", port=port),
        templates_dir=DEMO_DIR / "mail-templates",
    )


def build_service(clock: Clock, mail: MailSettings, url: str = DATABASE_URL) -> Service:
    """The demo database (by default in var/demo/), schema at head."""
    engine = make_engine(url)
    upgrade(engine)
    workflow = load_workflow(DEFAULT_WORKFLOW)
    return Service(engine, workflow, clock, ZONE, "demo", mail, None, DIGESTS)


def populate(service: Service, rng: random.Random, until: date) -> int:
    """Coaches, the training catalogue and the centres as they stood on START."""
    for name, email, rate in COACHES:
        service.registry.add_coach(name, email, rate)
    trainings = DEMO_DIR / "trainings.csv"
    years = range(START.year, until.year + 1)
    workflow = service.workflow
    names = {**workflow.training_kinds, **{s.id: s.name for s in workflow.stages.values()}}
    write_csv(trainings, TRAINING_COLUMNS, training_rows(years, rng), names)
    service.trainings.import_trainings(trainings)
    centres = DEMO_DIR / "centres.csv"
    write_csv(centres, CENTRE_COLUMNS, centre_rows(workflow.districts, rng), names)
    return len(service.registry.import_centres(centres))


def main(argv: Sequence[str] = ()) -> int:
    options = _parser().parse_args(argv)
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    DEMO_DIR.mkdir(parents=True)
    with MailSink(DEMO_DIR / "mail") as sink:
        code = run(sink)
        if options.serve:
            from thekiz_flow.demo.serve import serve  # the web pages load only here

            serve(build_service(SystemClock(), mail_settings(sink.port)), os.environ)
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m thekiz_flow.demo", description="Demonstration mit erfundenen Daten."
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="danach die Web-Seiten auf http://127.0.0.1:8000 zeigen (bis Strg+C)",
    )
    return parser


def run(sink: MailSink) -> int:
    today = date.today()
    clock = FrozenClock(datetime.combine(START, SIMULATED_HOUR, ZONE))
    rng = random.Random(SEED)
    service = build_service(clock, mail_settings(sink.port))
    service.ticks.mark_simulation()  # a database made to be simulated up to today
    imported = populate(service, rng, today)
    office, people = Office(service, rng), People(service, rng)
    office.begin()

    def each_day(day: date) -> None:
        if day.weekday() == 0 and day.day <= 7:  # the first Monday of the month
            office.month(day)
            people.request(day)
            people.enrol(day)
        people.day(day)

    simulate_days(service, clock, START, today, each_day)
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(centres_table(service, today))
    console.print(sessions_table(service, START))
    console.print(mail_table(service))
    console.print(
        f"{sink.received} E-Mails über SMTP an den lokalen Testserver, "
        f"abgelegt unter {DEMO_DIR / 'mail'}/."
    )
    console.print(
        f"{len(COACHES)} Prozessbegleiter*innen, {imported} Einrichtungen (erfunden), "
        f"{office.diary.changes} Stufenwechsel "
        f"vom {german.short_date(START)} bis {german.short_date(today)}."
    )
    console.print(f"Datenbank: {DEMO_DIR / 'thekiz-flow.db'}. Ansehen zum Beispiel mit:")
    console.print(
        f"  THEKIZ_FLOW_DATABASE_URL={DATABASE_URL} .venv/bin/thekiz-flow centre list",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    files = service.digest.write(DIGEST_YEAR)
    console.print(
        f"Jahresbericht {DIGEST_YEAR}: {files.html} "
        f"(dazu {files.pdf.name}, {files.csv.name}, {files.xlsx.name})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    service.runtime.engine.dispose()
    return 0
