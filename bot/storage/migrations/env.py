"""Alembic environment: migrations run on the engine copbot hands over."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.storage.schema  # noqa: F401  (registers every table on SQLModel.metadata)

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("copbot runs migrations online only: use `copbot db upgrade`.")
run_migrations_online()
