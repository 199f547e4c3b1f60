"""configured conveners and keepers are members before they first type; a renewed pledge
remembers the due date it replaced

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0013'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('first_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    op.execute("UPDATE member SET first_seen_at = joined_at")
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('previous_due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('pledge', schema=None) as batch_op:
        batch_op.drop_column('previous_due_at')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('first_seen_at')
