"""Rendering the German mail templates: a subject, a plain text and an HTML part per mail.

``templates/mail/NAME.txt.j2`` is the text and defines the subject with
``{% set subject %}…{% endset %}``; ``templates/mail/NAME.html.j2`` is the HTML part and is
autoescaped. A mail for one role (centre, coach, office) is written from
``NAME.ROLE.txt.j2`` and ``NAME.ROLE.html.j2`` where these exist, so each reader gets their
own wording. Every variable a template names must be in the context (StrictUndefined);
every template also sees ``role`` (the recipient's role, "" if none), ``base_url`` (the web
pages' address, None when not configured: then a mail says in words where to go) and the
filter ``trigger_name`` (a step's German name, from the workflow file).

The office may override any of them: a file of the same name (``NAME.ROLE.txt.j2``, flat,
no ``mail/`` folder) in the ``[mail] templates_dir`` wins over the packaged one. Overrides
are read again when they change, appear or disappear (the packaged templates never change
while the process runs). Templates are code the office edits, so they run sandboxed
(`jinja2.sandbox.SandboxedEnvironment`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.core.german import GERMAN_FILTERS

PARTS = ("txt", "html")
_MAIL = "mail/"


@dataclass(frozen=True)
class Rendered:
    subject: str  # one line: never contains CR or LF
    text: str
    html: str


def file_name(name: str, part: str, role: str = "") -> str:
    """The file of a template's part for a role ("" for the common one): ``NAME.ROLE.txt.j2``."""
    return ".".join(p for p in (name, role, part, "j2") if p)


class OverrideLoader(BaseLoader):
    """``mail/FILE`` from the overrides directory if it holds FILE, else from the packaged
    templates. A template found either way is out of date once an override appears, changes
    or goes, so a saved or reset override takes effect without a restart."""

    def __init__(self, templates_dir: Path, overrides: Path | None) -> None:
        self.packaged = FileSystemLoader(templates_dir)
        self.overrides = overrides

    def override_path(self, template: str) -> Path | None:
        if self.overrides is None or not template.startswith(_MAIL):
            return None
        return self.overrides / template.removeprefix(_MAIL)

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        path = self.override_path(template)
        stamp = _stamp(path)
        if path is not None and stamp is not None:
            source = path.read_text(encoding="utf-8")
            return source, str(path), lambda: _stamp(path) == stamp
        source, filename, uptodate = self.packaged.get_source(environment, template)

        def fresh() -> bool:
            return (uptodate is None or uptodate()) and _stamp(path) is None

        return source, filename, fresh


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """When a file last changed and its size, None if there is none."""
    if path is None:
        return None
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_mtime_ns, found.st_size


def mail_environment(
    loader: BaseLoader,
    step_name: Callable[[str], str],
    base_url: str | None,
    reload: bool = True,
) -> Environment:
    """The sandboxed environment every mail is rendered in (and every edit is checked in);
    ``step_name``: the workflow's German name of a step; ``reload``: look whether a
    template changed before each use (for overrides)."""
    env = SandboxedEnvironment(
        loader=loader,
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        keep_trailing_newline=True,
        auto_reload=reload,
    )
    env.filters.update(GERMAN_FILTERS)
    env.filters["trigger_name"] = step_name
    env.globals["base_url"] = base_url
    return env


def render_with(
    env: Environment, name: str, context: Mapping[str, object], role: str = ""
) -> Rendered:
    """Render template ``name`` for ``role`` in ``env``; a missing template or variable, or
    an empty subject, raises WorkflowError (its cause is Jinja's error)."""
    values = {"role": role, **context}
    try:
        module = _select(env, name, "txt", role).make_module(values)
        html = _select(env, name, "html", role).render(values)
    except TemplateNotFound as error:
        raise WorkflowError(f"Mail-Vorlage {name!r} fehlt ({error.name})") from error
    except TemplateError as error:
        raise WorkflowError(f"Mail-Vorlage {name!r}: {described(error)}") from error
    subject = " ".join(str(getattr(module, "subject", "")).split())
    if not subject:
        raise WorkflowError(f"Mail-Vorlage {name!r}: kein Betreff ({{% set subject %}})")
    return Rendered(subject, str(module), html)


def described(error: TemplateError) -> str:
    """A template's fault in German: an unknown variable or field by its name."""
    text = str(error)
    if isinstance(error, UndefinedError):
        if (found := re.search(r"'([^']+)' is undefined", text)) is not None:
            return f"unbekannte Variable „{found[1]}“"
        if (found := re.search(r"has no attribute '([^']+)'", text)) is not None:
            return f"unbekanntes Feld „{found[1]}“"
        return f"undefinierter Wert ({text})"
    if isinstance(error, SecurityError):
        return f"in Mail-Vorlagen nicht erlaubt ({text})"
    return text


def _select(env: Environment, name: str, part: str, role: str) -> Template:
    names = [_MAIL + file_name(name, part, role)] if role else []
    names.append(_MAIL + file_name(name, part))
    return env.select_template(names)


class Renderer:
    """Renders the mail templates below ``templates_dir`` (the workflow's templates
    directory), each overridden by a file of the same name in ``overrides`` if there is one."""

    def __init__(
        self,
        templates_dir: Path,
        step_name: Callable[[str], str],
        base_url: str | None = None,
        overrides: Path | None = None,
    ) -> None:
        self.templates_dir = templates_dir
        self.step_name = step_name
        self.overrides = overrides
        self.base_url = base_url
        self.loader = OverrideLoader(templates_dir, overrides)
        # the packaged templates do not change while the process runs; overrides may
        self._env = mail_environment(self.loader, step_name, base_url, reload=overrides is not None)

    def render(self, name: str, context: Mapping[str, object], role: str = "") -> Rendered:
        """Render template ``name`` for a recipient's ``role`` (its own wording if there is
        one); a missing template or variable raises WorkflowError."""
        return render_with(self._env, name, context, role)
