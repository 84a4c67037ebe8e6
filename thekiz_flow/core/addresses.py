"""E-mail addresses as the mails carry them: one address, or a display name and one address.

Pure (the standard library's ``email`` only): the settings check them when they are read,
the messages when they are built.
"""

from __future__ import annotations

import re
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.utils import formataddr
from functools import lru_cache

from thekiz_flow.core.errors import InvalidInput

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_NAMED = re.compile(r"(?P<name>[^<>\r\n]*)<(?P<address>[^<>\s]+)>")  # Name <address>
_DOT_ATOMS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*")  # RFC 5322 3.4.1


def envelope_address(value: str, role: str) -> str:
    """The address of a sender or recipient as the envelope and the header carry it."""
    if _DOT_ATOMS.fullmatch(value):
        return value  # the common case, and what Address would make of it, without its parser
    return single_address(value, role).addr_spec


@lru_cache(maxsize=64)  # the sender is parsed once, not per message
def named_address(value: str, role: str) -> tuple[str, str]:
    """(header value, address) of an address with an optional display name.

    The name is quoted as needed and RFC 2047-encoded when it is not ASCII; it may not hold
    angle brackets, CR or LF, and the address in the brackets must be a single address.
    """
    found = _NAMED.fullmatch(value.strip())
    if found is None:
        return (spec := envelope_address(value.strip(), role)), spec
    name = found["name"].strip().removeprefix('"').removesuffix('"').strip()
    spec = single_address(found["address"], role).addr_spec
    if not name:
        return spec, spec
    if any(c in name for c in '"\\\r\n'):
        raise InvalidInput(None, f"{role}: ungültiger Name {name!r}")
    if not spec.isascii():  # SMTPUTF8: formataddr takes ASCII addresses only
        return f"{Header(name, 'utf-8').encode()} <{spec}>", spec
    return formataddr((name, spec), charset="utf-8"), spec


@lru_cache(maxsize=1024)  # the sender is parsed once, not per message
def single_address(value: str, role: str) -> Address:
    """Exactly one address, nothing else: no display name smuggled in, no CR or LF."""
    try:
        address = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError) as error:
        raise InvalidInput(None, f"{role}: ungültige Adresse {value!r}") from error
    if not address.username or not address.domain:
        raise InvalidInput(None, f"{role}: ungültige Adresse {value!r}")
    return address


def name_and_address(value: str, role: str) -> tuple[str, str]:
    """(display name, address) of an address with an optional display name ("" if none)."""
    found = _NAMED.fullmatch(value.strip())
    if found is None:
        return "", envelope_address(value.strip(), role)
    name = found["name"].strip().removeprefix('"').removesuffix('"').strip()
    return name, single_address(found["address"], role).addr_spec
