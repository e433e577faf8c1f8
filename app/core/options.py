"""How every request of a run is made, the same in both modes: one :class:`FetchOptions`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.core.net import environment_proxies

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BODY_BYTES = 20_000_000
DEFAULT_MAX_REDIRECTS = 10
DEFAULT_CONCURRENCY = 100
"""aiohttp's own default connection limit."""


@dataclass(frozen=True)
class FetchOptions:
    """How every request of a run is made, identical in both modes."""

    timeout: float = DEFAULT_TIMEOUT
    """Seconds for the whole request, connecting and downloading included."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """Reading stops, with an error, past this many bytes of body."""
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    proxies: Mapping[str, str] = field(default_factory=environment_proxies)
    """Scheme -> proxy URL (and "no" -> exemptions), as HTTP_PROXY / HTTPS_PROXY / NO_PROXY give them."""

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout}")
        if self.max_body_bytes < 0 or self.max_redirects < 0:
            raise ValueError("max_body_bytes and max_redirects cannot be negative")
