"""Who receives a centre's mail: the role-to-address rule. Pure."""

from __future__ import annotations

from thekiz_flow.core.enums import Recipient
from thekiz_flow.core.model import Centre, Coach

# Why a mail has no recipient, as the office reads it in the outbox and the preview; the
# setting named is for whoever keeps the configuration.
NO_OFFICE = "keine Adresse der Fachstelle eingerichtet, Einstellung [mail] office"
NO_MINISTRY = "keine Adresse des Ministeriums eingerichtet, Einstellung [mail] ministry"


def address(
    role: Recipient, centre: Centre, coach: Coach | None, office: str | None
) -> tuple[str, str | None]:
    """A role's address for a centre: (address, None), or ("", why there is none).

    Takes the role (``office``, ``centre`` or ``coach``), the centre, the coach the mail is
    about (None: it has none) and the office's address (None or "" if none is configured). The
    reason is German: it is shown in the outbox instead of a mail that cannot be sent.
    """
    if role == Recipient.OFFICE:
        return (office, None) if office else ("", NO_OFFICE)
    if role == Recipient.CENTRE:
        return centre.email, None
    if coach is not None:
        return coach.email, None
    return "", "keine Prozessbegleitung zugeordnet"
