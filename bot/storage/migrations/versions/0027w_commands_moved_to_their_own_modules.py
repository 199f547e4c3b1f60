"""win and pledge commands moved to modules of their own: words held by the guard still post

A held draft (guard_draft) names the command that will send it by its module path. The
wins' commands moved from bot.features.wins to bot.features.win_commands, the pledges' from
bot.features.pledges to bot.features.pledge_commands, so drafts held at the upgrade are
renamed with them.

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

#: (old module, new module, the commands that pass through the guard)
_MOVED = (
    ("bot.features.wins", "bot.features.win_commands", ("PostWin", "NominateWin")),
    (
        "bot.features.pledges",
        "bot.features.pledge_commands",
        ("SharePledge", "CompletePledge", "AskForHelp"),
    ),
)


def _rename(*, back: bool) -> None:
    drafts = sa.table("guard_draft", sa.column("command", sa.String))
    for old, new, names in _MOVED:
        before, after = (new, old) if back else (old, new)
        for name in names:
            op.execute(
                drafts.update()
                .where(drafts.c.command == f"{before}.{name}")
                .values(command=f"{after}.{name}")
            )


def upgrade() -> None:
    _rename(back=False)


def downgrade() -> None:
    _rename(back=True)
