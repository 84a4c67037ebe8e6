"""Read a TOML document key by key, with German errors that name the file and the key.

Used for both the workflow file and the configuration, so that every wrong, missing
or unknown key is reported the same way: ``FILE: a.b.c: what is wrong``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import NoReturn

from thekiz_flow.core.errors import UserError

_MISSING: object = object()


def load_toml(path: Path, error: type[UserError]) -> Mapping[str, object]:
    """The document in ``path``: UTF-8 (a byte order mark is allowed), as TOML requires."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise error(f"{path}: Datei nicht gefunden") from None
    except OSError as exc:
        raise error(f"{path}: Datei nicht lesbar ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise error(f"{path}: keine UTF-8-Datei (bitte in UTF-8 speichern)") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: kein gültiges TOML ({exc})") from None


class TomlTable:
    """One table of a TOML document; remembers which keys were read."""

    def __init__(
        self, data: Mapping[str, object], source: str, error: type[UserError], prefix: str = ""
    ) -> None:
        self.data = data
        self.source = source
        self.error = error
        self.prefix = prefix
        self._read: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, message: str) -> NoReturn:
        raise self.error(f"{self.source}: {self.key(name)}: {message}")

    def _get(self, name: str, default: object) -> object:
        self._read.add(name)
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            self.fail(name, "Pflichtangabe fehlt")
        return default

    def has(self, name: str) -> bool:
        return name in self.data

    def text(self, name: str, default: object = _MISSING) -> str:
        value = self._get(name, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"muss ein nicht leerer Text sein, nicht {value!r}")
        return value

    def opt_text(self, name: str) -> str | None:
        value = self._get(name, None)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(name, f"muss ein nicht leerer Text sein, nicht {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self._get(name, default)
        if not isinstance(value, bool):
            self.fail(name, f"muss true oder false sein, nicht {value!r}")
        return value

    def integer(
        self,
        name: str,
        default: object = _MISSING,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(name, f"muss eine ganze Zahl sein, nicht {value!r}")
        self._check_range(name, value, minimum, maximum)
        return value

    def number(self, name: str, default: object = _MISSING, minimum: int | None = None) -> Decimal:
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            self.fail(name, f"muss eine Zahl sein, nicht {value!r}")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(name, f"ungültige Zahl {value!r}")
        if not number.is_finite():
            self.fail(name, f"ungültige Zahl {value!r}")
        self._check_range(name, number, minimum, None)
        return number

    def _check_range(
        self, name: str, value: int | Decimal, minimum: int | None, maximum: int | None
    ) -> None:
        if minimum is not None and value < minimum:
            self.fail(name, f"ungültige Zahl {value}: muss mindestens {minimum} sein")
        if maximum is not None and value > maximum:
            self.fail(name, f"ungültige Zahl {value}: darf höchstens {maximum} sein")

    def texts(self, name: str, default: object = _MISSING) -> tuple[str, ...]:
        value = self._get(name, default)
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.fail(name, "muss ein Text oder eine Liste von Texten sein")
        return tuple(value)

    def table(self, name: str, required: bool = False) -> TomlTable:
        value = self._get(name, _MISSING if required else {})
        if not isinstance(value, Mapping):
            self.fail(name, "muss eine Tabelle sein")
        return TomlTable(value, self.source, self.error, self.key(name))

    def subtables(self, name: str, required: bool = False) -> dict[str, TomlTable]:
        """A table of tables, e.g. ``[stages.NAME]``, in file order."""
        outer = self.table(name, required)
        result = {}
        for sub in outer.data:
            result[sub] = outer.table(sub, required=True)
        return result

    def table_list(self, name: str) -> list[TomlTable]:
        value = self._get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            self.fail(name, "muss eine Liste von Tabellen sein")
        return [
            TomlTable(item, self.source, self.error, f"{self.key(name)}[{index}]")
            for index, item in enumerate(value)
        ]

    def finish(self) -> None:
        """Fail on the first key that nobody read: a typo must not pass silently."""
        unknown = [name for name in self.data if name not in self._read]
        if unknown:
            allowed = ", ".join(sorted(self._read)) or "keine"
            self.fail(unknown[0], f"unbekannter Schlüssel (erlaubt: {allowed})")
