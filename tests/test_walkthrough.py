"""The README's console walk-through, followed literally: its lines are piped into
`copbot run` (a real process) and what a person would see is checked. Also what makes a
console script dependable: buttons numbered per message, /quit and /cancel inside a form, and
a simulated clock that survives a restart."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.test_console import run_script

ROOT = Path(__file__).resolve().parents[1]
MARKER = "<!-- walk-through: a test pipes exactly these lines into the console -->"


SECOND = "<!-- walk-through 2: a test pipes exactly these lines into the console -->"


def walkthrough(marker: str = MARKER) -> str:
    readme = (ROOT / "README.md").read_text()
    after = readme[readme.index(marker) + len(marker) :]
    found = re.match(r"\s*```[a-z]*\n(.*?)```", after, re.DOTALL)
    assert found, "the walk-through block follows its marker"
    return found.group(1)


def copbot_run(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "config.toml"
    example = (ROOT / "config.example.toml").read_text()
    database = f'database_url = "sqlite:///{tmp_path}/copbot.db"'
    config.write_text(example.replace('database_url = "sqlite:///copbot.db"', database))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "COPBOT_"))
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
        input=script,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_readme_walkthrough_works_when_followed_literally(tmp_path):
    out = copbot_run(tmp_path, walkthrough()).stdout
    assert "Check-in opened" in out
    assert "(Ana pressed 'Share a success')" in out
    assert "(Ben pressed 'Share a challenge')" in out
    assert "Your success is saved and will be shared with your name" in out
    assert "Your challenge is saved and will be shared anonymously" in out
    assert "private message to Sam\n  A gentle nudge" in out  # Sam hadn't replied
    assert "private message to Ana\n  A gentle nudge" not in out
    summary = out[out.index("Our check-in has closed") :]
    assert "We cut missed visits by a third — Ana" in summary
    assert "Night shifts leave no time to debrief — (shared anonymously)" in summary
    assert "Ben" not in summary
    assert "Sorry, something went wrong" not in out and "Traceback" not in out


def test_the_readme_find_a_time_and_trios_walkthrough_works(tmp_path):
    out = copbot_run(tmp_path, walkthrough(SECOND)).stdout
    assert "Time poll #1 is open with 3 times" in out
    ranking = out[out.index("Best first") :]
    first = ranking.splitlines()[1]
    assert "2. Wed" in first and "2 yes, 0 if need be, 0 no" in first
    assert "Chosen: Wed" in out and "It is now meeting #1" in out
    assert "[1] Going   [2] Maybe   [3] Can't make it   [4] Add to my calendar" in out
    assert "(Ana pressed 'Count me in')" in out and "(Ben pressed 'Count me in')" in out
    intros = out.split("Your co-consulting trio this round")[1:]
    assert len(intros) == 4  # Ana, Ben, Cy and Dee: one group of four, nobody alone
    for intro in intros:
        assert len(re.findall(r"• (Ana|Ben|Cy|Dee)\n", intro.split("How it works")[0])) == 3
    assert "Sorry, something went wrong" not in out and "Traceback" not in out


def test_a_restart_carries_on_at_the_simulated_time(tmp_path):
    first = copbot_run(tmp_path, "/clock +3d\n/clock 10:00\n/quit\n").stdout
    reached = re.findall(r"\(it is now (.+?)\)", first)[-1]
    second = copbot_run(tmp_path, "/clock\n/quit\n").stdout
    assert f"at {reached} " in second.splitlines()[1]  # the greeting, on the kept clock
    assert f"(it is {reached} Europe/London)" in second


async def test_each_message_numbers_its_buttons_from_one(sqlite_engine):
    script = """\
/as Cora
/cop checkin open
/as Ana
/cop win We did it
/as Ben
1
/as Dee
1
"""
    out = "\n".join(await run_script(sqlite_engine, script))
    assert "[1] Share a success   [2] Share a challenge" in out
    assert "[1] Cheer" in out  # the win's post: its own button 1
    # Ben's and Dee's latest message with buttons is the win: 1 cheers it.
    assert "(Ben pressed 'Cheer')" in out and "(Dee pressed 'Cheer')" in out


async def test_quit_and_cancel_work_inside_a_form(sqlite_engine):
    cancelled = "\n".join(
        await run_script(sqlite_engine, "/as Cora\n/cop checkin open\n/as Ana\n1\n/cancel\n")
    )
    assert "(form closed, nothing sent)" in cancelled and "saved" not in cancelled


async def test_quit_inside_a_form_leaves_and_sends_nothing(sqlite_engine):
    script = "/as Cora\n/cop checkin open\n/as Ana\n1\n/quit\n/cop help\n"
    out = "\n".join(await run_script(sqlite_engine, script))
    assert "(form closed, nothing sent)" in out
    assert "saved" not in out and "> /cop help" not in out  # nothing read after /quit


async def test_a_superscript_digit_is_not_a_button_and_does_not_end_the_console(sqlite_engine):
    out = "\n".join(await run_script(sqlite_engine, "²\n/as Ana\n/clock\n"))
    assert "(you are now Ana)" in out and "(it is " in out
