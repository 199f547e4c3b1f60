"""platform addresses: how to reach a user's 1:1 chat or a channel again (Teams)

Revision ID: 0025f
Revises: 0024m
Create Date: 2026-12-02 16:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0025f'
down_revision = '0024m'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('platform_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('conversation_id', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('service_url', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('tenant_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'kind', 'target')
    )


def downgrade() -> None:
    op.drop_table('platform_address')
