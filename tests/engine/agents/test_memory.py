import itertools
import os
from pathlib import Path

import pytest

from tui.engine.agents.memory import MAX_IMPORT_DEPTH, MAX_MEMORY_CHARS, load_memory


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


@pytest.fixture
def repo(tmp_path, home):
    root = tmp_path / "repo"
    root.mkdir()
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names(memory):
    return [
        m.path.relative_to(memory.root).as_posix() if m.path.is_relative_to(memory.root) else "~" for m in memory.files
    ]


def test_reads_agents_and_claude_md_with_their_origin(repo):
    write(repo / "AGENTS.md", "Run `make test`.\r\n")
    write(repo / "CLAUDE.md", "\ufeffPrefer small diffs.\n")
    assert load_memory(repo).sections() == [
        "## Instructions from AGENTS.md (project instructions)\n\nRun `make test`.",
        "## Instructions from CLAUDE.md (project instructions)\n\nPrefer small diffs.",
    ]


def test_precedence_user_then_root_down_to_cwd_then_local_then_copilot(repo, home):
    write(home / ".claude" / "CLAUDE.md", "user")
    write(repo / "CLAUDE.md", "root")
    write(repo / "CLAUDE.local.md", "root local")
    write(repo / ".claude" / "CLAUDE.md", "dot claude")
    write(repo / "pkg" / "CLAUDE.md", "pkg")
    write(repo / "pkg" / "deep" / "AGENTS.md", "below cwd: not at start")
    write(repo / "other" / "CLAUDE.md", "sibling: never")
    write(repo / ".github" / "copilot-instructions.md", "copilot")
    memory = load_memory(repo, repo / "pkg")
    assert [m.text for m in memory.files] == ["user", "root", "dot claude", "root local", "pkg", "copilot"]
    assert [m.scope for m in memory.files] == ["user", "project", "project", "local", "project", "copilot"]
    assert "(your instructions for every project)" in memory.sections()[0]


def test_imports_expand_after_their_file_relative_to_it(repo):
    write(repo / "CLAUDE.md", "See @docs/conventions.md and mail me@example.com.\n")
    write(repo / "docs" / "conventions.md", "Use tabs. Also @./more.md")
    write(repo / "docs" / "more.md", "More.")
    memory = load_memory(repo)
    assert [m.text.split(".")[0] for m in memory.files] == ["See @docs/conventions", "Use tabs", "More"]
    assert memory.files[1].imported_by == repo / "CLAUDE.md"
    assert "(imported by CLAUDE.md)" in memory.sections()[1]
    assert memory.warnings == []


def test_imports_in_code_are_not_followed(repo):
    write(repo / "CLAUDE.md", "Decorators like `@property` stay.\n```\n@docs/in-fence.md\n```\n")
    write(repo / "docs" / "in-fence.md", "never")
    memory = load_memory(repo)
    assert [m.text for m in memory.files if m.text == "never"] == []
    assert memory.warnings == []


def test_missing_import_and_cycle_are_reported_with_file_and_line(repo):
    write(repo / "CLAUDE.md", "one\n@missing.md\n@a.md\n")
    write(repo / "a.md", "@b.md")
    write(repo / "b.md", "@a.md")
    memory = load_memory(repo)
    assert [m.path.name for m in memory.files] == ["CLAUDE.md", "a.md", "b.md"]
    assert memory.warnings == [
        "CLAUDE.md:2: @missing.md: no such file; left out",
        "b.md:1: @a.md is an import cycle; left out",
    ]


def test_imports_stop_at_the_depth_limit(repo):
    chain = [f"f{i}.md" for i in range(MAX_IMPORT_DEPTH + 2)]
    write(repo / "CLAUDE.md", f"@{chain[0]}")
    for here, following in itertools.pairwise(chain):
        write(repo / here, f"@{following}")
    write(repo / chain[-1], "bottom")
    memory = load_memory(repo)
    assert len(memory.files) == 1 + MAX_IMPORT_DEPTH
    assert len(memory.warnings) == 1 and f"more than {MAX_IMPORT_DEPTH} imports deep" in memory.warnings[0]


def test_a_project_cannot_import_a_file_from_the_home_folder(repo, home):
    write(home / ".ssh" / "id_rsa", "SECRET")
    write(home / ".claude" / "shared.md", "shared rules")
    write(repo / "CLAUDE.md", "@~/.ssh/id_rsa\n@~/.claude/shared.md\n")
    memory = load_memory(repo)
    assert "SECRET" not in "".join(memory.sections())
    assert "shared rules" in "".join(memory.sections())
    assert memory.warnings and "outside the project" in memory.warnings[0]


def test_the_users_own_file_may_import_from_home(repo, home):
    write(home / "notes" / "style.md", "my style")
    write(home / ".claude" / "CLAUDE.md", "@~/notes/style.md")
    assert [m.text for m in load_memory(repo).files] == ["@~/notes/style.md", "my style"]


def test_nested_memory_is_attached_once_when_a_file_under_it_is_reached(repo):
    write(repo / "CLAUDE.md", "root")
    write(repo / "pkg" / "CLAUDE.md", "pkg rules")
    write(repo / "pkg" / "sub" / "AGENTS.md", "sub rules")
    memory = load_memory(repo)
    assert [m.text for m in memory.attach_for([repo / "pkg" / "sub" / "x.py"])] == ["pkg rules", "sub rules"]
    assert memory.attach_for([repo / "pkg" / "y.py"]) == []
    assert [m.text for m in memory.loaded()] == ["root", "pkg rules", "sub rules"]


def test_instructions_attach_by_apply_to(repo):
    write(
        repo / ".github" / "instructions" / "py.instructions.md",
        '---\napplyTo: "**/*.py"\n---\nType hints everywhere.\n',
    )
    write(repo / ".github" / "instructions" / "all.instructions.md", "---\napplyTo: '**'\n---\nBe kind.\n")
    memory = load_memory(repo)
    assert [m.text for m in memory.files] == ["Be kind."]
    assert memory.attach_for([repo / "README.md"]) == []
    (attached,) = memory.attach_for([repo / "src" / "app.py"])
    assert attached.text == "Type hints everywhere."
    assert "(instructions for matching files: **/*.py)" in attached.section(memory.root)
    assert memory.attach_for([repo / "other.py"]) == []


def test_bad_apply_to_is_reported_and_skipped(repo):
    write(repo / ".github" / "instructions" / "bad.instructions.md", "---\nname: x\napplyTo: '{*.py'\n---\nBody\n")
    memory = load_memory(repo)
    assert memory.instructions == []
    assert memory.warnings == [
        "\x2egithub/instructions/bad.instructions.md:3: applyTo has an unbalanced glob '{*.py'; skipped"
    ]


def test_linked_file_is_read_once(repo):
    write(repo / "AGENTS.md", "shared")
    os.symlink(repo / "AGENTS.md", repo / "CLAUDE.md")
    assert [m.path.name for m in load_memory(repo).files] == ["AGENTS.md"]


def test_long_file_is_cut_with_a_note(repo):
    write(repo / "CLAUDE.md", "x" * (MAX_MEMORY_CHARS + 10))
    (section,) = load_memory(repo).sections()
    assert section.endswith(f"[CLAUDE.md was cut at {MAX_MEMORY_CHARS:,} characters]")


def test_unreadable_file_warns(repo):
    (repo / "AGENTS.md").write_bytes(b"\xff\xfe\x00")
    (repo / "CLAUDE.md").mkdir()
    memory = load_memory(repo)
    assert memory.sections() == []
    assert len(memory.warnings) == 1 and "AGENTS.md" in memory.warnings[0]


def test_describe_lists_what_is_loaded_and_what_waits(repo):
    write(repo / "CLAUDE.md", "root @missing.md")
    write(repo / ".github" / "instructions" / "py.instructions.md", "---\napplyTo: '**/*.py'\n---\nhints\n")
    text = load_memory(repo).describe()
    assert "  CLAUDE.md (project instructions)" in text
    assert "  .github/instructions/py.instructions.md (**/*.py)" in text
    assert "CLAUDE.md:1: @missing.md: no such file; left out" in text
