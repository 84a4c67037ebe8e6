"""The demonstration's fictional people and centres. Every name and address is invented."""

from __future__ import annotations

import csv
import random
from pathlib import Path

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


def centre_rows(districts: tuple[str, ...], rng: random.Random) -> list[dict[str, str]]:
    """About 70 fictional centres, at least one per district, names unique per district."""
    rows = []
    for district in districts:
        for name in rng.sample(KITA_NAMES, 3 + EXTRA_CENTRES.get(district, 0)):
            coach = rng.choice(COACHES)[1] if rng.random() < 0.3 else ""
            carrier = rng.choice(CARRIERS) if rng.random() < 0.85 else ""
            rows.append(
                {
                    "name": f"Kita {name}",
                    "district": district,
                    "email": f"{slug(name)}.{slug(district)}@example.org",
                    "carrier": carrier,
                    "coach": coach,
                }
            )
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=["name", "district", "email", "carrier", "coach"]
        )
        writer.writeheader()
        writer.writerows(rows)
