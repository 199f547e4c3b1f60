"""merge the feature branches (wins, polls, momentum, trust, stories) into one history

Revision ID: 0009
Revises: 0003, 0004, 0005, 0006, 0008
Create Date: 2026-11-22 21:23:21.663107
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = ('0003', '0004', '0005', '0006', '0008')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
