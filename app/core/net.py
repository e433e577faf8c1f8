"""Small facts about network addresses, shared by the fetch and the demo server."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, MutableMapping
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and "localhost": addresses no other machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environment_proxies() -> dict[str, str]:
    """HTTP_PROXY, HTTPS_PROXY and NO_PROXY from the environment (read now, without touching DNS)."""
    import urllib.request  # where it is used: it takes ~20 ms to load, and the window paints first

    return urllib.request.getproxies_environment()


def proxy_for(url: str, proxies: Mapping[str, str]) -> str | None:
    """The proxy ``url`` should go through, or None: never for loopback, so the demo server is
    always reached directly, even under a proxy setting that forgot to exempt it."""
    if not proxies:  # the usual case: nothing to look up, nothing to parse (once per request)
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxy = proxies.get(parts.scheme.lower())
    if not proxy or is_loopback(host) or _bypassed(host, proxies):
        return None
    return proxy


def _bypassed(host: str, proxies: Mapping[str, str]) -> bool:
    import urllib.request  # only with a proxy set (see environment_proxies)

    return bool(urllib.request.proxy_bypass_environment(host, dict(proxies)))


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def exempt_loopback_from_proxies(environ: MutableMapping[str, str]) -> bool:
    """Adds the loopback names to NO_PROXY (and no_proxy) when a proxy is configured.

    LoopLab's own fetches never proxy loopback (:func:`proxy_for`), but a lesson's code calls
    ``requests.get`` as students would write it, and that honours the environment: under a
    school's HTTP_PROXY without NO_PROXY, the demo server would be asked for through the proxy.
    Returns True if the environment was changed.
    """
    if not any(environ.get(name) for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return False
    changed = False
    for name in ("NO_PROXY", "no_proxy"):
        present = [item.strip() for item in environ.get(name, "").split(",") if item.strip()]
        missing = [host for host in LOOPBACK_NAMES if host not in present]
        if missing:
            environ[name] = ",".join([*present, *missing])
            changed = True
    return changed
