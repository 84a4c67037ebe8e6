"""The demonstration's fictional people and centres. Every name and address is invented."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

from thekiz_flow.core import csvtext
from thekiz_flow.core.csvtext import Cell

# Invented people: (name, e-mail, hourly rate in EUR).
COACHES: tuple[tuple[str, str, str], ...] = (
    ("Amelie Brunnenkresse", "amelie.brunnenkresse@example.org", "55"),
    ("Bruno Haselstrauch", "bruno.haselstrauch@example.org", "58,50"),
    ("Clara Wiesenthau", "clara.wiesenthau@example.org", "60"),
    ("David Kieselbach", "david.kieselbach@example.org", "62"),
    ("Elisa Morgentau", "elisa.morgentau@example.org", "65"),
    ("Fabian Eichenlaub", "fabian.eichenlaub@example.org", "67,50"),
    ("Greta Holunderhain", "greta.holunderhain@example.org", "70"),
    ("Hannes Weidenkorb", "hannes.weidenkorb@example.org", "72,50"),
    ("Ilka Sonnentau", "ilka.sonnentau@example.org", "75"),
    ("Konrad Mühlenweg", "konrad.muehlenweg@example.org", "80"),
)
KITA_NAMES: tuple[str, ...] = (
    "Pusteblume",
    "Sonnenschein",
    "Regenbogen",
    "Zwergenland",
    "Kunterbunt",
    "Löwenzahn",
    "Spatzennest",
    "Märchenland",
    "Waldwichtel",
    "Sternschnuppe",
    "Schatzkiste",
    "Kleeblatt",
    "Wirbelwind",
    "Sonnenblume",
    "Traumland",
    "Glühwürmchen",
    "Rasselbande",
    "Mäuseburg",
    "Apfelbäumchen",
    "Entdeckerhaus",
)
CARRIERS: tuple[str, ...] = (
    "Beispielverein e. V.",
    "Musterstiftung Kinderwelt",
    "Kinderhaus Beispiel gGmbH",
    "Familienbund Musterland e. V.",
    "Gemeinde Beispielstadt",
    "Elterninitiative Musterhof e. V.",
)
EXTRA_CENTRES = {"Erfurt": 2, "Jena": 1, "Gera": 1}  # 3 per district plus these: 70


def slug(text: str) -> str:
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.lower().replace(umlaut, plain)
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


# The programme on the day the simulation starts: (stage, share of the centres,
# earliest and latest start of that stage).
START_STATE: tuple[tuple[str, float, date, date], ...] = (
    ("interessent", 0.16, date(2024, 6, 3), date(2024, 12, 2)),
    ("basisbegleitung", 0.38, date(2023, 2, 6), date(2024, 11, 4)),
    ("vertiefungsbegleitung", 0.28, date(2024, 1, 8), date(2024, 12, 2)),
    ("konsultationseinrichtung", 0.18, date(2023, 3, 6), date(2024, 10, 7)),
)


def _start_state(rng: random.Random) -> tuple[str, str]:
    """A stage and the day it began, drawn by the shares of START_STATE."""
    pick = rng.random()
    for stage, share, first, last in START_STATE:
        if pick < share:
            day = first + timedelta(days=rng.randint(0, (last - first).days))
            return stage, day.isoformat()
        pick -= share
    return "interessent", ""


def centre_rows(districts: tuple[str, ...], rng: random.Random) -> list[dict[str, str]]:
    """About 70 fictional centres, at least one per district, names unique per district."""
    rows = []
    for district in districts:
        for name in rng.sample(KITA_NAMES, 3 + EXTRA_CENTRES.get(district, 0)):
            stage, since = _start_state(rng)
            with_coach = stage != "interessent" or rng.random() < 0.3
            rows.append(
                {
                    "name": f"Kita {name}",
                    "district": district,
                    "email": f"{slug(name)}.{slug(district)}@example.org",
                    "carrier": rng.choice(CARRIERS) if rng.random() < 0.85 else "",
                    "coach": rng.choice(COACHES)[1] if with_coach else "",
                    "stage": stage if since else "",
                    "stage_since": since,
                }
            )
    return rows


# Trainings of the catalogue per year: kind, German title, how many, seats.
TRAININGS: tuple[tuple[str, str, int, int], ...] = (
    ("auftakt", "Auftaktveranstaltung für Team, Eltern und Träger", 6, 25),
    ("fachkraft", "Weiterbildung Fachkraft ThEKiZ", 2, 12),
    ("reflexion", "Reflexionsfortbildung", 4, 10),
    ("vernetzung", "Vernetzungsfortbildung – Basisqualifizierung ThEKiZ", 3, 14),
    ("arbeitskreis", "Arbeitskreis ThEKiZ", 4, 40),
    ("fachtag", "Fachtag ThEKiZ", 1, 80),
)
PLACES = ("Erfurt", "Jena", "Gera", "Weimar", "Gotha", "Suhl", "Nordhausen")


def training_rows(years: Sequence[int], rng: random.Random) -> list[dict[str, str]]:
    """The catalogue: each kind spread over each year, on a Tuesday to Thursday."""
    rows = []
    for year in years:
        for kind, title, count, seats in TRAININGS:
            for number in range(count):
                month = 1 + (number * 12 // count) + rng.randint(0, max(0, 12 // count - 1))
                day = date(year, month, rng.randint(5, 14))
                day += timedelta(days=(1 - day.weekday()) % 7 + rng.randint(0, 2))
                label = f"{title} {year}" + (f" ({number + 1})" if count > 1 else "")
                rows.append(
                    {
                        "kind": kind,
                        "title": label,
                        "date": day.isoformat(),
                        "place": rng.choice(PLACES),
                        "capacity": str(seats),
                    }
                )
    return rows


def write_csv(
    path: Path,
    columns: Mapping[str, Sequence[str]],
    rows: list[dict[str, str]],
    names: Mapping[str, str],
) -> None:
    """The rows as the office's German Excel saves them (the import reads them so): German
    column titles, days as TT.MM.JJJJ, stages and kinds of training by their German
    ``names``, the coach by name."""
    coaches = {email: name for name, email, _ in COACHES}

    def cell(key: str, value: str) -> Cell:
        if key in ("date", "stage_since") and value:
            return date.fromisoformat(value)
        if key in ("stage", "kind"):
            return names.get(value, value)
        return coaches.get(value, value) if key == "coach" else value

    titles = [columns[key][0] for key in columns if key in rows[0]]
    keys = [key for key in columns if key in rows[0]]
    body = [[cell(key, row[key]) for key in keys] for row in rows]
    path.write_bytes(csvtext.csv_bytes(titles, body))
