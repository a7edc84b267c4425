import os

from tui.engine.agents.memory import MAX_MEMORY_CHARS, memory_files, memory_sections


def test_reads_agents_and_claude_md(tmp_path):
    (tmp_path / "AGENTS.md").write_text("Run `make test`.\r\n", encoding="utf-8")
    (tmp_path / "CLAUDE.md").write_text("\ufeffPrefer small diffs.\n", encoding="utf-8")
    assert memory_sections(tmp_path) == [
        "## Project instructions (AGENTS.md)\n\nRun `make test`.",
        "## Project instructions (CLAUDE.md)\n\nPrefer small diffs.",
    ]


def test_none_present(tmp_path):
    assert memory_sections(tmp_path) == []


def test_linked_file_is_read_once(tmp_path):
    (tmp_path / "AGENTS.md").write_text("shared", encoding="utf-8")
    os.symlink(tmp_path / "AGENTS.md", tmp_path / "CLAUDE.md")
    assert [m.path.name for m in memory_files(tmp_path)] == ["AGENTS.md"]


def test_long_file_is_cut_with_a_note(tmp_path):
    (tmp_path / "CLAUDE.md").write_text("x" * (MAX_MEMORY_CHARS + 10), encoding="utf-8")
    (section,) = memory_sections(tmp_path)
    assert section.endswith(f"[CLAUDE.md was cut at {MAX_MEMORY_CHARS:,} characters]")


def test_unreadable_file_warns(tmp_path):
    (tmp_path / "AGENTS.md").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "CLAUDE.md").mkdir()
    warnings: list[str] = []
    assert memory_sections(tmp_path, warnings) == []
    assert len(warnings) == 1 and "AGENTS.md" in warnings[0]
