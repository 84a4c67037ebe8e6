"""Every mail as its reader gets it: one rendering per template and role, compared with the
files under tests/golden/mail/ (text and HTML with the web pages' address configured, text
without). The golden files are read once by a person, as the centre, the coach, the office
or the ministry would read them; `THEKIZ_UPDATE_GOLDEN=1` writes them anew after a change
of wording, to be read again before it is committed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from thekiz_flow.core.enums import ActivityKind, ActivityStatus
from thekiz_flow.core.model import Activity, Centre, Coach, Training, Workflow
from thekiz_flow.mail.render import Rendered, Renderer
from thekiz_flow.service.reminder_sources import Offer
from thekiz_flow.workflow.definitions import load_workflow
from thekiz_flow.workflow.paths import DEFAULT_WORKFLOW, SHIPPED_TEMPLATES

GOLDEN = Path(__file__).resolve().parent / "golden" / "mail"
UPDATE = os.environ.get("THEKIZ_UPDATE_GOLDEN") == "1"
BASE_URL = "https://thekiz.example.org"
WORKFLOW: Workflow = load_workflow(DEFAULT_WORKFLOW)

CENTRE = Centre(
    12,
    "Kita Wirbelwind",
    "Gotha",
    "leitung@wirbelwind.example.org",
    "Stadt Gotha",
    3,
    "vertiefungsbegleitung",
    date(2025, 2, 3),
)
COACH = Coach(3, "Erika Beispiel", "erika.beispiel@example.org", Decimal("62.50"))
SESSION = Activity(
    501,
    CENTRE.id,
    ActivityKind.COACHING,
    "c12:2026-01-21",
    "vertiefungsbegleitung",
    date(2026, 1, 21),
    ActivityStatus.PLANNED,
    Decimal("2.5"),
    COACH.id,
)
VISIT = Activity(
    502,
    CENTRE.id,
    ActivityKind.SITE_VISIT,
    "v12:2026-03-04",
    "vertiefungsbegleitung",
    date(2026, 3, 4),
    ActivityStatus.PLANNED,
)
TRAINING = Training(31, "reflexion", "Reflexion I", date(2026, 9, 2), "Erfurt", 12)
OFFERS = [
    Offer(Training(33, "reflexion", "Reflexion II", date(2026, 4, 14), "Weimar", 12), 1),
    Offer(Training(34, "reflexion", "Reflexion III", date(2026, 5, 20), "Jena", 15), 6),
]
STAGES = WORKFLOW.stages
NOTE = "Die nächste Begleitung vereinbart Frau Beispiel mit Ihnen im Februar."


@dataclass(frozen=True)
class Case:
    """One mail for one reader: the template, the recipient's role and the data."""

    name: str
    role: str
    context: dict[str, object]
    variant: str = ""

    @property
    def id(self) -> str:
        return ".".join(part for part in (self.name, self.role, self.variant) if part)


def _context(**values: object) -> dict[str, object]:
    return values


CASES = [
    Case(
        "session_upcoming",
        "coach",
        _context(centre=CENTRE, coach=COACH, activity=SESSION, number=1),
    ),
    *(
        Case(
            "invitation",
            "coach",
            _context(
                centre=CENTRE,
                coach=COACH,
                activity=SESSION,
                moved_from=moved_from,
                reason=None,
                handed_over=False,
            ),
            "verschoben" if moved_from else "",
        )
        for moved_from in (None, date(2026, 1, 14))
    ),
    *(
        Case(
            "invitation_cancelled",
            "coach",
            _context(
                centre=CENTRE,
                coach=COACH,
                activity=SESSION,
                moved_from=None,
                reason=reason,
                handed_over=handed_over,
            ),
            "uebergeben" if handed_over else "",
        )
        for reason, handed_over in (
            ("Leitung erkrankt", False),
            ("an eine andere Prozessbegleitung übergeben", True),
        )
    ),
    Case(
        "session_unrecorded",
        "coach",
        _context(centre=CENTRE, coach=COACH, activity=SESSION, number=2),
    ),
    Case(
        "session_unrecorded_office",
        "office",
        _context(centre=CENTRE, coach=COACH, activity=SESSION, number=1),
    ),
    Case(
        "visit_upcoming", "centre", _context(centre=CENTRE, coach=COACH, activity=VISIT, number=1)
    ),
    Case(
        "visit_upcoming", "office", _context(centre=CENTRE, coach=COACH, activity=VISIT, number=1)
    ),
    *(
        Case(
            "training_deadline",
            role,
            _context(
                centre=CENTRE,
                coach=COACH,
                training_kind=WORKFLOW.training_kinds["reflexion"],
                deadline=date(2026, 6, 30),
                offers=offers,
            ),
            "" if offers else "ohne-termine",
        )
        for role in ("centre", "coach")
        for offers in (OFFERS, [])
    ),
    Case(
        "eligible",
        "office",
        _context(
            centre=CENTRE,
            stage=STAGES["basisbegleitung"],
            trigger="deepen",
            next_stage=STAGES["vertiefungsbegleitung"],
        ),
    ),
    Case(
        "budget_threshold",
        "office",
        _context(
            centre=CENTRE,
            year=2026,
            percent=80,
            budget=Decimal(5000),
            spent=Decimal("4012.50"),
        ),
    ),
    Case(
        "renewal_due",
        "office",
        _context(
            centre=CENTRE,
            stage=STAGES["vertiefungsbegleitung"],
            since=date(2025, 2, 3),
            coach=COACH,
        ),
    ),
    *(
        Case(
            "stage_changed",
            role,
            _context(
                centre=CENTRE,
                from_stage=STAGES["basisbegleitung"],
                to_stage=STAGES["vertiefungsbegleitung"],
                effective=date(2026, 1, 15),
                reason="Leitung nach Rücksprache mit dem Träger einverstanden",
                centre_note=None,
            ),
        )
        for role in ("centre", "office")
    ),
    *(
        Case(
            "stage_changed",
            role,
            _context(
                centre=CENTRE,
                from_stage=STAGES["basisbegleitung"],
                to_stage=STAGES["vertiefungsbegleitung"],
                effective=date(2026, 1, 15),
                reason="Leitung nach Rücksprache mit dem Träger einverstanden",
                centre_note=NOTE,
            ),
            "hinweis",
        )
        for role in ("centre", "office")
    ),
    *(
        Case(
            "stage_reverted",
            role,
            _context(
                centre=CENTRE,
                coach=COACH,
                stage=STAGES["basisbegleitung"],
                withdrawn_stage=STAGES["vertiefungsbegleitung"],
                effective=date(2026, 1, 15),
            ),
        )
        for role in ("centre", "coach")
    ),
    Case(
        "training_cancelled",
        "centre",
        _context(
            centre=CENTRE,
            training=TRAINING,
            kind=WORKFLOW.training_kinds["reflexion"],
            reason="Die Referentin ist erkrankt.",
            waiting=False,
        ),
    ),
    Case(
        "delivery_failed",
        "office",
        _context(
            recipient="leitung@wirbelwind.example.org",
            subject="Vor-Ort-Besuch am 04.03.2026: Kita Wirbelwind (Gotha)",
            error="SMTP 550: 5.1.1 Postfach unbekannt",
            outbox_id=77,
        ),
    ),
    Case(
        "overview",
        "office",
        _context(
            month=date(2026, 3, 2),
            today=date(2026, 3, 2),
            upcoming=[
                {
                    "date": date(2026, 3, 4),
                    "kind": "Besuch",
                    "centre": CENTRE.title,
                    "centre_id": 12,
                }
            ],
            unrecorded=[
                {
                    "date": date(2026, 2, 18),
                    "centre": "Kita Wirbelwind (Erfurt)",
                    "centre_id": 40,
                    "coach": COACH.name,
                }
            ],
            eligible=[{"centre": "Kita Sonnenschein (Jena)", "centre_id": 8, "trigger": "consult"}],
            budget=[{"centre": CENTRE.title, "centre_id": 12, "percent": 84}],
            failed=[
                {
                    "id": 77,
                    "recipient": "leitung@wirbelwind.example.org",
                    "subject": "Vor-Ort-Besuch am 04.03.2026: Kita Wirbelwind (Gotha)",
                    "error": "SMTP 550: 5.1.1 Postfach unbekannt",
                }
            ],
        ),
    ),
    Case("digest", "ministry", _context(year=2025, today=date(2026, 1, 15))),
    *(
        Case(
            "watchdog",
            "office",
            _context(
                problem=problem,
                recovered=False,
                since="15.06.2026 10:00",
                now="15.06.2026 11:00",
                age="60 Minuten",
                failed=12,
                threshold=10,
                days=7,
            ),
            problem,
        )
        for problem in ("ticks", "mails")
    ),
]
#: What a reader must never see: the workflow's ids (stages, steps, training kinds) and the
#: enums' values, as whole words.
INTERNAL_IDS = sorted(
    {
        *WORKFLOW.stages,
        *WORKFLOW.transitions,
        *WORKFLOW.training_kinds,
        *(kind.value for kind in ActivityKind),
        *(status.value for status in ActivityStatus),
    }
)
INTERNAL = re.compile(r"\b(" + "|".join(map(re.escape, INTERNAL_IDS)) + r")\b")
#: A command line: the CLI's commands (`thekiz-flow advance 34 admit`), options, the system's.
COMMAND = re.compile(
    r"thekiz-flow (?:advance|session|outbox|run|tick|centre|coach|digest|training|visit|mail)\b"
    r"|\s--[a-z]|journalctl|systemctl"
)
SIGNING_IN = ("office", "coach", "ministry")  # the roles with a sign-in to the web pages


def render(case: Case, base_url: str | None) -> Rendered:
    renderer = Renderer(SHIPPED_TEMPLATES, WORKFLOW.step_name, base_url)
    return renderer.render(case.name, case.context, case.role)


def as_file(rendered: Rendered, part: str) -> str:
    body = rendered.text if part == "txt" else rendered.html
    return f"Betreff: {rendered.subject}\n\n{body}"


def compare(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"{path.name} fehlt: mit THEKIZ_UPDATE_GOLDEN=1 schreiben und lesen"
    assert actual == path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_every_mail_reads_as_its_golden_file(case: Case) -> None:
    linked = render(case, BASE_URL)
    compare(GOLDEN / f"{case.id}.txt", as_file(linked, "txt"))
    compare(GOLDEN / f"{case.id}.html", as_file(linked, "html"))
    compare(GOLDEN / f"{case.id}.ohne-link.txt", as_file(render(case, None), "txt"))


def test_every_template_and_role_has_a_golden_case() -> None:
    """Each mail of the shipped templates, and each role's own wording, is read here."""
    files = {p.name.removesuffix(".txt.j2") for p in (SHIPPED_TEMPLATES / "mail").glob("*.txt.j2")}
    mails = {name for name in files if not name.startswith("_")}
    covered = {case.name for case in CASES} | {f"{case.name}.{case.role}" for case in CASES}
    assert mails - covered == set()
    assert not {p.name for p in GOLDEN.iterdir()} - {
        f"{case.id}{suffix}" for case in CASES for suffix in (".txt", ".html", ".ohne-link.txt")
    }, "a golden file without a case"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
@pytest.mark.parametrize("base_url", [BASE_URL, None])
def test_no_mail_holds_a_command_line_or_an_internal_id(case: Case, base_url: str | None) -> None:
    rendered = render(case, base_url)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert COMMAND.search(part) is None, part
        assert INTERNAL.search(part) is None, INTERNAL.search(part)
        if case.name != "watchdog":  # its subject names the service, not a command
            assert "thekiz-flow" not in part


@pytest.mark.parametrize(
    "case", [c for c in CASES if isinstance(c.context.get("centre"), Centre)], ids=lambda c: c.id
)
def test_a_mail_about_a_centre_names_its_district_in_the_subject(case: Case) -> None:
    assert "Kita Wirbelwind (Gotha)" in render(case, BASE_URL).subject


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_links_go_to_the_page_of_the_action_or_are_words(case: Case) -> None:
    linked, unlinked = render(case, BASE_URL), render(case, None)
    assert "http" not in unlinked.text + unlinked.html  # no broken link without base_url
    assert "None" not in unlinked.text + unlinked.html
    links = re.findall(r"https?://\S+", linked.text)
    if case.id == "watchdog.office.ticks":  # the service stopped: only the IT can act
        assert "IT-Dienstleister" in linked.text
    elif case.role in SIGNING_IN:  # one click to the page, after signing in
        assert links, case.id
    else:  # a centre has no sign-in: it answers the mail
        assert not links
        assert "antworten sie" in linked.text.lower()
    for link in links:
        assert link.startswith(f"{BASE_URL}/"), link
        assert re.fullmatch(
            rf"{BASE_URL}/(centres/\d+|sessions/\d+|visits\?text=\d+&month=\d{{4}}-\d\d|trainings(/\d+)?"
            r"|outbox(/\d+|\?status=failed)|digests)",
            link,
        ), link


def test_the_centre_never_reads_the_offices_reason() -> None:
    [centre, office] = [c for c in CASES if c.name == "stage_changed" and not c.variant]
    reason = str(centre.context["reason"])
    for part in (render(centre, BASE_URL).text, render(centre, BASE_URL).html):
        assert reason not in part
        assert "Begründung" not in part
    assert reason in render(office, BASE_URL).text


def test_the_centre_reads_the_note_for_it_but_never_the_reason() -> None:
    [centre, office] = [c for c in CASES if c.id.startswith("stage_changed") and c.variant]
    reason = str(centre.context["reason"])
    for part in (render(centre, BASE_URL).text, render(centre, BASE_URL).html):
        assert NOTE in part
        assert reason not in part
    told = render(office, BASE_URL).text
    assert reason in told
    assert f"Hinweis an die Einrichtung (steht in ihrer E-Mail): {NOTE}" in told


def test_the_office_is_not_asked_to_report_to_itself() -> None:
    [centre, office] = [c for c in CASES if c.name == "visit_upcoming"]
    assert "antworten Sie bitte auf diese E-Mail" in render(centre, BASE_URL).text
    assert "antworten Sie" not in render(office, BASE_URL).text
    assert "melden Sie sich bitte bei uns" not in render(office, BASE_URL).text


def test_a_budget_mail_says_how_far_past_its_threshold_the_centre_is() -> None:
    """Both thresholds can be crossed at once (a session of 630 € against two months' share
    of the year): the mail gives the share really spent, not only the threshold."""
    [case] = [c for c in CASES if c.name == "budget_threshold"]
    over = replace(case, context={**case.context, "budget": Decimal("416.67"), "spent": 630})
    rendered = render(over, BASE_URL)
    for part in (rendered.text, rendered.html):
        assert "151,2\xa0% des bis jetzt angefallenen Jahresbudgets" in part
