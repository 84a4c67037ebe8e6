"""A Mail as the bytes of an RFC 5322 message: one recipient, MIME, CRLF, ready for SMTP.

No header value is ever pasted together unchecked: addresses go through
``email.headerregistry.Address`` (which refuses CR, LF and a second address), the subject is
collapsed to one line, then RFC 2047-encoded and folded by ``email.header``; the other headers
are made here from values that cannot hold a line break. Unless an address is not ASCII, the
message is 7-bit clean for any server: each body is UTF-8, 7bit when it is ASCII with short
lines, else quoted-printable or base64, whichever is shorter. Attachments (rare) are made by
``email``'s SMTP policy.

A calendar invitation goes as mail clients send and expect one (Google Calendar's own
layout, which Outlook, Gmail, Apple Mail and Thunderbird all read): a third alternative
``text/calendar; method=...`` beside the text and the HTML, which a client shows with its
buttons to add the event, and the same bytes once more as an ``.ics`` attachment for a
client that shows only attachments.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from thekiz_flow.core.addresses import envelope_address as _envelope_address
from thekiz_flow.core.addresses import named_address
from thekiz_flow.core.errors import InvalidInput
from thekiz_flow.core.model import Mail

CRLF = b"\r\n"
MAX_LINE = 78  # longer lines are encoded (RFC 5322 2.1.1)
CALENDAR_FILE = "termin.ics"
_METHOD = re.compile(r"^METHOD:([A-Z-]+)\r?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One message: its envelope and its bytes as they go over the wire."""

    sender: str
    recipient: str
    content: bytes

    def __bytes__(self) -> bytes:
        return self.content

    @property
    def needs_smtputf8(self) -> bool:
        """An address is not ASCII: only a server with SMTPUTF8 can take the message."""
        return not (self.sender + self.recipient).isascii()


def build_message(
    mail: Mail, sender: str, now: datetime, reply_to: str | None = None
) -> OutgoingMessage:
    """The message for one outbox row; InvalidInput for a bad address or an unreadable file.

    ``sender`` and ``reply_to`` are an address, or a display name with the address in angle
    brackets ("ThEKiZ Koordination <koordination@example.org>"); the envelope carries the
    address alone.
    """
    from_header, envelope_from = named_address(sender, "Absender")
    envelope_to = _envelope_address(mail.recipient, "Empfänger")
    answer = () if reply_to is None else (f"Reply-To: {named_address(reply_to, 'Antwort an')[0]}",)
    texts = [_text(mail.text, "plain"), _text(mail.html, "html")]
    files = [_attachment(Path(p)) for p in mail.attachments]
    if mail.calendar is not None:
        method = _calendar_method(mail.calendar)
        texts.append(_text(mail.calendar, f"calendar; method={method}"))
        disposition = f'attachment; filename="{CALENDAR_FILE}"'
        files.append(_part(mail.calendar, f'application/ics; name="{CALENDAR_FILE}"', disposition))
    body = _multipart("alternative", texts)
    if files:
        body = _multipart("mixed", [body, *files])
    head = "\r\n".join(
        (
            f"From: {from_header}",
            *answer,
            f"To: {envelope_to}",
            _subject(mail.subject),
            f"Date: {format_datetime(now)}",
            f"Message-ID: {mail.message_id}",
            "Auto-Submitted: auto-generated",
            "MIME-Version: 1.0",
            "",
        )
    )
    return OutgoingMessage(envelope_from, envelope_to, head.encode("utf-8") + body)


def _subject(subject: str) -> str:
    """One line; encoded words when it is not plain ASCII (or looks like an encoded word)."""
    line = " ".join(subject.split())
    if line.isascii() and "=?" not in line:
        return _fold("Subject", line)
    return "Subject: " + Header(line, "utf-8", header_name="Subject").encode(linesep="\r\n")


def _fold(name: str, value: str) -> str:
    """``name: value``, folded before a space where a line would grow past MAX_LINE."""
    first, *rest = value.split(" ")
    lines = [f"{name}: {first}"]
    for word in rest:
        if len(lines[-1]) + 1 + len(word) > MAX_LINE:
            lines.append(f" {word}")
        else:
            lines[-1] += f" {word}"
    return "\r\n".join(lines)


def _text(text: str, subtype: str) -> bytes:
    """A text part in UTF-8, each line ended by CRLF (the last one too)."""
    return _part(text, f'text/{subtype}; charset="utf-8"')


def _part(text: str, content_type: str, disposition: str | None = None) -> bytes:
    """A part of ``content_type`` holding ``text`` in UTF-8, each line ended by CRLF."""
    lines = text.encode("utf-8").splitlines()
    data = CRLF.join(lines) + CRLF
    if data.isascii() and max(map(len, lines), default=0) <= MAX_LINE:
        encoding, payload = "7bit", data
    else:
        encoding, payload = _shorter_encoding(data)
    head = f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}"
    if disposition is not None:
        head += f"\r\nContent-Disposition: {disposition}"
    return head.encode("ascii") + CRLF + CRLF + payload


def _calendar_method(calendar: str) -> str:
    """The iTIP method (REQUEST, CANCEL) the calendar's METHOD line names."""
    found = _METHOD.search(calendar)
    if found is None:
        raise InvalidInput(None, "Kalendereinladung ohne METHOD")
    return found[1]


def _shorter_encoding(data: bytes) -> tuple[str, bytes]:
    quoted = binascii.b2a_qp(data, istext=True)
    if len(quoted) <= len(data) * 4 // 3:
        return "quoted-printable", quoted
    return "base64", base64.encodebytes(data).replace(b"\n", CRLF)


def _multipart(subtype: str, parts: Sequence[bytes]) -> bytes:
    """The parts between boundaries that none of them contains."""
    boundary = _boundary(parts)
    head = f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"\r\n\r\n'
    delimiter = b"--" + boundary.encode("ascii")
    body = b"".join(delimiter + CRLF + part + CRLF for part in parts)
    return head.encode("ascii") + body + delimiter + b"--" + CRLF


def _boundary(parts: Sequence[bytes]) -> str:
    while True:
        boundary = f"=_{secrets.token_hex(16)}"
        if not any(boundary.encode("ascii") in part for part in parts):
            return boundary


def _attachment(path: Path) -> bytes:
    content_type, encoding = mimetypes.guess_type(path.name)
    if content_type is None or encoding is not None:
        content_type = "application/octet-stream"
    maintype, subtype = content_type.split("/", 1)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(None, f"Anhang nicht lesbar: {path} ({error.strerror})") from error
    part = MIMEPart(policy=SMTP)
    part.set_content(data, maintype, subtype, disposition="attachment", filename=path.name)
    return part.as_bytes()
