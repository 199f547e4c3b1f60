"""the secret key leaves the database; anonymous items made under it are sealed

Older versions kept the generated secret key in `app_setting`, where anyone with a copy of
the database could recompute every author key. That key is deleted, and every anonymous
item's key made with it is replaced by random bytes (wins' keys deleted): those items can
no longer be edited or withdrawn by their authors, and nothing links them to anyone.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 00:10:00
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    connection.execute(sa.text("DELETE FROM app_setting WHERE key = 'secret_key'"))
    replies = connection.execute(
        sa.text("SELECT id FROM checkin_reply WHERE anonymous = :yes"), {"yes": True}
    ).scalars()
    for reply_id in list(replies):
        connection.execute(
            sa.text("UPDATE checkin_reply SET author_key = :key WHERE id = :id"),
            {"key": secrets.token_hex(32), "id": reply_id},
        )
    ballots = connection.execute(
        sa.text("SELECT poll_id, voter_key FROM ballot WHERE member_id IS NULL")
    ).all()
    for poll_id, voter_key in ballots:
        connection.execute(
            sa.text("UPDATE ballot SET voter_key = :key WHERE poll_id = :poll AND voter_key = :old"),
            {"key": secrets.token_hex(32), "poll": poll_id, "old": voter_key},
        )
    connection.execute(
        sa.text("UPDATE win SET author_key = NULL WHERE anonymous = :yes"), {"yes": True}
    )


def downgrade() -> None:
    """Nothing to restore: the old key is gone on purpose."""
