"""Rendering the German mail templates: a subject, a plain text and an HTML part per mail.

``templates/mail/NAME.txt.j2`` is the text and defines the subject with
``{% set subject %}…{% endset %}``; ``templates/mail/NAME.html.j2`` is the HTML part and is
autoescaped. A mail for one role (centre, coach, office) is written from
``NAME.ROLE.txt.j2`` and ``NAME.ROLE.html.j2`` where these exist, so each reader gets their
own wording. Every variable a template names must be in the context (StrictUndefined);
every template also sees ``role`` (the recipient's role, "" if none), ``base_url`` (the web
pages' address, None when not configured: then a mail says in words where to go) and the
filter ``trigger_name`` (a step's German name, from the workflow file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.german import GERMAN_FILTERS


@dataclass(frozen=True)
class Rendered:
    subject: str  # one line: never contains CR or LF
    text: str
    html: str


class Renderer:
    """Renders the mail templates below ``templates_dir`` (the workflow's templates directory)."""

    def __init__(
        self,
        templates_dir: Path,
        step_name: Callable[[str], str],
        base_url: str | None = None,
    ) -> None:
        self._env = Environment(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            keep_trailing_newline=True,
            auto_reload=False,  # the templates do not change while the process runs
        )
        self._env.filters.update(GERMAN_FILTERS)
        self._env.filters["trigger_name"] = step_name  # the workflow's German names
        self._env.globals["base_url"] = base_url
        self._templates: dict[tuple[str, str, str], Template] = {}

    def render(self, name: str, context: Mapping[str, object], role: str = "") -> Rendered:
        """Render template ``name`` for a recipient's ``role`` (its own wording if there is
        one); a missing template or variable raises WorkflowError."""
        values = {"role": role, **context}
        try:
            module = self._template(name, "txt", role).make_module(values)
            html = self._template(name, "html", role).render(values)
        except TemplateNotFound as error:
            raise WorkflowError(f"Mail-Vorlage {name!r} fehlt ({error.name})") from error
        except TemplateError as error:
            raise WorkflowError(f"Mail-Vorlage {name!r}: {error}") from error
        subject = " ".join(str(getattr(module, "subject", "")).split())
        if not subject:
            raise WorkflowError(f"Mail-Vorlage {name!r}: kein Betreff ({{% set subject %}})")
        return Rendered(subject, str(module), html)

    def _template(self, name: str, part: str, role: str) -> Template:
        """The compiled template, the role's own if it has one, looked up once per key."""
        key = (name, part, role)
        template = self._templates.get(key)
        if template is None:
            names = [f"mail/{name}.{role}.{part}.j2"] if role else []
            names.append(f"mail/{name}.{part}.j2")
            template = self._templates[key] = self._env.select_template(names)
        return template
