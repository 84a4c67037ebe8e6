"""A mail's context kept with it in the outbox, so that it can be rendered again.

The context a template was rendered with is written as JSON. The centre, the coach and
the workflow's stages are kept as references (their id) and looked up again when the mail
is rendered anew: a retry after the office corrected an address or a name renders with
what is current. Other values are kept as they were: dates, amounts, plain data, and the
dataclasses a caller allows by name (an activity, a training, ...).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from thekiz_flow.core.model import Centre, Coach, Stage


class Gone(Exception):
    """A reference of the context no longer resolves (a centre, a coach or a stage)."""


@dataclasses.dataclass(frozen=True)
class Resolver:
    """How the references of a context are found again, and which dataclasses it may hold."""

    centre: Callable[[int], Centre | None]
    coach: Callable[[int], Coach | None]
    stage: Callable[[str], Stage | None]
    classes: Mapping[str, type] = dataclasses.field(default_factory=dict)


def encode(context: Mapping[str, object]) -> str:
    """The context as JSON (a value it cannot keep raises TypeError)."""
    return json.dumps({k: _encode(v) for k, v in context.items()}, ensure_ascii=False)


def _encode(value: object) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Centre):
        return {"$centre": value.id}
    if isinstance(value, Coach):
        return {"$coach": value.id}
    if isinstance(value, Stage):
        return {"$stage": value.id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$class": type(value).__name__, "fields": fields}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    if isinstance(value, Mapping):
        return {"$map": {str(k): _encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot keep a {type(value).__name__} in a mail's context")


def decode(text: str, resolver: Resolver) -> dict[str, object]:
    """The context again, its references looked up; :class:`Gone` (German) if one is gone."""
    raw = json.loads(text)
    return {k: _decode(v, resolver) for k, v in raw.items()}


def _decode(value: Any, resolver: Resolver) -> Any:
    if isinstance(value, list):
        return [_decode(item, resolver) for item in value]
    if not isinstance(value, dict):
        return value
    if "$decimal" in value:
        return Decimal(value["$decimal"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$centre" in value:
        return _found(resolver.centre(value["$centre"]), f"Einrichtung {value['$centre']}")
    if "$coach" in value:
        return _found(resolver.coach(value["$coach"]), f"Prozessbegleitung {value['$coach']}")
    if "$stage" in value:
        return _found(resolver.stage(value["$stage"]), f"Stufe {value['$stage']!r}")
    if "$class" in value:
        cls = resolver.classes.get(value["$class"])
        if cls is None:
            raise Gone(f"unbekannter Inhalt {value['$class']!r}")
        return cls(**{k: _decode(v, resolver) for k, v in value["fields"].items()})
    if "$map" in value:
        return {k: _decode(v, resolver) for k, v in value["$map"].items()}
    raise Gone("unlesbarer Inhalt")


def _found(value: object, what: str) -> object:
    if value is None:
        raise Gone(f"{what} gibt es nicht mehr")
    return value
