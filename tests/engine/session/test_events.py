import json

import pytest

from tui.engine.session import events as ev


def test_every_event_type_round_trips_through_json():
    samples = {
        ev.SessionHeader: dict(session_id="s", agent="a", model="m", permission_mode="default", workspace="/w"),
        ev.UserMessage: dict(text="hi", attachments=[{"path": "a.py", "content": "x"}]),
        ev.AssistantMessage: dict(content=[{"type": "text", "text": "yo"}], model="m", stop_reason="end_turn"),
        ev.ToolCall: dict(tool_use_id="t", name="Bash", tool="run_in_terminal", input={"command": "ls"}),
        ev.PermissionDecision: dict(tool_use_id="t", behavior="deny", decided_by="user", reason="r", message="no"),
        ev.ToolResult: dict(tool_use_id="t", content="out", is_error=True),
        ev.EditApplied: dict(
            tool_use_id="t", path="a", before_blob=None, after_blob="b", hunks_total=2, hunks_applied=[1]
        ),
        ev.Checkpoint: dict(step=1, commit="c", label="l"),
        ev.ContextAttached: dict(tool_use_id="t", paths=["pkg/CLAUDE.md"]),
        ev.HookRan: dict(
            event="PreToolUse", command="./guard.sh", source=".claude/settings.json", exit_code=2, summary="blocked"
        ),
        ev.Retry: dict(attempt=1, reason="overloaded", wait_s=0.5, status=529),
        ev.Error: dict(message="boom"),
        ev.ModeChange: dict(old="default", new="plan"),
        ev.Rewind: dict(to_step=0, step=3, commit="c", written=["a"], deleted=["b"], conversation=True),
        ev.ConversationRewind: dict(to_step=2),
        ev.Compaction: dict(summary="s", replaced=4, tokens_before=900, tokens_after=100, trigger="auto"),
        ev.TurnEnd: dict(reason="end_turn", num_turns=2),
        ev.TextDelta: dict(index=0, text="x"),
        ev.ThinkingDelta: dict(index=0, text="x"),
        ev.ToolInputDelta: dict(index=1, tool_use_id="t", name="n", partial_json="{"),
        ev.StreamReset: dict(keep_chars=3),
        ev.CommandOutput: dict(tool_use_id="t", text="x"),
        ev.Status: dict(state="idle"),
        ev.TodoUpdate: dict(tool_use_id="t", items=[{"content": "c", "status": "pending", "active_form": ""}]),
        ev.SubagentStart: dict(
            run_id="r",
            tool_use_id="t",
            agent="b",
            parent_agent="g",
            description="d",
            prompt="p",
            model="m",
            permission_mode="default",
        ),
        ev.SubagentEvent: dict(run_id="r", agent="b", event={"type": "error", "message": "m", "ts": 1.0}),
        ev.SubagentStream: dict(run_id="r", agent="b", event={"type": "status", "state": "idle", "ts": 1.0}),
        ev.SubagentEnd: dict(run_id="r", tool_use_id="t", agent="b", reason="end_turn", files=["a"], steps=[1]),
        ev.McpStatus: dict(server="calc", state="ready", tools=1),
    }
    assert set(samples) == set(ev.event_types().values()), "every event type needs a sample here"
    for cls, fields in samples.items():
        event = cls(**fields)
        again = ev.event_from_dict(json.loads(json.dumps(ev.event_to_dict(event))))
        assert again == event


def test_a_nested_event_gives_back_the_sub_agents_event():
    inner = ev.ToolResult(tool_use_id="t", content="out", ts=2.0)
    nested = ev.SubagentEvent(run_id="r", agent="b", event=ev.event_to_dict(inner))
    assert nested.inner() == inner
    assert ev.SubagentStream(run_id="r", agent="b", event={}).persistent is False


def test_transient_events_are_not_persistent():
    assert ev.TextDelta(index=0, text="x").persistent is False
    assert ev.ToolResult(tool_use_id="t", content="").persistent is True


def test_unknown_fields_from_a_newer_version_are_dropped():
    data = {"type": "error", "message": "m", "ts": 1.0, "future_field": 1}
    assert ev.event_from_dict(data) == ev.Error(message="m", ts=1.0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "nope"}, "unknown event type"),
        ({"type": "tool_result"}, "bad tool_result event"),
        ({}, "unknown"),
        ({"type": "compaction", "summary": "", "replaced": 3, "tokens_before": 1, "tokens_after": 1}, "its summary"),
        (
            {"type": "compaction", "summary": "s", "replaced": "3", "tokens_before": 1, "tokens_after": 1},
            "at least one",
        ),
    ],
)
def test_bad_events_raise_value_error(data, message):
    with pytest.raises(ValueError, match=message):
        ev.event_from_dict(data)
