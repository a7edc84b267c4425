"""A read-deny rule holds for every file a search or listing returns, whatever folder was searched.

`--deny 'read_file(.env)'` once let `grep_search` with `includeIgnoredFiles`, a glob of `.env`, or
`path: "sub/.."` hand the secret lines to the model: results are now filtered file by file.
"""

from __future__ import annotations

import pytest

from tests.support.fake_anthropic import Reply, tool_use

SECRET = "API_TOKEN=hunter2-do-not-leak"


@pytest.fixture
def secrets(guarded):
    root = guarded.root
    (root / ".gitignore").write_text(".env\n")
    (root / ".env").write_text(SECRET + "\n")
    (root / "sub").mkdir()
    (root / "sub" / ".env").write_text(SECRET + "\n")
    (root / "sub" / "ok.txt").write_text("API_TOKEN is read from the environment\n")
    (root / "link.txt").symlink_to(".env")
    return root


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        ("grep_search", {"query": "API_TOKEN", "includeIgnoredFiles": True}),
        ("grep_search", {"query": "API_TOKEN", "includeIgnoredFiles": True, "includePattern": ".env"}),
        ("Grep", {"pattern": "API_TOKEN", "path": "sub/.."}),
        ("Grep", {"pattern": "hunter2", "path": "sub"}),
        ("file_search", {"query": "**/.env"}),
        ("list_dir", {"path": "sub"}),
        ("list_dir", {"path": "."}),
    ],
)
@pytest.mark.parametrize("rule", ["read_file(.env)", "Read(**/.env)"])
async def test_a_read_deny_rule_filters_search_and_listing_results_per_file(secrets, harness, tool, args, rule):
    deny = [rule, "read_file(link.txt)"] if rule == "read_file(.env)" else [rule]
    call = tool_use(tool, args)
    run = await harness.run(Reply([call]), mode="bypassPermissions", deny=deny)
    run.assert_consistent()
    content = run.result(call["id"])["content"]
    assert SECRET not in content
    found = [line.split(":")[0].rstrip("/") for line in content.splitlines() if not line.startswith(("[", "No "))]
    assert not [path for path in found if path.endswith((".env", "link.txt"))], content
    if tool in ("grep_search", "Grep") and args.get("path") != "sub" and "includePattern" not in args:
        assert "sub/ok.txt" in content  # what no rule denies is still found


async def test_the_model_is_told_that_files_were_left_out(secrets, harness):
    call = tool_use("grep_search", {"query": "API_TOKEN", "includeIgnoredFiles": True})
    run = await harness.run(Reply([call]), mode="bypassPermissions", deny=["read_file(.env)", "read_file(sub/.env)"])
    content = run.result(call["id"])["content"]
    assert "sub/ok.txt" in content and SECRET not in content
    assert "[2 files left out: a deny rule keeps them from being read.]" in content
