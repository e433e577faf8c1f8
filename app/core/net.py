"""Small facts about network addresses, shared by the fetch and the demo server."""

from __future__ import annotations

import ipaddress
import urllib.request
from collections.abc import Mapping
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
    return urllib.request.getproxies_environment()


def proxy_for(url: str, proxies: Mapping[str, str]) -> str | None:
    """The proxy ``url`` should go through, or None: never for loopback, so the demo server is
    always reached directly, even under a proxy setting that forgot to exempt it."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxy = proxies.get(parts.scheme.lower())
    if not proxy or is_loopback(host) or urllib.request.proxy_bypass_environment(host, dict(proxies)):
        return None
    return proxy
