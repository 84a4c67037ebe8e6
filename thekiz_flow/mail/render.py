"""Rendering the German mail templates: a subject, a plain text and an HTML part per mail.

``templates/mail/NAME.txt.j2`` is the text and defines the subject with
``{% set subject %}…{% endset %}``; ``templates/mail/NAME.html.j2`` is the HTML part and is
autoescaped. Every variable a template names must be in the context (StrictUndefined).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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
from thekiz_flow.german import GERMAN_FILTERS


@dataclass(frozen=True)
class Rendered:
    subject: str  # one line: never contains CR or LF
    text: str
    html: str


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
