"""Write a new Alembic migration from the difference between the tables and the migrations.

    .venv/bin/python tools/new_migration.py 0003 "wins and pledges"

It migrates a scratch SQLite database to every current head, then autogenerates. Check
the result: it must contain only your own tables' changes.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from bot.storage.database import alembic_config, make_engine, upgrade


def main(rev_id: str, message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        upgrade(engine)
        command.revision(alembic_config(engine), message=message, autogenerate=True, rev_id=rev_id)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
