"""win commands moved to bot.features.win_commands: words held by the guard still post

A held draft (guard_draft) names the command that will send it by its module path. The
wins' commands moved from bot.features.wins to bot.features.win_commands, so drafts held
at the upgrade are renamed with them.

Revision ID: 0027w
Revises: 0026v
Create Date: 2026-12-04 14:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0027w'
down_revision = '0026v'
branch_labels = None
depends_on = None

_OLD = "bot.features.wins."
_NEW = "bot.features.win_commands."
_MOVED = ("PostWin", "NominateWin")  # the win commands that pass through the guard


def _rename(old: str, new: str) -> None:
    drafts = sa.table("guard_draft", sa.column("command", sa.String))
    for name in _MOVED:
        op.execute(
            drafts.update().where(drafts.c.command == old + name).values(command=new + name)
        )


def upgrade() -> None:
    _rename(_OLD, _NEW)


def downgrade() -> None:
    _rename(_NEW, _OLD)
