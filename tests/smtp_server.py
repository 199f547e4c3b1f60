"""A real SMTP server (aiosmtpd) on loopback, run by the tests: it keeps every email it
accepts, parsed, and can be told to refuse (4xx for a while, or 5xx for an address), and to
require STARTTLS with a certificate made for the test."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    """One email as the server got it: the envelope and the parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    tls: bool

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    #: How many more RCPTs to answer "451 try later".
    busy: int = 0
    #: Addresses answered "550 no such mailbox".
    unknown: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, _o: Any):
        with self.lock:
            if self.busy > 0:
                self.busy -= 1
                return "451 4.3.0 Please try again later"
        if address.lower() in self.unknown:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    parsed,
                    session.ssl is not None,
                )
            )
        return "250 Message accepted"


class SmtpServer:
    """The server and what it received."""

    def __init__(self, handler: Handler, controller: Controller) -> None:
        self.handler = handler
        self.controller = controller

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def message_ids(self) -> Counter[str]:
        return Counter(r.message_id for r in self.received)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.received.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), and its key."""
    cert, key = folder / "smtp.crt", folder / "smtp.key"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def client_tls(cert: Path) -> ssl.SSLContext:
    """What the sender trusts: the test's certificate (verification stays on)."""
    return ssl.create_default_context(cafile=str(cert))


@contextlib.contextmanager
def smtp_server(
    *, tls: tuple[Path, Path] | None = None, password: tuple[str, str] | None = None
) -> Iterator[SmtpServer]:
    """Run a server; with `tls`, STARTTLS is offered and required; with `password`, AUTH."""
    handler = Handler()
    kwargs: dict[str, Any] = {}
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        kwargs |= {"tls_context": context, "require_starttls": True}
    if password is not None:

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == password
            )
            if ok:
                handler.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=ok)

        kwargs |= {"authenticator": authenticate, "auth_required": True}
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield SmtpServer(handler, controller)
    finally:
        controller.stop()
