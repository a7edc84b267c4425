import os

import pytest

from tui.engine.session.events import Error, SessionHeader, UserMessage
from tui.engine.session.log import (
    SessionLogError,
    SessionWriter,
    find_session,
    list_sessions,
    read_session,
)


def header(workspace="/w", sid="20260101-000000-aaaaaa"):
    return SessionHeader(session_id=sid, agent="a", model="m", permission_mode="default", workspace=workspace)


def write(path, *events):
    writer = SessionWriter(path)
    for event in events:
        writer.write(event)
    writer.close()


def test_events_read_back_in_order(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, header(), UserMessage(text="one"), UserMessage(text="two"))
    record = read_session(path)
    assert record.header.session_id == "20260101-000000-aaaaaa"
    assert [e.text for e in record.events] == ["one", "two"]
    assert record.problems == []


def test_a_torn_last_line_is_ignored_silently(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, header(), UserMessage(text="kept"))
    with path.open("ab") as handle:
        handle.write(b'{"type": "user_message", "te')
    record = read_session(path)
    assert [e.text for e in record.events] == ["kept"]
    assert record.problems == []


def test_a_corrupt_middle_line_is_reported_and_skipped(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, header(), UserMessage(text="before"))
    with path.open("ab") as handle:
        handle.write(b"not json at all\n")
    write(path, UserMessage(text="after"))
    record = read_session(path)
    assert [e.text for e in record.events] == ["before", "after"]
    assert len(record.problems) == 1 and ":3:" in record.problems[0]


def test_a_file_without_header_is_not_a_session(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, UserMessage(text="x"))
    with pytest.raises(SessionLogError, match="no session header"):
        read_session(path)


def test_a_failed_write_leaves_only_whole_events(tmp_path, monkeypatch):
    path = tmp_path / "s.jsonl"
    writer = SessionWriter(path)
    writer.write(header())
    real_write = os.write

    def half_write(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_write)
    with pytest.raises(SessionLogError, match="No space left"):
        writer.write(Error(message="x" * 100))
    monkeypatch.undo()
    writer.write(UserMessage(text="later"))
    writer.close()
    record = read_session(path)
    assert [type(e).__name__ for e in record.events] == ["UserMessage"]
    assert record.problems == []


def test_list_and_find_sessions(tmp_path):
    write(tmp_path / "20260101-000000-aaaaaa.jsonl", header("/w", "20260101-000000-aaaaaa"))
    write(tmp_path / "20260102-000000-bbbbbb.jsonl", header("/other", "20260102-000000-bbbbbb"))
    (tmp_path / "junk.jsonl").write_text("garbage\n")
    assert [h.session_id for _, h in list_sessions(folder=tmp_path)] == [
        "20260101-000000-aaaaaa",
        "20260102-000000-bbbbbb",
    ]
    from pathlib import Path

    assert [h.workspace for _, h in list_sessions(Path("/w"), folder=tmp_path)] == ["/w"]
    assert find_session("20260102", folder=tmp_path).name == "20260102-000000-bbbbbb.jsonl"
    with pytest.raises(SessionLogError, match="matches 2 sessions"):
        find_session("2026010", folder=tmp_path)
    with pytest.raises(SessionLogError, match="no session"):
        find_session("nope", folder=tmp_path)


def test_writing_after_a_torn_line_starts_a_new_line(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, header(), UserMessage(text="first"))
    with path.open("ab") as handle:
        handle.write(b'{"type": "user_message", "te')
    write(path, UserMessage(text="second"), UserMessage(text="third"))
    record = read_session(path)
    assert [e.text for e in record.events] == ["first", "second", "third"]
    assert record.problems == []


def test_a_line_that_is_json_but_not_an_object_is_skipped(tmp_path):
    path = tmp_path / "s.jsonl"
    write(path, header())
    with path.open("ab") as handle:
        handle.write(b"[1]\n")
    write(path, UserMessage(text="after"))
    record = read_session(path)
    assert [e.text for e in record.events] == ["after"]
    assert len(record.problems) == 1


@pytest.mark.parametrize("ref", ["/tmp/does-not-exist.jsonl", "/nowhere/x", "sub/dir"])
def test_a_missing_session_path_is_a_clear_error(tmp_path, ref):
    with pytest.raises(SessionLogError, match="no session file"):
        find_session(ref, folder=tmp_path)


def test_glob_characters_in_an_id_are_literal(tmp_path):
    write(tmp_path / "20260101-000000-aaaaaa.jsonl", header())
    with pytest.raises(SessionLogError, match="no session"):
        find_session("2026*", folder=tmp_path)
