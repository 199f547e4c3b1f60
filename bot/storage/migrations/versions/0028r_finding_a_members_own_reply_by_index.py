"""a member's own check-in reply is found by index, not by reading the check-in's replies

Finding the reply a member is changing looked for its author key or its member id within the
check-in. Only the author key had an index to match, so every reply read through all the
replies already in: the cost grew with the size of the community. An index on
(checkin_id, member_id) lets each half of that search go straight to its row.

Revision ID: 0028r
Revises: 0027w
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

from alembic import op


revision = '0028r'
down_revision = '0027w'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('checkin_reply', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_reply_checkin_member', ['checkin_id', 'member_id'])


def downgrade() -> None:
    with op.batch_alter_table('checkin_reply', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_reply_checkin_member')
