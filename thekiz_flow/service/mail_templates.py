"""The office's own wording of the mails: list, preview, save and reset the overrides.

An override is a file of the packaged template's name in ``[mail] templates_dir``
(`thekiz_flow.mail.render`). Saving checks it first: it must compile and render (sandboxed,
every variable defined) with the context the mail would have for a real case from the
database (made-up data only where there is none); a refused edit writes nothing. A file is
written atomically (a temporary file, then renamed), and who changed or reset which
template when is appended to ``aenderungen.log`` in that directory.

Should an override break anyway (edited by hand), the mails it writes are kept in the
outbox as failed with the reason (`Runtime.compose`); ``thekiz-flow templates check`` finds
it before.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from thekiz_flow.core import german
from thekiz_flow.core.errors import InvalidInput, NotFound, Refused
from thekiz_flow.core.labels import RECIPIENT_NAMES
from thekiz_flow.mail.edit import EditRefused, Variant, check_edit, packaged_source, variants
from thekiz_flow.mail.render import PARTS, Rendered
from thekiz_flow.service.digest import DigestService
from thekiz_flow.service.mail_cases import MailCases
from thekiz_flow.service.reminders import ReminderService
from thekiz_flow.service.runtime import Runtime

CHANGES = "aenderungen.log"  # who changed which template when, one line each
MAX_CHARS = 100_000  # of one part
NOT_CONFIGURED = (
    "Mailvorlagen können nur bearbeitet werden, wenn die Administration ein Verzeichnis "
    "dafür einrichtet: in der Konfiguration unter [mail] templates_dir = "
    '"var/mail-templates" (ein Verzeichnis, in das der Dienst schreiben darf), danach den '
    "Dienst neu starten."
)
_log = logging.getLogger("thekiz_flow.templates")


@dataclass(frozen=True)
class Entry:
    """One template on the list: when it is sent, to whom, and whether the office's own."""

    variant: Variant
    occasions: tuple[str, ...]
    readers: str  # "Fachstelle", "Einrichtung, Prozessbegleitung"
    overridden: bool
    changed: str | None  # "03.12.2026 16:50 von fachstelle@example.org"


@dataclass(frozen=True)
class Preview:
    rendered: Rendered | None
    errors: Mapping[str, str]  # by part ("txt", "html"), if it does not render
    source: str  # what data it shows, in German
    sample: bool  # made-up data: the database holds no case
    variables: tuple[str, ...] = ()  # what the template may name


class TemplateRefused(InvalidInput):
    """An edit that does not render: the German message per part, and its preview."""

    def __init__(self, preview: Preview) -> None:
        part = next(iter(preview.errors))
        super().__init__(part, preview.errors[part])
        self.errors = dict(preview.errors)
        self.preview = preview


class MailTemplateService:
    def __init__(self, rt: Runtime, reminders: ReminderService, digest: DigestService) -> None:
        self.rt = rt
        self.cases = MailCases(rt, reminders, digest)

    @property
    def directory(self) -> Path | None:
        return self.rt.mail.templates_dir

    @property
    def packaged(self) -> Path:
        return self.rt.workflow.templates_dir

    # ------------------------------------------------------------ reading
    def entries(self) -> list[Entry]:
        changes = self._changes()
        found = variants(self.packaged)
        return [
            Entry(
                v,
                self.cases.occasions(v.name),
                ", ".join(RECIPIENT_NAMES[r] for r in self.cases.readers(v, found)),
                self.overridden(v),
                changes.get(v.key),
            )
            for v in found
        ]

    def variant(self, name: str, role: str) -> Variant:
        wanted = Variant(name, role)
        if wanted not in variants(self.packaged):
            raise NotFound("Diese Mailvorlage gibt es nicht.")
        return wanted

    def overridden(self, variant: Variant) -> bool:
        return any(path.is_file() for path in self._override_paths(variant))

    def sources(self, variant: Variant) -> dict[str, str]:
        """The wording in force: the office's own, else the packaged."""
        result = self.default_sources(variant)
        for part, path in zip(PARTS, self._override_paths(variant), strict=False):  # none: []
            if path.is_file():
                result[part] = path.read_text(encoding="utf-8")
        return result

    def default_sources(self, variant: Variant) -> dict[str, str]:
        return {part: packaged_source(self.packaged, variant, part) for part in PARTS}

    # ------------------------------------------------------------ preview, check
    def preview(self, variant: Variant, sources: Mapping[str, str] | None = None) -> Preview:
        """The mail as ``sources`` (default: the wording in force) would write it for a real
        case; with the faults per part if it does not render."""
        edited = _clean(sources if sources is not None else self.sources(variant))
        role = self.cases.preview_role(variant)
        context, source, sample = self.cases.context(variant.name, role)
        names = tuple(sorted(["role", "base_url", *context]))
        try:
            rendered = check_edit(self.rt.renderer, variant, edited, context, role)
        except EditRefused as refused:
            return Preview(None, refused.errors, source, sample, names)
        return Preview(rendered, {}, source, sample, names)

    def check_overrides(self) -> list[tuple[str, str]]:
        """Every override file that would not render, or matches no template: (file, why).
        An override of a shared piece (``_layout.html.j2``) is checked with every mail."""
        directory = self.directory
        if directory is None or not directory.is_dir():
            return []
        found = variants(self.packaged)
        known = {v.file(part): [v] for v in found for part in PARTS}
        shared = {p.name for p in (self.packaged / "mail").glob("_*.j2")}
        problems: list[tuple[str, str]] = []
        checked: set[Variant] = set()
        for path in sorted(directory.glob("*.j2")):
            using = found if path.name in shared else known.get(path.name)
            if using is None:
                problems.append((path.name, "zu keiner Mailvorlage gehörig (Dateiname prüfen)"))
            for variant in (v for v in using or [] if v not in checked):
                checked.add(variant)
                errors = self.preview(variant).errors
                problems += [(variant.file(part), why) for part, why in errors.items()]
        return problems

    # ------------------------------------------------------------ changing
    def save(self, variant: Variant, sources: Mapping[str, str]) -> Rendered:
        """Check the edit and write it as the office's own wording (each part that differs
        from the packaged one); refused, nothing is written."""
        directory = self._require_directory()
        edited = _clean(sources)
        for part in PARTS:
            if len(edited.get(part, "")) > MAX_CHARS:
                raise InvalidInput(part, f"zu lang (höchstens {MAX_CHARS} Zeichen)")
        found = self.preview(variant, edited)
        if found.rendered is None:
            raise TemplateRefused(found)
        directory.mkdir(parents=True, exist_ok=True)
        default = self.default_sources(variant)
        for part, path in zip(PARTS, self._override_paths(variant), strict=True):
            if edited[part] != default[part]:
                _write_atomically(path, edited[part])
            else:  # unchanged: the packaged part stays in force, with its later updates
                path.unlink(missing_ok=True)
        self._record(variant, "geändert")
        return found.rendered

    def reset(self, variant: Variant) -> bool:
        """Delete the office's own wording: the packaged one is in force again. True if there
        was one."""
        self._require_directory()
        removed = False
        for path in self._override_paths(variant):
            if path.is_file():
                path.unlink()
                removed = True
        if removed:
            self._record(variant, "auf Standard zurückgesetzt")
        return removed

    # ------------------------------------------------------------ helpers
    def _require_directory(self) -> Path:
        if self.directory is None:
            raise Refused(NOT_CONFIGURED)
        return self.directory

    def _override_paths(self, variant: Variant) -> list[Path]:
        if self.directory is None:
            return []
        return [self.directory / variant.file(part) for part in PARTS]

    def _record(self, variant: Variant, what: str) -> None:
        directory = self._require_directory()
        now = self.rt.clock.now()
        line = f"{now.isoformat()}\t{variant.key}\t{what}\t{self.rt.actor}\n"
        with (directory / CHANGES).open("a", encoding="utf-8") as log:
            log.write(line)
        _log.info("Mailvorlage %s %s von %s", variant.file("txt"), what, self.rt.actor)

    def _changes(self) -> dict[str, str]:
        """The last change of each template: "03.12.2026 16:50 geändert von …"."""
        if self.directory is None or not (self.directory / CHANGES).is_file():
            return {}
        last: dict[str, str] = {}
        for line in (self.directory / CHANGES).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 4:
                when, key, what, actor = parts
                try:
                    stamp = german.date_time(_parse(when), self.rt.zone)
                except ValueError:
                    continue
                last[key] = f"{stamp} {what} von {actor}"
        return last


def _clean(sources: Mapping[str, str]) -> dict[str, str]:
    """Line ends as the files have them (a browser sends CR LF)."""
    return {part: sources.get(part, "").replace("\r\n", "\n").replace("\r", "\n") for part in PARTS}


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new, never part."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
