"""Child processes (`copbot run` in the whole-process tests) run the checkout under test,
even when the virtual environment was installed from another checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bot


def test_a_child_process_imports_this_checkout() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import bot, pathlib; print(pathlib.Path(bot.__file__).parent)"],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    assert Path(child.stdout.strip()).resolve() == Path(bot.__file__).resolve().parent
