"""Fixtures of the fault matrix: one lab of misbehaving servers per module, and its certificates."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import trustme

from app.core import fetch
from app.core.demo_server import DemoServer
from tests.faults.matrix import FAULTS, Fault, free_port
from tests.faults.servers import FaultLab, ok


@dataclass
class FaultServers:
    """Every server the matrix needs, started once, and how to address each fault."""

    lab: FaultLab
    http: str
    """The scripted plain-HTTP server: /ok, and /<fault name> for every fault with a script."""
    tls: SimpleNamespace
    """Base URLs of the HTTPS servers, one per certificate problem (and ``good``)."""
    demo_url: str
    demo_port: int
    ssl_context: ssl.SSLContext
    """Trusts the lab's certificate authority, as a school's machine trusts its own."""
    own_servers: dict[str, str] = field(default_factory=dict)
    """Fault name -> base URL of the server that takes its connections over."""
    closed_port: int = 0

    def bad_url(self, fault: Fault) -> str:
        if fault.script is not None:
            return f"{self.http}/{fault.name}"
        if fault.connection is not None:
            return self.own_servers[fault.name] + "/"
        assert fault.url is not None, fault.name
        return fault.url.format(http=self.http, tls=self.tls, free_port=self.closed_port, demo_port=self.demo_port)

    def good_url(self, fault: Fault) -> str:
        """A URL that works, from the same server where there is one to ask."""
        if fault.script is not None:
            return f"{self.http}/ok"
        if fault.url is not None and fault.url.startswith("{tls."):
            return f"{self.tls.good}/ok"
        return f"{self.demo_url}/bytes/100"

    def message(self, fault: Fault, words: str = "") -> str:
        """The exact words both modes must show for ``fault`` (``words``: other words allowed for it)."""
        parts = urlsplit(self.bad_url(fault))
        return (words or fault.message).format(
            where=f"{parts.hostname}:{parts.port}", host=parts.hostname, free_port=self.closed_port, **fault.fields
        )


@pytest.fixture(scope="module")
def lab_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def fault_servers(lab_ca: trustme.CA, demo_server: DemoServer) -> Iterator[FaultServers]:
    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)

    def serving(certificate: trustme.LeafCert) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        certificate.configure_cert(context)
        return context

    with lab_ca.cert_pem.tempfile() as ca_file:
        client_context = fetch.make_ssl_context(extra_ca_file=ca_file)
    with FaultLab() as lab:
        https = {
            "good": serving(lab_ca.issue_cert("127.0.0.1", "localhost")),
            "untrusted": serving(trustme.CA().issue_cert("127.0.0.1")),
            "expired": serving(lab_ca.issue_cert("127.0.0.1", not_before=now - 10 * day, not_after=now - day)),
            "not_yet_valid": serving(lab_ca.issue_cert("127.0.0.1", not_before=now + day, not_after=now + 10 * day)),
            "other_name": serving(lab_ca.issue_cert("other.example.test")),
            "other_address": serving(lab_ca.issue_cert("localhost")),
        }
        tls = {name: lab.scripted({"/ok": ok}, tls=context) for name, context in https.items()}
        # A name where a name is checked, an address where an address is.
        tls["other_name"] = tls["other_name"].replace("127.0.0.1", "localhost")
        servers = FaultServers(
            lab=lab,
            http=lab.scripted({"/ok": ok} | {f"/{f.name}": f.script for f in FAULTS if f.script is not None}),
            tls=SimpleNamespace(**tls),
            demo_url=demo_server.url,
            demo_port=demo_server.port,
            ssl_context=client_context,
            closed_port=free_port(),
        )
        for fault in FAULTS:
            if fault.connection is not None:
                port = lab.serve(fault.connection)  # type: ignore[arg-type]
                servers.own_servers[fault.name] = f"{'https' if fault.https else 'http'}://127.0.0.1:{port}"
        yield servers
