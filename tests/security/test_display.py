"""What stepwise shows is what is there: control characters and escape sequences written out, never obeyed."""

from __future__ import annotations

import re

import pytest

from tests.support.fake_anthropic import text, tool_use
from tui.engine.exec.terminal_text import show_controls

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("touch p #\r$ git status", "touch p #\\r$ git status"),
        ("\x1b]52;c;cHduZWQ=\x07", "\\x1b]52;c;cHduZWQ=\\x07"),
        ("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred"),
        ("a\u202eexe.txt", "aU+202Eexe.txt"),
        ("zero\u200bwidth\ufeff", "zeroU+200BwidthU+FEFF"),
        ("\x9b31m\x7f\x00", "\\x9b31m\\x7f\\x00"),
        ("line one\n\ttabbed", "line one\n\ttabbed"),
        ("naïve 日本語", "naïve 日本語"),
    ],
)
def test_every_character_a_terminal_would_obey_or_hide_is_written_out(raw: str, shown: str) -> None:
    assert show_controls(raw) == shown
    assert not RAW.search(show_controls(raw))


def test_print_mode_shows_a_denied_commands_escape_sequences_on_stderr(git_repo, model_env, capsys):
    from tui.cli import main

    workspace = git_repo
    command = "printf '\x1b]52;c;cHduZWQ=\x07\x1b]0;pwned\x07' #\r$ ls"
    model_env.script(tool_use("Bash", {"command": command}))
    model_env.script(text("done"))
    code = main(["-p", "go", "--cwd", str(workspace)])
    err = capsys.readouterr().err
    assert code == 0
    assert "\\x1b]52;c;cHduZWQ=\\x07\\x1b]0;pwned\\x07' #\\r$ ls" in err
    assert not RAW.search(err), repr(err)
