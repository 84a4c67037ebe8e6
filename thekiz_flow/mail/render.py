"""Rendering the German mail templates: a subject, a plain text and an HTML part per mail.

``templates/mail/NAME.txt.j2`` is the text and defines the subject with
``{% set subject %}…{% endset %}``; ``templates/mail/NAME.html.j2`` is the HTML part and is
autoescaped. Every variable a template names must be in the context (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    select_autoescape,
)

from thekiz_flow.errors import WorkflowError

LOCALE = Locale.parse("de_DE")  # parsed once: every filter call would parse it again
FORMATTED = 4096  # dates kept formatted per filter: a batch of mails repeats its dates


@dataclass(frozen=True)
class Rendered:
    subject: str  # one line: never contains CR or LF
    text: str
    html: str


@lru_cache(maxsize=FORMATTED)
def german_date(value: date) -> str:
    """15. Januar 2026"""
    return format_date(value, format="long", locale=LOCALE)


@lru_cache(maxsize=FORMATTED)
def german_short_date(value: date) -> str:
    """15.01.2026"""
    return format_date(value, format="dd.MM.yyyy", locale=LOCALE)


@lru_cache(maxsize=FORMATTED)
def german_month(value: date) -> str:
    """ "November 2026"."""
    return format_date(value, format="LLLL yyyy", locale=LOCALE)


def german_number(value: Decimal | int) -> str:
    """2,5 (hours and other plain numbers)"""
    return format_decimal(value, locale=LOCALE)


def euro(value: Decimal | int) -> str:
    """1.234,50 €"""
    return format_currency(value, "EUR", locale=LOCALE)


# The German filters of every set of templates (mails, digest, web pages).
GERMAN_FILTERS: dict[str, Callable[..., str]] = {
    "german_date": german_date,
    "german_short_date": german_short_date,
    "german_month": german_month,
    "german_number": german_number,
    "euro": euro,
}


class Renderer:
    """Renders the mail templates below ``templates_dir`` (the workflow's templates directory)."""

    def __init__(self, templates_dir: Path) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            keep_trailing_newline=True,
            auto_reload=False,  # the templates do not change while the process runs
        )
        self._env.filters.update(GERMAN_FILTERS)
        self._templates: dict[tuple[str, str], Template] = {}

    def render(self, name: str, context: Mapping[str, object]) -> Rendered:
        """Render template ``name``; a missing template or variable raises WorkflowError."""
        values = dict(context)
        try:
            module = self._template(name, "txt").make_module(values)
            html = self._template(name, "html").render(values)
        except TemplateNotFound as error:
            raise WorkflowError(f"Mail-Vorlage {name!r} fehlt ({error.name})") from error
        except TemplateError as error:
            raise WorkflowError(f"Mail-Vorlage {name!r}: {error}") from error
        subject = " ".join(str(getattr(module, "subject", "")).split())
        if not subject:
            raise WorkflowError(f"Mail-Vorlage {name!r}: kein Betreff ({{% set subject %}})")
        return Rendered(subject, str(module), html)

    def _template(self, name: str, part: str) -> Template:
        """The compiled template, looked up once per name and part."""
        key = (name, part)
        template = self._templates.get(key)
        if template is None:
            template = self._templates[key] = self._env.get_template(f"mail/{name}.{part}.j2")
        return template
