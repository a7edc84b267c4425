"""Skills on demand in print mode: listed in the system prompt, loaded by the Skill tool with their folder."""

import json

from tests.support.fake_anthropic import text, tool_use
from tui.cli import main


def test_a_skill_no_agent_lists_is_offered_loaded_with_its_folder_and_grants_its_tools(
    capsys, git_repo, model_env, stepwise_home
):
    # A user skill: a project's own .claude/ is a control folder, and commands naming it always ask.
    folder = stepwise_home / "skills" / "greeter"
    (folder / "scripts").mkdir(parents=True)
    (folder / "scripts" / "hello.py").write_text("print('hello from the skill')\n")
    (folder / "SKILL.md").write_text(
        "---\nname: greeter\ndescription: Greets people with the bundled script\n"
        f"allowed-tools: Bash(python3 {folder}/scripts/hello.py)\n---\n"
        "Run scripts/hello.py to greet.\n"
    )
    model_env.script(tool_use("Skill", {"skill": "greeter"}))
    model_env.script(tool_use("run_in_terminal", {"command": f"python3 {folder}/scripts/hello.py"}))
    model_env.script(tool_use("run_in_terminal", {"command": "python3 -c 'print(1)'"}))
    model_env.script(text("Greeted."))
    code = main(["-p", "greet", "--cwd", str(git_repo), "--output-format", "json"])
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["result"] == "Greeted."

    first = model_env.message_requests[0].body
    system = "".join(block["text"] for block in first["system"])
    assert "- greeter: Greets people with the bundled script" in system
    assert "Skill" in [tool["name"] for tool in first["tools"]]

    results = [
        b
        for m in model_env.message_requests[-1].body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_result"
    ]
    loaded, ran, other = results
    assert f"Its folder is {folder}" in loaded["content"] and "Run scripts/hello.py to greet." in loaded["content"]
    assert "hello from the skill" in ran["content"] and not ran.get("is_error")
    # The skill grants its own script, nothing else: print mode denies what would ask.
    assert other["is_error"] is True
    assert [d["tool"] for d in result["permission_denials"]] == ["run_in_terminal"]
