"""A Mail as an RFC 5322 message: one recipient, headers built by the SMTP policy.

No header value is ever pasted together as text: addresses go through
``email.headerregistry.Address`` (which refuses CR, LF and a second address), the subject is
collapsed to one line, and the policy folds and encodes every header.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from thekiz_flow.errors import InvalidInput
from thekiz_flow.model import Mail


def build_message(mail: Mail, sender: str, now: datetime) -> EmailMessage:
    """The message for one outbox row; InvalidInput for a bad address or an unreadable file."""
    message = EmailMessage(policy=SMTP)
    message["From"] = single_address(sender, "Absender")
    message["To"] = single_address(mail.recipient, "Empfänger")
    message["Subject"] = " ".join(mail.subject.split())
    message["Date"] = format_datetime(now)
    message["Message-ID"] = mail.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for path in mail.attachments:
        _attach(message, Path(path))
    return message


def single_address(value: str, role: str) -> Address:
    """Exactly one address, nothing else: no display name smuggled in, no CR or LF."""
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError) as error:
        raise InvalidInput(f"{role}: ungültige Adresse {value!r}") from error
    if not address.username or not address.domain:
        raise InvalidInput(f"{role}: ungültige Adresse {value!r}")
    return address


def _attach(message: EmailMessage, path: Path) -> None:
    content_type, encoding = mimetypes.guess_type(path.name)
    if content_type is None or encoding is not None:
        content_type = "application/octet-stream"
    maintype, subtype = content_type.split("/", 1)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(f"Anhang nicht lesbar: {path} ({error.strerror})") from error
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=path.name)
