from tui.engine.session.conversation import INTERRUPTED, Conversation
from tui.engine.session.events import AssistantMessage, ToolResult, UserMessage


def assistant(*blocks):
    return AssistantMessage(content=list(blocks), model="m", stop_reason="tool_use")


def use(tid):
    return {"type": "tool_use", "id": tid, "name": "read_file", "input": {}}


def test_tool_results_and_the_next_prompt_share_one_user_message():
    events = [
        UserMessage(text="hi"),
        assistant({"type": "text", "text": "reading"}, use("a"), use("b")),
        ToolResult(tool_use_id="a", content="A"),
        ToolResult(tool_use_id="b", content="B", is_error=True),
        AssistantMessage(content=[{"type": "text", "text": "done"}], model="m", stop_reason="end_turn"),
        UserMessage(text="next", attachments=[{"path": "x.py", "content": "print()"}]),
    ]
    messages = Conversation.from_events(events).messages
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    results = messages[2]["content"]
    assert [(b["tool_use_id"], b.get("is_error", False)) for b in results] == [("a", False), ("b", True)]
    assert "x.py" in messages[4]["content"][1]["text"]


def test_calls_without_results_after_a_crash_get_error_results():
    events = [UserMessage(text="hi"), assistant(use("a"), use("b")), ToolResult(tool_use_id="a", content="A")]
    messages = Conversation.from_events(events).messages
    last = messages[-1]["content"]
    assert [b["tool_use_id"] for b in last] == ["a", "b"]
    assert last[1] == {"type": "tool_result", "tool_use_id": "b", "content": INTERRUPTED, "is_error": True}


def test_every_tool_use_has_exactly_one_result_even_with_duplicates_logged():
    events = [
        UserMessage(text="hi"),
        assistant(use("a")),
        ToolResult(tool_use_id="a", content="A"),
        ToolResult(tool_use_id="a", content="again"),
        UserMessage(text="more"),
    ]
    messages = Conversation.from_events(events).messages
    results = [b for m in messages for b in m["content"] if b.get("type") == "tool_result"]
    assert len(results) == 1
