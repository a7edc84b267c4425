"""Custom slash commands in print mode: `stepwise -p "/review app.py"` expands the user's command file."""

import json

from tests.support.fake_anthropic import text
from tui.cli import main


def write_command(repo, name, body):
    path = repo / ".claude" / "commands" / f"{name}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")


def user_text(request):
    content = request.body["messages"][0]["content"]
    return "".join(block.get("text", "") for block in content if block["type"] == "text")


def run(capsys, repo, prompt, *flags):
    code = main(["-p", prompt, "--cwd", str(repo), "--output-format", "json", *flags])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


def test_a_command_expands_its_arguments_runs_its_allowed_shell_line_and_attaches_files(capsys, git_repo, model_env):
    write_command(
        git_repo,
        "review",
        "---\ndescription: Review a file\nallowed-tools: Bash(git status:*)\n---\n"
        "Review $ARGUMENTS against @README.md\n!`git status --short`\n",
    )
    (git_repo / "new.txt").write_text("untracked\n")
    model_env.script(text("Looks fine."))
    code, result, _ = run(capsys, git_repo, "/review app.py")
    assert code == 0 and result["result"] == "Looks fine."
    sent = user_text(model_env.message_requests[0])
    assert "Review app.py against @README.md" in sent
    assert "$ git status --short" in sent and "?? .claude/" in sent and "?? new.txt" in sent
    attached = "".join(str(block) for block in model_env.message_requests[0].body["messages"][0]["content"])
    assert "# demo" in attached  # README.md's content


def test_a_shell_line_no_rule_allows_is_denied_not_run(capsys, git_repo, model_env):
    write_command(git_repo, "clean", "Clean up\n!`touch ran.txt`\n")
    model_env.script(text("ok"))
    code, _, _ = run(capsys, git_repo, "/clean")
    assert code == 0
    assert not (git_repo / "ran.txt").exists()
    assert "$ touch ran.txt" in user_text(model_env.message_requests[0])
    assert "denied" in user_text(model_env.message_requests[0]).lower()


def test_missing_inputs_of_a_prompt_file_stop_before_the_model(capsys, git_repo, model_env):
    prompts = git_repo / ".github" / "prompts"
    prompts.mkdir(parents=True)
    (prompts / "explain.prompt.md").write_text("Explain ${input:topic} to ${input:who}\n")
    code, _, err = run(capsys, git_repo, "/explain caching")
    assert code == 2
    assert "/explain needs <who>" in err
    assert model_env.message_requests == []
