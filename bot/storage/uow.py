"""Unit of work: one transaction per command, outbox rows included."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.mentions import with_names
from bot.messages import OutMessage
from bot.pinning import pin_message
from bot.storage.tables import OutboxMessage


class UnitOfWork:
    """A transaction. State changes and the messages they cause commit together or not at all."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = Session(self._engine, expire_on_commit=False)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    def enqueue(
        self,
        key: str,
        message: OutMessage,
        *,
        platform: str,
        created_at: datetime,
        community_id: int | None = None,
        channel_id: str | None = None,
        user_id: str | None = None,
        not_before: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> bool:
        """Add a message to the outbox under an idempotency key. A key already used is a no-op."""
        if (channel_id is None) == (user_id is None):
            raise ValueError("a message goes to a channel or to a person, not both")
        message = with_names(self.session, community_id, message)  # mentions read as names
        if user_id is not None and community_id is not None:
            message = pin_message(message, community_id)  # a click must find its community
        exists = self.session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key)).first()
        if exists is not None:
            return False
        self.session.add(
            OutboxMessage(
                key=key,
                community_id=community_id,
                platform=platform,
                channel_id=channel_id,
                user_id=user_id,
                payload=message.model_dump_json(exclude_defaults=True),
                next_attempt_at=not_before or created_at,
                expires_at=expires_at,
                created_at=created_at,
            )
        )
        return True


UnitOfWorkFactory = Callable[[], UnitOfWork]


def is_unique_violation(error: IntegrityError) -> bool:
    """True when an IntegrityError comes from a unique constraint (someone else got there first)."""
    text = str(error.orig).lower()
    return "unique" in text or "duplicate key" in text
