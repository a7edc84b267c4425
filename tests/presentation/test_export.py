import json
from html.parser import HTMLParser

from tui.cli import main


class Structure(HTMLParser):
    """Collects tags, classes, visible text and any external reference."""

    def __init__(self):
        super().__init__()
        self.stack, self.text, self.classes, self.external = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in ("meta", "br", "hr", "img", "link"):
            self.stack.append(tag)
        self.classes.extend((attrs.get("class") or "").split())
        for key in ("src", "href"):
            if attrs.get(key) and not attrs[key].startswith("#"):
                self.external.append(attrs[key])
        if tag in ("script", "link"):
            self.external.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        if self.stack and self.stack[-1] not in ("style", "title"):
            self.text.append(data)


def export(capsys, session, fmt, *extra):
    assert main(["export", str(session), "--format", fmt, *extra]) == 0
    return capsys.readouterr().out


def test_markdown_has_messages_decisions_and_diffs(recorded_session, capsys):
    md = export(capsys, recorded_session, "md")
    assert md.startswith("# stepwise session")
    assert "## You\n\ngo" in md
    assert "All done." in md
    assert "Approved by rule run_in_terminal(echo:*), Bash(rm README.md)" in md or "Approved by rule" in md
    assert "-    return 'hello ' + name\n+    return 'hi ' + name" in md
    assert "1 of 1 hunk applied" in md


def test_html_is_one_well_formed_self_contained_page(recorded_session, capsys):
    page = export(capsys, recorded_session, "html")
    parser = Structure()
    parser.feed(page)
    parser.close()
    assert parser.stack == ["html"] or parser.stack == []
    assert parser.external == [], "the page must not load anything"
    visible = "".join(parser.text)
    assert "All done." in visible and "LINE TWO" in visible
    assert {"entry", "user", "assistant", "tool", "edit", "hl"} <= set(parser.classes)
    assert "<style>" in page and ".hl" in page  # inline CSS with the Pygments rules


def test_model_html_is_escaped_not_rendered(capsys, git_repo, model_env):
    from tests.support.fake_anthropic import text

    model_env.script(text("<script>alert(1)</script> **bold**"))
    assert main(["-p", "go", "--cwd", str(git_repo), "--output-format", "json"]) == 0
    session = json.loads(capsys.readouterr().out)["session_path"]
    page = export(capsys, session, "html")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "<strong>bold</strong>" in page


def test_json_export_round_trips_every_event(recorded_session, capsys, tmp_path):
    target = tmp_path / "out.json"
    assert main(["export", str(recorded_session), "--format", "json", "-o", str(target)]) == 0
    data = json.loads(target.read_text())
    lines = recorded_session.read_text().splitlines()
    assert data["header"] == json.loads(lines[0])
    assert data["events"] == [json.loads(line) for line in lines[1:]]


def test_unknown_session_is_a_clear_error(capsys, stepwise_home):
    assert main(["export", "nope"]) == 2
    assert "no session 'nope'" in capsys.readouterr().err


def test_a_denial_reads_as_the_users_reason_in_separate_sentences_and_html_has_no_backticks(tmp_path):
    import re

    from tui.engine.session.events import Checkpoint, PermissionDecision, SessionHeader, ToolCall, ToolResult
    from tui.engine.session.log import SessionRecord
    from tui.presentation.export import to_html, to_markdown

    header = SessionHeader(session_id="s", agent="general", model="m", permission_mode="default", workspace="/w")
    events = [
        Checkpoint(step=0, commit="afad64b028" * 4, label="session base"),
        ToolCall(tool_use_id="t", name="Bash", tool="run_in_terminal", input={"command": "rm x"}, target="rm x"),
        PermissionDecision(
            tool_use_id="t", behavior="deny", decided_by="user", choice="deny",
            reason="mode default asks before running commands", message="not before the tests pass",
        ),
        ToolResult(tool_use_id="t", content="Permission denied", is_error=True),
    ]  # fmt: skip
    record = SessionRecord(path=tmp_path / "s.jsonl", header=header, events=events)
    expected = "Denied by you: “not before the tests pass”. It asked because mode default asks before running commands."
    assert expected in to_markdown(record)
    page = to_html(record)
    assert "Checkpoint 0: session base (commit afad64b028)" in page
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    assert "`" not in body


def test_compactions_rewinds_and_forks_are_shown(capsys, tmp_path):
    from tui.engine.session.events import (
        AssistantMessage,
        Compaction,
        ConversationRewind,
        SessionHeader,
        UserMessage,
    )
    from tui.engine.session.log import SessionWriter
    from tui.replay.timeline import timeline_marks

    path = tmp_path / "fork.jsonl"
    writer = SessionWriter(path)
    events = [
        SessionHeader(
            session_id="f",
            agent="general",
            model="m",
            permission_mode="default",
            workspace="/w",
            forked_from={"session": "src", "step": 2},
        ),
        UserMessage(text="go"),
        AssistantMessage(content=[{"type": "text", "text": "working"}], model="m", stop_reason="end_turn"),
        Compaction(summary="## Task\nShip it.", replaced=2, tokens_before=5000, tokens_after=400, trigger="auto"),
        ConversationRewind(to_step=1),
    ]
    for event in events:
        writer.write(event)
    writer.close()
    md = export(capsys, path, "md")
    assert "- Forked from: session src at step 2" in md
    assert "Compacted the conversation (the context window was filling up): 2 messages replaced" in md
    assert "about 5,000 → 400 tokens" in md and "## Task\nShip it." in md
    assert "Rewound the conversation to step 1; the files stay as they are." in md
    assert "Forked from" in export(capsys, path, "html")
    from tui.engine.session.log import read_session

    assert [m.kind for m in timeline_marks(read_session(path).events)] == ["turn", "compaction", "rewind"]
