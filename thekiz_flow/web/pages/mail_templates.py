"""The mail templates: the office reads and changes the wording of every mail.

``/mail-templates`` lists each template and role variant with when it is sent and whether
the office's own wording is in force; ``/mail-templates/NAME[.ROLE]`` edits its text (with
the subject) and its HTML version, with a preview on a real case from the database. Saving
refuses a template that does not render (400, nothing written); "Auf Standard
zurücksetzen" deletes the office's own wording after a confirmation. Without ``[mail]
templates_dir`` the pages only show the wording and say how to set it up.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response
from starlette.routing import Route

from thekiz_flow.core.enums import Recipient, Role
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.labels import RECIPIENT_NAMES
from thekiz_flow.mail.edit import Variant
from thekiz_flow.mail.render import PARTS
from thekiz_flow.service.mail_templates import NOT_CONFIGURED, Preview, TemplateRefused
from thekiz_flow.web.endpoints import Context, action, page
from thekiz_flow.web.fields import Errors, beside_fields
from thekiz_flow.web.state import NavItem

PATH = "/mail-templates"
TITLE = "Mailvorlagen"
UNCONFIRMED = "bitte bestätigen Sie das Zurücksetzen"
PART_LABELS = {"txt": "Text mit Betreff", "html": "HTML-Fassung"}


def _variant(ctx: Context) -> Variant:
    name, _, role = str(ctx.request.path_params["key"]).partition(".")
    return ctx.service.mail_templates.variant(name, role)


def _heading(ctx: Context, variant: Variant) -> str:
    entry = next(e for e in ctx.service.mail_templates.entries() if e.variant == variant)
    what = entry.occasions[0].partition(":")[0] if entry.occasions else variant.name
    return f"{what} – an {entry.readers}" if entry.readers else what


@page(Role.OFFICE)
def templates(ctx: Context) -> Response:
    service = ctx.service.mail_templates
    return ctx.render(
        "web/mail_templates.html.j2",
        title=TITLE,
        entries=service.entries(),
        configured=service.directory is not None,
        not_configured=NOT_CONFIGURED,
    )


def _editor(
    ctx: Context,
    variant: Variant,
    sources: Mapping[str, str],
    preview: Preview,
    errors: Errors,
) -> Response:
    service = ctx.service.mail_templates
    entry = next(e for e in service.entries() if e.variant == variant)
    return ctx.render(
        "web/mail_template.html.j2",
        400 if errors else 200,
        title=f"Mailvorlage: {_heading(ctx, variant)}",
        entry=entry,
        key=variant.key,
        sources=sources,
        preview=preview,
        errors=errors,
        labels=PART_LABELS,
        configured=service.directory is not None,
        not_configured=NOT_CONFIGURED,
        role_name=RECIPIENT_NAMES.get(Recipient(variant.role)) if variant.role else None,
    )


@page(Role.OFFICE)
def editor(ctx: Context) -> Response:
    variant = _variant(ctx)
    service = ctx.service.mail_templates
    sources = service.sources(variant)
    preview = service.preview(variant, sources)
    return _editor(ctx, variant, sources, preview, {})


def _posted(ctx: Context) -> dict[str, str]:
    return {part: ctx.text(part) for part in PARTS}


@action(Role.OFFICE)
def preview(ctx: Context) -> Response:
    """The preview of what was typed, nothing saved."""
    variant = _variant(ctx)
    sources = _posted(ctx)
    found = ctx.service.mail_templates.preview(variant, sources)
    return _editor(ctx, variant, sources, found, found.errors)


@action(Role.OFFICE)
def save(ctx: Context) -> Response:
    variant = _variant(ctx)
    sources = _posted(ctx)
    service = ctx.service.mail_templates

    def change() -> Response:
        try:
            service.save(variant, sources)
        except TemplateRefused as refused:
            return _editor(ctx, variant, sources, refused.preview, refused.errors)
        return ctx.redirect(f"{PATH}/{variant.key}", "Mailvorlage gespeichert.")

    def again(errors: Errors) -> Response:
        return _editor(ctx, variant, sources, service.preview(variant, sources), errors)

    return beside_fields(change, again)


def _reset_page(ctx: Context, variant: Variant, errors: Errors | None = None) -> Response:
    service = ctx.service.mail_templates
    return ctx.render(
        "web/mail_template_reset.html.j2",
        400 if errors else 200,
        title=f"Mailvorlage zurücksetzen: {_heading(ctx, variant)}",
        key=variant.key,
        overridden=service.overridden(variant),
        configured=service.directory is not None,
        not_configured=NOT_CONFIGURED,
        errors=errors or {},
    )


@page(Role.OFFICE)
def reset_form(ctx: Context) -> Response:
    return _reset_page(ctx, _variant(ctx))


@action(Role.OFFICE)
def reset(ctx: Context) -> Response:
    variant = _variant(ctx)

    def change() -> Response:
        if ctx.text("confirm") != "ja":
            raise InvalidInput("confirm", UNCONFIRMED)
        removed = ctx.service.mail_templates.reset(variant)
        message = "Die Standardfassung gilt wieder." if removed else "Es galt bereits der Standard."
        return ctx.redirect(f"{PATH}/{variant.key}", message)

    return beside_fields(change, lambda errors: _reset_page(ctx, variant, errors))


routes = [
    Route(PATH, templates, methods=["GET"]),
    Route(PATH + "/{key}", editor, methods=["GET"]),
    Route(PATH + "/{key}", save, methods=["POST"]),
    Route(PATH + "/{key}/preview", preview, methods=["POST"]),
    Route(PATH + "/{key}/reset", reset_form, methods=["GET"]),
    Route(PATH + "/{key}/reset", reset, methods=["POST"]),
]
nav = [NavItem(PATH, TITLE, (Role.OFFICE,))]
