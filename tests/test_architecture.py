"""Properties of the code base itself: the core knows no platform; migrations match tables."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import bot
import bot.storage.schema

PLATFORM_LIBRARIES = {"slack_bolt", "slack_sdk", "discord", "aiohttp"}
CORE = Path(bot.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_imports_no_platform_library():
    offenders = {
        str(path.relative_to(CORE.parent)): sorted(imported_modules(path) & PLATFORM_LIBRARIES)
        for path in CORE.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


#: The `copbot` command line starts the adapters; nothing else in the core may reach them.
COMMAND_LINE = {"cli.py", "cli_service.py", "cli_data.py"}


def test_core_never_imports_adapters_or_jobs():
    offenders = [
        str(path.relative_to(CORE.parent))
        for path in CORE.rglob("*.py")
        if imported_modules(path) & {"adapters", "jobs"} and path.name not in COMMAND_LINE
    ]
    assert offenders == []


def test_the_import_check_would_catch_a_platform_import(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("from slack_sdk import WebClient\nimport discord.ui\n")
    assert imported_modules(sneaky) & PLATFORM_LIBRARIES == {"slack_sdk", "discord"}


def test_migrations_create_exactly_the_tables_the_code_uses(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_constraints_get_names_from_one_convention_on_every_database(engine):
    """Every constraint has a name copbot chose (not one the database made up), so a later
    migration can alter or drop it by name on SQLite and PostgreSQL alike."""
    from sqlalchemy import inspect

    claims = SQLModel.metadata.tables["job_claim"]
    [unique] = [c for c in claims.constraints if c.__class__.__name__ == "UniqueConstraint"]
    assert unique.name == "uq_job_claim_job_key_occurrence"
    found = inspect(engine).get_unique_constraints("job_claim")
    assert [u["name"] for u in found] == ["uq_job_claim_job_key_occurrence"]
