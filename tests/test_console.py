"""The console workspace: a person plays a whole check-in cycle by typing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from adapters.console.platform import ButtonBoard, ConsolePlatform
from adapters.console.workspace import ConsoleWorkspace
from bot.bootstrap import build_app
from bot.clock import ManualClock
from tests.conftest import START, community, make_settings

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """\
/as Cora
/cop checkin open
/as Ana
1
We cut missed visits by a third
1
/as Ben
2
Night shifts leave no time to debrief
2
/cop reply learning @everyone read this
/cop dance
/clock +3d
/clock +3d
/quit
"""


async def run_script(sqlite_engine, script: str) -> list[str]:
    lines: list[str] = []
    clock = ManualClock(START)
    board = ButtonBoard()
    folder = Path(str(sqlite_engine.url.database)).parent / "copbot-files"
    platform = ConsolePlatform(lines.append, clock, "Europe/London", board, files_dir=folder)
    app = build_app(make_settings(), {"console": platform}, clock=clock, engine=sqlite_engine)
    workspace = ConsoleWorkspace(app, platform, board, write=lines.append)
    await workspace.start()
    await workspace.run(script.splitlines(), echo=True)
    return lines


async def test_a_whole_checkin_cycle_in_the_console(sqlite_engine):
    out = "\n".join(await run_script(sqlite_engine, SCRIPT))
    assert "#wound-care · copbot\n  Time for our check-in" in out
    assert "[1] Share a success   [2] Share a challenge" in out
    assert "== Share a success ==" in out
    assert "Your success is saved and will be shared with your name" in out
    assert "Your challenge is saved and will be shared anonymously" in out
    assert "would notify everyone" in out
    assert "I don't know '/cop dance'" in out
    assert "private message to Cora\n  A gentle nudge" in out  # Cora didn't reply
    assert "private message to Ana\n  A gentle nudge" not in out  # Ana replied
    summary = out[out.index("Our check-in has closed") :]
    assert "members shared" not in summary  # no head count to subtract names from
    assert "We cut missed visits by a third — Ana" in summary
    assert "Night shifts leave no time to debrief — (shared anonymously)" in summary
    assert "Ben" not in summary


async def test_time_only_moves_forward_and_bad_clock_input_is_explained(sqlite_engine):
    out = "\n".join(await run_script(sqlite_engine, "/clock 2020-01-01 09:00\n/clock soon\n7\n"))
    assert "(time only moves forward here)" in out
    assert "(try /clock +2d" in out
    assert "(there's no button 7 on the latest message you saw)" in out


def test_copbot_run_without_tokens_opens_the_console(tmp_path):
    config = tmp_path / "config.toml"
    example = (ROOT / "config.example.toml").read_text()
    config.write_text(
        example.replace(
            'database_url = "sqlite:///copbot.db"', f'database_url = "sqlite:///{tmp_path}/c.db"'
        )
    )
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COPBOT_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        input="/as Sam\n/cop checkin open\n/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith(
        "No Slack or Discord tokens found: running the console workspace on SQLite"
    )
    assert "Time for our check-in" in result.stdout


MAIL_SCRIPT = """\
/as Cora
/cop invite ana@example.org Ana
/mail ana
1
/cop checkin open
/mail Ana
4
We now phone every carer after discharge
2
/mail ana@example.org
8
/cop checkin close
/cop checkin open
/clock +3d
/mail nobody
/quit
"""


async def test_email_members_have_a_mailbox_in_the_console(sqlite_engine):
    from adapters.console.mailbox import ConsoleMailbox

    lines: list[str] = []
    clock = ManualClock(START)
    board = ButtonBoard()
    platform = ConsolePlatform(lines.append, clock, "Europe/London", board)
    mailbox = ConsoleMailbox(lines.append, clock, platform.stamp)
    settings = make_settings(community(welcome={"enabled": True}))
    app = build_app(
        settings, {"console": platform, "email": mailbox}, clock=clock, engine=sqlite_engine
    )
    mailbox.bind(app.engine)
    app.bus.email = True
    workspace = ConsoleWorkspace(app, platform, board, write=lines.append, mailbox=mailbox)
    await workspace.start()
    await workspace.run(MAIL_SCRIPT.splitlines(), echo=True)
    out = "\n".join(lines)
    assert "email to Ana: Cora invited you to join wound-care  (/mail Ana to read it)" in out
    assert "[1] Yes, I'd like to join wound-care" in out
    assert "(the link 'Yes, I'd like to join wound-care' opens, as Ana)" in out
    checkin_mail = out[out.index("> /mail Ana") :]
    assert "Time for our check-in" in checkin_mail and "[4] Share a success" in checkin_mail
    assert "(only Ana sees this, on the web page)" in out
    assert "Your success is saved and will be shared anonymously" in out
    assert "email to Ana: Welcome to wound-care!" in out
    assert "(the link 'Unsubscribe' opens, as Ana)" in out and "You're unsubscribed" in out
    after = out[out.index("You're unsubscribed") :]
    assert "email to Ana" not in after  # nothing after unsubscribing
    summary = out[out.index("Our check-in has closed") :]
    assert "We now phone every carer after discharge" in summary
    assert "(no emails for 'nobody' yet" in out
    # Ana reads her emails as the email says them: nothing tells her to type a command.
    from bot.email_words import typed

    shown = [block.split("\n> ")[0] for block in out.split("> /mail Ana")[1:]]
    assert shown and not any(typed(block) for block in shown), shown
