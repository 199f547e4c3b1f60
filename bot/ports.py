"""The one port the core needs from a chat platform (async)."""

from __future__ import annotations

from typing import Protocol

from bot.messages import OutMessage


class DeliveryError(Exception):
    """Sending failed. `transient` failures are retried with backoff; others go to dead letters."""

    def __init__(self, reason: str, *, transient: bool = True) -> None:
        super().__init__(reason)
        self.transient = transient


class RateLimited(DeliveryError):
    """The platform asked us to wait `retry_after` seconds (HTTP 429). Not counted as a try.

    `scope` None: the whole platform is limited; otherwise a bucket key (a Slack channel id,
    a Discord route bucket) and only that target is held.
    """

    def __init__(self, retry_after: float, scope: str | None = None) -> None:
        super().__init__(f"rate limited for {retry_after:.1f}s", transient=True)
        self.retry_after = retry_after
        self.scope = scope


class Unreachable(DeliveryError):
    """The person cannot receive private messages from copbot (e.g. they closed their DMs).

    Not retried: the dispatcher holds the message, and the adapter shows it to the person
    privately the next time they use copbot (see bot.notices).
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class Cancelled(DeliveryError):
    """The message must not go at all any more (the person unsubscribed, or their address
    was erased): not retried, not a dead letter, not held."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class ChatPlatform(Protocol):
    """What the dispatcher needs to deliver messages on one platform.

    `key` is the outbox idempotency key: adapters pass it on where the platform can
    de-duplicate (e.g. a nonce) so that a resend after a crash is not a second post.
    Both calls return the platform's id for the message.
    """

    name: str

    async def post(self, channel_id: str, message: OutMessage, key: str) -> str: ...

    async def dm(self, user_id: str, message: OutMessage, key: str) -> str: ...


class ChecksDelivery(Protocol):
    """A platform that can tell whether a message may already have arrived.

    The dispatcher asks before sending again a message whose earlier send was cut short
    (the process died or stopped mid-send): `already_sent` returns the platform's id for it
    when it is found there, else None (and the next `post`/`dm` sends what is missing).
    """

    async def already_sent(
        self, channel_id: str | None, user_id: str | None, message: OutMessage, key: str
    ) -> str | None: ...
