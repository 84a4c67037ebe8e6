"""The data map classifies every column of the schema (the SQLAlchemy metadata), and only
those: a new column must be declared personal (whose, why, how long) or not personal."""

from __future__ import annotations

from thekiz_flow.core.privacy_map import DATA_MAP, Personal, column_label, register, unclassified
from thekiz_flow.store.tables import metadata

SETTINGS = {
    "mail_bodies_months": 12,
    "sign_ins_days": 30,
    "audit_days": 1095,
    "withdrawn_centre_years": 3,
}


def schema() -> dict[str, list[str]]:
    return {
        table.name: [column.name for column in table.columns] for table in metadata.sorted_tables
    }


def test_every_column_of_the_schema_is_classified() -> None:
    missing = unclassified(schema())
    assert not missing, (
        "Spalten ohne Einstufung in thekiz_flow/core/privacy_map.py (DATA_MAP): "
        + ", ".join(missing)
        + " - als personal(...) oder NOT_PERSONAL eintragen"
    )


def test_an_unclassified_column_is_named() -> None:
    found = schema()
    found["coaches"] = [*found["coaches"], "phone"]
    found["new_table"] = ["id"]
    assert unclassified(found) == ["coaches.phone", "new_table.id"]


def test_a_column_the_schema_lacks_is_named() -> None:
    found = schema()
    found["coaches"] = [c for c in found["coaches"] if c != "rate"]
    assert unclassified(found) == ["coaches.rate (nicht im Schema)"]


def test_links_name_columns_of_their_table() -> None:
    for table, entry in DATA_MAP.items():
        for link in entry.links:
            assert link.column in entry.columns, (table, link.column)
            if link.where is not None:
                assert link.where[0] in entry.columns, (table, link.where)


def test_every_retention_text_fills_in() -> None:
    lines = register(SETTINGS)
    texts = [retention for line in lines for _c, _w, _p, retention in line.columns]
    assert any("12 Monate" in text for text in texts)
    assert all("{" not in text for text in texts)
    personal = sum(
        isinstance(kind, Personal) for entry in DATA_MAP.values() for kind in entry.columns.values()
    )
    assert sum(len(line.columns) for line in lines) == personal


def test_every_column_of_the_map_has_a_german_label() -> None:
    """The register and the export name each column in German, never by its id."""
    unlabelled = [
        f"{table}.{column}"
        for table, entry in DATA_MAP.items()
        for column in entry.columns
        if column_label(table, column) == column
    ]
    assert unlabelled == []
