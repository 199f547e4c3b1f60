"""merge the secret-key and configured-roles migrations into one history

Revision ID: 0014
Revises: 0012, 0013
Create Date: 2026-12-02 10:30:00.000000
"""

from __future__ import annotations

from alembic import op  # noqa: F401


revision = '0014'
down_revision = ('0012', '0013')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
