from pathlib import Path

import pytest

from tui.engine.agents.commands import discover_commands, expand, with_command_output


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def dirs(tmp_path):
    root, home = tmp_path / "repo", tmp_path / "home"
    root.mkdir()
    home.mkdir()
    return root, home


def test_commands_are_found_with_namespaces_and_project_shadows_user(dirs):
    root, home = dirs
    write(
        root / ".claude" / "commands" / "review.md",
        "---\ndescription: Review a file\nargument-hint: <file>\nallowed-tools: Bash(git diff:*), Read\nmodel: haiku\n---\nReview $ARGUMENTS\n",
    )
    write(root / ".claude" / "commands" / "frontend" / "test.md", "Run the frontend tests\n")
    write(home / ".claude" / "commands" / "review.md", "user review\n")
    write(home / ".claude" / "commands" / "mine.md", "mine\n")
    write(
        root / ".github" / "prompts" / "x.prompt.md",
        "---\nmode: agent\ndescription: X it\n---\nDo ${input:what:the thing}\n",
    )
    catalog = discover_commands(root, home)
    assert sorted(catalog.commands) == ["frontend:test", "mine", "review", "x"]
    review = catalog.find("review")
    assert (review.source, review.description, review.argument_hint, review.model) == (
        "project",
        "Review a file",
        "<file>",
        "haiku",
    )
    assert review.allowed_tools == ("Bash(git diff:*)", "Read")
    assert [c.source for c in catalog.shadowed] == ["user"]
    prompt = catalog.find("x")
    assert (prompt.source, prompt.agent, prompt.inputs) == ("prompt", "agent", (("what", "the thing"),))


def test_broken_frontmatter_is_skipped_with_the_reason(dirs):
    root, home = dirs
    write(root / ".claude" / "commands" / "bad.md", "---\ndescription: [unclosed\n")
    write(root / ".claude" / "commands" / "empty.md", "---\ndescription: nothing\n---\n")
    catalog = discover_commands(root, home)
    assert catalog.commands == {}
    reasons = {path.name: reason for path, reason in catalog.skipped}
    assert "never closed" in reasons["bad.md"] and reasons["empty.md"] == "has no prompt text"


def test_arguments_positionals_inputs_and_shell_lines(dirs):
    root, home = dirs
    write(
        root / ".claude" / "commands" / "fix.md",
        "Fix issue $1 in $2 (all: $ARGUMENTS)\n!`git log -1 --oneline`\nSee @notes.md\n",
    )
    write(root / ".claude" / "commands" / "plain.md", "Review this file\n")
    write(root / ".github" / "prompts" / "p.prompt.md", "Explain ${input:topic} to ${input:who:a new user}\n")
    catalog = discover_commands(root, home)
    fix = expand(catalog.find("fix"), '42 "src/app.py"')
    assert fix.prompt.startswith('Fix issue 42 in src/app.py (all: 42 "src/app.py")')
    assert fix.shell_commands == ("git log -1 --oneline",)
    assert with_command_output(fix, ["abc123 last"]).endswith(
        "$ git log -1 --oneline\n```\nabc123 last\n```\nSee @notes.md"
    )
    assert expand(catalog.find("plain"), "app.py").prompt == "Review this file\n\napp.py"
    partial = expand(catalog.find("p"), "caching")
    assert partial.prompt.startswith("Explain caching to ${input:who:a new user}")
    assert partial.missing_inputs == ("who",)
