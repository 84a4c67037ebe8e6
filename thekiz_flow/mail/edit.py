"""The office's own wording: which mail templates there are, and checking an edit of one.

An edit is checked before it is saved: it is compiled and rendered (sandboxed, every
variable must exist) with the context the mail would have, and a fault is reported in
German with its line, by the part it is in (``txt``: the text with the subject, ``html``).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    FunctionLoader,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.exceptions import SecurityError

from thekiz_flow.core.errors import WorkflowError
from thekiz_flow.mail.render import (
    PARTS,
    Rendered,
    Renderer,
    described,
    file_name,
    mail_environment,
)
from thekiz_flow.mail.render import render_with as _render_with

_MAIL = "mail/"
_VARIANT = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)(?:\.(?P<role>[a-z]+))?\.(?P<part>txt|html)\.j2$")


@dataclass(frozen=True)
class Variant:
    """One template the office may edit: a mail (``name``) for every reader, or its own
    wording for one role."""

    name: str
    role: str = ""  # "" : the common wording

    @property
    def key(self) -> str:
        """``NAME`` or ``NAME.ROLE``: the files' names without the part."""
        return f"{self.name}.{self.role}" if self.role else self.name

    def file(self, part: str) -> str:
        return file_name(self.name, part, self.role)


def variants(templates_dir: Path) -> list[Variant]:
    """Every packaged mail template and role variant with both parts (the shared pieces
    ``_layout``, ``_links`` are not among them), by name."""
    found: dict[Variant, set[str]] = {}
    for path in (templates_dir / "mail").iterdir():
        match = _VARIANT.match(path.name)
        if match is not None:
            variant = Variant(match["name"], match["role"] or "")
            found.setdefault(variant, set()).add(match["part"])
    whole = [v for v, parts in found.items() if parts == set(PARTS)]
    return sorted(whole, key=lambda v: (v.name, v.role))


def packaged_source(templates_dir: Path, variant: Variant, part: str) -> str:
    return (templates_dir / "mail" / variant.file(part)).read_text(encoding="utf-8")


class EditRefused(Exception):
    """An edit that would not render: the German message per part (``txt``, ``html``)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


def check_edit(
    renderer: Renderer,
    variant: Variant,
    sources: Mapping[str, str],
    context: Mapping[str, object],
    role: str,
) -> Rendered:
    """Render ``variant`` with ``sources`` (by part) instead of its file, for a reader of
    ``role``, as the mail would be: the result, or EditRefused naming each faulty part."""
    edited = {_MAIL + variant.file(part): text for part, text in sources.items()}

    def load(name: str) -> tuple[str, str, Callable[[], bool]] | None:
        text = edited.get(name)
        return None if text is None else (text, name, lambda: True)

    loader = ChoiceLoader([FunctionLoader(load), renderer.loader])
    env = mail_environment(loader, renderer.step_name, renderer.base_url)
    errors: dict[str, str] = {}
    values = {"role": role, **context}
    for part in PARTS:  # each on its own, so both faults are shown at once
        try:
            env.get_template(_MAIL + variant.file(part)).render(values)
        except TemplateSyntaxError as error:
            errors[part] = _syntax(error)
        except TemplateError as error:  # render() gives the template's lines in the traceback
            errors[part] = _explain(error, _where(error, variant.file(part)), context)
    if errors:
        raise EditRefused(errors)
    try:
        return _render_with(env, variant.name, context, role)
    except WorkflowError as error:  # no subject
        raise EditRefused({"txt": _explain(error, "", context)}) from error


#: Jinja's most frequent syntax errors, in German: (pattern, wording with its groups).
_SYNTAX = (
    (
        r"innermost block that needs to be closed is '(\w+)'",
        "der Block „{0}“ wird nicht geschlossen",
    ),
    (r"^Unexpected end of template", "die Vorlage endet mitten in einem Befehl"),
    (r"^Encountered unknown tag '(\w+)'", "unbekannter Befehl „{0}“"),
    (r"^unexpected 'end of print statement'", "unerwartetes „}}“: es fehlt ein Ausdruck"),
    (r"^unexpected 'end of statement block'", "unerwartetes „%}“: es fehlt ein Ausdruck"),
    (r"^unexpected '(.+)'$", "unerwartetes „{0}“"),
    (r"^Expected an expression", "hier fehlt ein Ausdruck"),
)


def _syntax(error: TemplateSyntaxError) -> str:
    detail = error.message or ""
    for pattern, wording in _SYNTAX:
        if (found := re.search(pattern, detail)) is not None:
            return f"Zeile {error.lineno}: Syntaxfehler: {wording.format(*found.groups())}"
    return f"Zeile {error.lineno}: Syntaxfehler ({detail})"


def _where(error: BaseException, file: str) -> str:
    """Where in the templates the error was raised: "Zeile 3: " in the edited one, else
    "_layout.html.j2, Zeile 1: " (a shared piece it uses); "" if no template line is known."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        name = frame.filename.replace("\\", "/").rsplit("/", 1)[-1]
        if name.endswith(".j2") and frame.lineno is not None:
            return f"Zeile {frame.lineno}: " if name == file else f"{name}, Zeile {frame.lineno}: "
    return ""


def _explain(error: Exception, at: str, context: Mapping[str, object]) -> str:
    if isinstance(error, WorkflowError) and "kein Betreff" in str(error):
        return "kein Betreff: die Textfassung braucht {% set subject %}…{% endset %}"
    if not isinstance(error, TemplateError):
        return f"{at}Fehler beim Erstellen der Mail ({error})"
    text = described(error)
    if isinstance(error, UndefinedError) and "Variable" in text:
        text += f" (verfügbar: {', '.join(sorted(['role', 'base_url', *context]))})"
    elif not isinstance(error, (UndefinedError, SecurityError)):
        text = f"Fehler beim Erstellen der Mail ({text})"
    return at + text
