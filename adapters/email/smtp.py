"""Sending over SMTP with the standard library, in worker threads (never on the event loop).

Each worker thread keeps one connection open and reuses it. STARTTLS is required unless the
settings turned it off for a mail server on this machine; port 465 is TLS from the start. The
user and password (from the environment only) are sent only over TLS, or to a local server.

Failures become `DeliveryError`s: a 4xx reply, a dropped or refused connection or a timeout is
transient (the outbox retries with backoff); a 5xx reply is permanent (a dead letter that
conveners see in /cop undelivered). Their reasons never carry the address.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage

from bot.config import reveal
from bot.config_email import EmailSettings
from bot.ports import DeliveryError

#: A connection idle this long is checked (NOOP) before use: servers close idle ones.
IDLE_CHECK = 5.0


class SmtpSender:
    """Sends messages; one reused connection per calling thread."""

    def __init__(self, settings: EmailSettings, *, tls: ssl.SSLContext | None = None) -> None:
        self._settings = settings
        self._tls = tls or ssl.create_default_context()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[smtplib.SMTP] = set()

    def send(self, message: EmailMessage, recipients: list[str]) -> None:
        """Send `message` to `recipients` (the envelope: never read from its headers)."""
        try:
            connection = self._connection()
            refused = connection.send_message(
                message, from_addr=self._settings.from_address, to_addrs=recipients
            )
        except smtplib.SMTPRecipientsRefused as error:
            self._drop()
            codes = [code for code, _ in error.recipients.values()]
            raise _refused(min(codes) if codes else 550) from None
        except smtplib.SMTPResponseException as error:
            self._drop()
            raise _refused(error.smtp_code) from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            reason = type(error).__name__
            raise DeliveryError(f"could not reach the mail server ({reason})") from None
        if refused:  # some recipients accepted, some not (we send to one: never expected)
            raise _refused(min(code for code, _ in refused.values()))

    def close(self) -> None:
        """Close every open connection."""
        with self._lock:
            connections, self._open = list(self._open), set()
        for connection in connections:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connection(self) -> smtplib.SMTP:
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        now = time.monotonic()
        if connection is not None:
            idle = now - getattr(self._local, "used", now)
            self._local.used = now
            try:
                if idle < IDLE_CHECK or connection.noop()[0] == 250:
                    return connection
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        connection = self._connect()
        self._local.connection, self._local.used = connection, now
        with self._lock:
            self._open.add(connection)
        return connection

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        if s.smtp_port == 465:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.timeout, context=self._tls
            )
            secure = True
        else:
            connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout)
            connection.ehlo()
            secure = False
            if s.starttls:
                if not connection.has_extn("starttls"):
                    connection.close()
                    raise DeliveryError("the mail server does not offer STARTTLS: nothing sent")
                connection.starttls(context=self._tls)
                connection.ehlo()
                secure = True
        user, password = reveal(s.smtp_user), reveal(s.smtp_password)
        if user and password:
            if not secure and not s.local:  # never credentials in clear over the network
                connection.close()
                raise DeliveryError("refusing to log in to the mail server without TLS")
            connection.login(user, password)
        return connection

    def _drop(self) -> None:
        connection: smtplib.SMTP | None = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is None:
            return
        with self._lock:
            self._open.discard(connection)
        with contextlib.suppress(OSError):
            connection.close()


def _refused(code: int) -> DeliveryError:
    if 400 <= code < 500:
        return DeliveryError(f"the mail server asked to try later ({code})", transient=True)
    return DeliveryError(f"the mail server refused it ({code})", transient=False)
