"""The operations kit: what an operator types first."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path


def test_copbot_version_and_python_dash_m_bot():
    expected = f"copbot {version('copbot')}"
    copbot = str(Path(sys.executable).with_name("copbot"))
    for command in ([copbot, "--version"], [sys.executable, "-m", "bot", "--version"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected
    manifest = subprocess.run(
        [sys.executable, "-m", "bot", "slack", "manifest"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert manifest.returncode == 0 and "socket_mode_enabled: true" in manifest.stdout
