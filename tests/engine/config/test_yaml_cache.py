"""The YAML cache: a warm start parses nothing, and nothing it keeps is ever trusted over the files."""

import asyncio
import json
import os

import pytest
import yaml

from tui.engine.agents.discovery import discover_agents
from tui.engine.agents.skills import discover_skills
from tui.engine.config import yaml_cache
from tui.engine.config.settings import load_settings
from tui.engine.session.session import Session, SessionOptions

AGENT = "---\nname: helper\ndescription: {description}\nmodel: haiku\ntools: read_file\n---\nYou help.\n"


@pytest.fixture
def workspace(git_repo):
    agents = git_repo / ".stepwise" / "agents"
    agents.mkdir(parents=True)
    (agents / "helper.md").write_text(AGENT.format(description="first"))
    skill = git_repo / ".stepwise" / "skills" / "style"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: style\ndescription: House style\n---\nBe brief.\n")
    (git_repo / ".stepwise" / "settings.yaml").write_text("model: opus\nauto_commit: true\n")
    return git_repo


def new_process() -> None:
    """Forget what this process read of the cache, as a new launch would."""
    yaml_cache._loaded.clear()


def read_all(root):
    catalog = discover_agents(root)
    skills = discover_skills(root, [])
    settings = load_settings(root)
    helper = catalog.get("helper")
    return (
        (helper.description, helper.model, helper.resolved_tools),
        [(s.name, s.description) for s in skills],
        (settings.model, settings.auto_commit, settings.warnings),
    )


def no_parsing(monkeypatch) -> None:
    def refuse(text):
        raise AssertionError(f"parsed again: {text[:40]!r}")

    monkeypatch.setattr(yaml, "safe_load", refuse)


def test_a_warm_start_parses_no_yaml_and_reads_the_same(workspace, monkeypatch) -> None:
    cold = read_all(workspace)
    assert yaml_cache.cache_path().exists()
    new_process()
    no_parsing(monkeypatch)
    assert read_all(workspace) == cold


def test_an_edit_in_the_same_second_with_the_same_size_is_read(workspace, monkeypatch) -> None:
    agent = workspace / ".stepwise" / "agents" / "helper.md"
    read_all(workspace)
    stat = agent.stat()
    agent.write_text(AGENT.format(description="other"))  # same length as "first"
    os.utime(agent, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert agent.stat().st_size == stat.st_size and agent.stat().st_mtime_ns == stat.st_mtime_ns
    new_process()
    assert read_all(workspace)[0][0] == "other"


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff not json",
        b"[1, 2]",
        b'{"format": 999, "parser": null, "entries": {}}',
        b'{"format": 1, "entries": "not a mapping"}',
    ],
)
def test_a_broken_cache_file_is_ignored_and_rewritten(workspace, content) -> None:
    expected = read_all(workspace)
    yaml_cache.cache_path().write_bytes(content)
    new_process()
    assert read_all(workspace) == expected
    data = json.loads(yaml_cache.cache_path().read_text())
    assert data["format"] == yaml_cache.FORMAT and isinstance(data["entries"], dict)


def test_a_cache_holds_answers_only_for_the_pyyaml_that_wrote_them(workspace) -> None:
    text = (workspace / ".stepwise" / "settings.yaml").read_text()
    read_all(workspace)
    data = json.loads(yaml_cache.cache_path().read_text())
    data["entries"][text] = {"model": "haiku"}
    yaml_cache.cache_path().write_text(json.dumps(data))
    new_process()
    assert load_settings(workspace).model == "haiku", "the same PyYAML: the cached answer is used"
    data["parser"] = [1, 2]
    yaml_cache.cache_path().write_text(json.dumps(data))
    new_process()
    assert load_settings(workspace).model == "opus", "another PyYAML's cache is not"


def test_broken_yaml_is_reported_on_every_start(workspace) -> None:
    (workspace / ".stepwise" / "settings.yaml").write_text("model: [unclosed\n")
    for _ in range(2):
        new_process()
        assert any("is not valid YAML" in w for w in load_settings(workspace).warnings)


def test_values_json_cannot_give_back_are_parsed_every_time() -> None:
    for text in ("when: 2024-01-02\n", "{1: one}\n"):
        assert yaml_cache.safe_load(text) == yaml.safe_load(text)
        assert yaml_cache.lookup(text) is yaml_cache.MISSING


def test_a_returned_value_is_the_callers_own(workspace) -> None:
    text = "permissions: {allow: [a]}\n"
    yaml_cache.safe_load(text)["permissions"]["allow"].append("b")
    first = yaml_cache.safe_load(text)
    first["permissions"]["allow"].append("c")
    assert yaml_cache.safe_load(text) == {"permissions": {"allow": ["a"]}}


def _count_writes(monkeypatch) -> list[object]:
    writes: list[object] = []
    write = yaml_cache.atomic_write

    def counted(path, data):
        writes.append(path)
        write(path, data)

    monkeypatch.setattr(yaml_cache, "atomic_write", counted)
    return writes


def test_a_cold_start_writes_the_cache_once(workspace, monkeypatch) -> None:
    agents = workspace / ".stepwise" / "agents"
    for index in range(5):
        (agents / f"a{index}.md").write_text(AGENT.format(description=f"number {index}").replace("helper", f"a{index}"))
    writes = _count_writes(monkeypatch)

    session = Session.open(SessionOptions(cwd=workspace), None)
    asyncio.run(session.close())

    assert writes == [yaml_cache.cache_path()]  # the settings, six agents and the skill: one write
    new_process()
    no_parsing(monkeypatch)
    catalog = discover_agents(workspace)
    assert [catalog.get(f"a{index}").description for index in range(5)] == [f"number {index}" for index in range(5)]


def test_a_batch_writes_when_its_last_block_ends_even_by_an_error(workspace, monkeypatch) -> None:
    writes = _count_writes(monkeypatch)

    def start_that_fails() -> None:
        with yaml_cache.batch():
            with yaml_cache.batch():
                read_all(workspace)
            assert writes == []  # the outer block is still open
            raise RuntimeError("the start failed")

    with pytest.raises(RuntimeError):
        start_that_fails()
    assert writes == [yaml_cache.cache_path()]
    new_process()
    no_parsing(monkeypatch)
    read_all(workspace)
