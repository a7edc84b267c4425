"""Web search and fetch through the API's server-side tools, in print mode against the scripted API."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.fake_anthropic import (
    cited,
    server_tool_use,
    text,
    tool_use,
    web_fetch_result,
    web_search_result,
)
from tui.cli import main

DOCS = ("asyncio: timeouts", "https://docs.python.org/3/library/asyncio-task.html")


def run_print(capsys, repo: Path, *flags: str) -> tuple[int, dict, str]:
    code = main(["-p", "look it up", "--cwd", str(repo), "--output-format", "json", *flags])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def tool_results(request) -> list[dict]:
    return [b for b in request.body["messages"][-1]["content"] if b["type"] == "tool_result"]


def script_search(model_env, name: str = "WebSearch") -> None:
    model_env.script(tool_use(name, {"query": "asyncio timeout"}))
    search = server_tool_use("web_search", {"query": "asyncio timeout"})
    model_env.script(search, web_search_result(search["id"], [DOCS]), cited("Use asyncio.timeout().", DOCS))
    model_env.script(text("Found it."))


def test_a_webfetch_domain_rule_becomes_allowed_domains_and_sources_are_shown_and_exported(capsys, git_repo, model_env):
    script_search(model_env)
    code, result, _ = run_print(capsys, git_repo, "--allow", "WebSearch", "--allow", "WebFetch(domain:docs.python.org)")
    assert code == 0 and result["permission_denials"] == []
    main_request, sub_request, last = model_env.message_requests
    assert {"web_search", "web_fetch"} <= {tool["name"] for tool in main_request.body["tools"]}
    assert sub_request.body["tools"] == [
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5, "allowed_domains": ["docs.python.org"]}
    ]
    assert "asyncio timeout" in sub_request.body["messages"][0]["content"]
    [sent] = tool_results(last)
    assert sent["content"] == f"Use asyncio.timeout().\n\nSources:\n- {DOCS[0]} <{DOCS[1]}>"
    assert main(["export", result["session_path"], "--format", "md"]) == 0
    assert DOCS[1] in capsys.readouterr().out


def test_a_first_search_asks_so_print_mode_denies_it_without_a_request(capsys, git_repo, model_env):
    model_env.script(tool_use("web_search", {"query": "anything"}))
    model_env.script(text("Could not search."))
    code, result, _ = run_print(capsys, git_repo)
    assert code == 0
    assert [d["tool"] for d in result["permission_denials"]] == ["web_search"]
    assert len(model_env.message_requests) == 2, "no search request was sent"


def test_a_fetch_reaches_only_the_approved_host_and_a_deny_rule_blocks_a_search(capsys, git_repo, model_env):
    url = "https://example.com/page"
    model_env.script(tool_use("WebFetch", {"url": url, "prompt": "the title"}))
    fetch = server_tool_use("web_fetch", {"url": url})
    model_env.script(
        fetch, web_fetch_result(fetch["id"], url, "Example", "Example Domain"), text("It is Example Domain.")
    )
    model_env.script(text("Done."))
    code, _, _ = run_print(
        capsys, git_repo, "--allow", "WebFetch(domain:example.com)", "--deny", "WebFetch(domain:evil.test)"
    )
    assert code == 0
    sub = model_env.message_requests[1].body
    assert sub["tools"] == [
        {"type": "web_fetch_20250910", "name": "web_fetch", "max_uses": 5, "allowed_domains": ["example.com"]}
    ]
    [sent] = tool_results(model_env.message_requests[2])
    assert sent["content"] == f"It is Example Domain.\n\nSources:\n- Example <{url}>"


def test_a_fetch_of_a_denied_host_never_reaches_the_api(capsys, git_repo, model_env):
    model_env.script(tool_use("web_fetch", {"urls": ["https://sub.evil.test/x"]}))
    model_env.script(text("Denied."))
    code, result, _ = run_print(capsys, git_repo, "--allow", "WebFetch", "--deny", "WebFetch(domain:evil.test)")
    assert code == 0 and "WebFetch(domain:evil.test)" in result["permission_denials"][0]["reason"]
    assert len(model_env.message_requests) == 2


def test_a_tool_the_api_refuses_is_withdrawn_for_the_session(capsys, git_repo, model_env):
    model_env.script(tool_use("web_search", {"query": "one"}))
    model_env.fail(400, "web_search_20250305 is not enabled for this organization")
    model_env.script(tool_use("web_search", {"query": "two"}))
    model_env.script(text("No web today."))
    code, _, _ = run_print(capsys, git_repo, "--allow", "WebSearch")
    assert code == 0
    first, second = (tool_results(r)[0] for r in (model_env.message_requests[2], model_env.message_requests[3]))
    assert first["is_error"] and "withdrawn for this session" in first["content"]
    assert second["is_error"] and "not available in this session" in second["content"]
    assert "web_search" not in {tool["name"] for tool in model_env.message_requests[3].body["tools"]}
    assert len(model_env.message_requests) == 4, "the withdrawn tool sent no second search"
