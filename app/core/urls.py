"""Checking a URL before anything is sent: the same verdict, in the same words, for both modes.

A line that is not an http(s) URL with a valid host becomes a FAILED row straight away, so the
run goes on with the others and neither library ever sees it.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from urllib.parse import urlsplit

import idna

from app.core.run import ErrorKind
from app.i18n import _

FETCHABLE_SCHEMES = ("http", "https")
_OTHER_SCHEMES = frozenset(
    {"file", "ftp", "ftps", "sftp", "javascript", "data", "mailto", "about", "blob", "tel", "ws", "wss", "chrome"}
)



def check_url(url: str) -> tuple[ErrorKind, str] | None:
    """Why ``url`` cannot be fetched, or None when it looks like an http(s) URL with a host."""
    if _WHITESPACE.search(url):
        return ErrorKind.INVALID_URL, _("Not a URL: it contains spaces")
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL": the only thing urlsplit itself refuses
        return ErrorKind.INVALID_URL, _("Not a URL: the [ ] around the host name do not hold a valid IPv6 address")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return ErrorKind.INVALID_URL, _("Not a URL: the port after the colon must be a number from 0 to 65535")
    scheme = parts.scheme.lower()
    if scheme in FETCHABLE_SCHEMES:
        if not parts.hostname:
            return ErrorKind.INVALID_URL, _("Not a URL: there is no host name after the //")
        if problem := _host_problem(parts.hostname):
            return ErrorKind.INVALID_URL, _("Not a URL: {problem}").format(problem=problem)
        return None
    if scheme in _OTHER_SCHEMES or "://" in url:
        return (
            ErrorKind.UNSUPPORTED_SCHEME,
            _("Unsupported scheme {scheme}: (LoopLab fetches only http:// and https:// URLs)").format(scheme=scheme),
        )
    if "." in url.split("/", 1)[0]:
        return ErrorKind.INVALID_URL, _("Not a URL: it should start with http:// or https:// (did you mean http://{url}?)").format(url=url)
    return ErrorKind.INVALID_URL, _("Not a URL: it should start with http:// or https://")


def _allowed_in_host(character: str) -> bool:
    """Letters (of any script), digits, the hyphen and the dot: what IDNA lets into a host name."""
    return character.isalnum() or character in "-."


_WHITESPACE = re.compile(r"\s")
"""Any whitespace, as ``str.isspace`` sees it (a C loop: a 200,000-line paste is checked whole)."""


@functools.lru_cache(maxsize=4096)  # a long URL list names few hosts: check each once
def _host_problem(host: str) -> str | None:
    """What is wrong with a host name, checked the same way for both modes before sending."""
    if ":" in host:  # an IPv6 literal (urlsplit has removed the brackets)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return _("{host} is not a valid IPv6 address").format(host=host)
        return None
    labels = host.rstrip(".").split(".")
    if len(labels) == 4 and all(label.isdigit() for label in labels):
        try:
            ipaddress.IPv4Address(host.rstrip("."))
        except ValueError:
            return _("{host} is not a valid IP address (each number must be 0 to 255)").format(host=host)
        return None
    if any(not label for label in labels):
        return _("the host name {host} has an empty part (two dots in a row?)").format(host=host)
    try:
        # IDNA 2008 with UTS 46, as requests and yarl use: also rejects labels over 63 characters.
        encoded = idna.encode(host.rstrip("."), uts46=True)
    except idna.InvalidCodepoint:
        # The library names the character by its code point and position ("U+005F at position 4").
        bad = next((ch for ch in host if not _allowed_in_host(ch)), None)
        if bad and bad.isprintable():
            return _("{host} is not a valid host name: the character {character} cannot be part of one").format(host=host, character=bad)
        return _("{host} is not a valid host name: a character cannot be part of one").format(host=host)
    except idna.IDNAError as exc:
        if "too long" in str(exc).lower():
            return _("{host} is not a valid host name: a part between dots is longer than 63 characters").format(host=host)
        return _("{host} is not a valid host name").format(host=host)
    if len(encoded) > 253:
        return _("the host name is longer than 253 characters")
    return None
