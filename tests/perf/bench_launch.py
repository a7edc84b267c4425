"""Launch and first answer: stepwise next to a bare Textual app, the MarkdownStream floor and Claude Code.

Everything runs in real terminals (tmux 120x40, one private tmux server) in a
temp git repository, against one scripted API on 127.0.0.1
(`tests/perf/launch_api.py`) that streams the same ~2,100-word reply in
12-character deltas to every program. "The whole reply on screen" is the
first `capture-pane` (polled every `POLL_S`, the same for every program)
showing the reply's last sentence, `END_MARKER`: the reply is longer than the
screen, so it is there only once the end has been drawn.

Per round (one warm-up round, then `REPEAT` measured; medians), launches
alternate between the programs:
- each program is launched and timed to its ready prompt (stepwise: the
  status bar shows the agent, typing accepted, and later says ready; Claude Code: `? for shortcuts`;
  the bare app and the floor: their Input's placeholder);
- then it is left until its process tree is idle (under 2% of a core over
  0.5 s), its memory is taken (PSS summed over the tree), the prompt is typed
  and, once it shows, Enter is sent: "Enter after idle" runs from that Enter
  to the end on screen;
- stepwise and Claude Code are launched with the prompt as their argument:
  from launch to the end on screen;
- stepwise again, as a fast typist: 0.4 s after its ready prompt shows, the
  prompt is typed and Enter sent at once; from that Enter to the end.
Last, `STALL_RUNS` Enter-after-idle runs of stepwise under
`tests/perf/stall_probe.py` give the worst event-loop stall while it streams.

Claude Code is installed from npm into `~/.cache/stepwise-bench/claude-code`
(once; `npm` must be on PATH) and runs with a temp `CLAUDE_CONFIG_DIR` whose
`.claude.json` has onboarding done, the key approved and the folder trusted,
with auto-update, telemetry and other non-essential traffic off. Without npm
or the install, its figures are skipped with a note.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tests.perf.bench_first_frame import BARE_APP, BARE_MARKER
from tests.perf.harness import (
    REPORT,
    Figure,
    Pane,
    TmuxServer,
    at_most,
    init_repo,
    tree_memory_mb,
    wait_until_idle,
    within_ratio,
)
from tests.perf.stall_probe import Stalls, stalls_between
from tests.perf.workloads import MODEL, prose

NAME = "launch"
REPEAT = 5
STALL_RUNS = 3
POLL_S = 0.01
"""Seconds between two captures of the screen while waiting for a marker (the figures' granularity)."""
TYPIST_DELAY_S = 0.4
TIMEOUT_S = 60.0
API_KEY = "sk-ant-bench-0123456789abcdefghijklmnop"
PROMPT = "Write the long benchmark answer."
END_MARKER = "That is the end of the benchmark reply."
FLOOR_MARKER = "floor-app-ready"
CLAUDE_CACHE = Path.home() / ".cache" / "stepwise-bench" / "claude-code"
CLAUDE_PACKAGE = "@anthropic-ai/claude-code"
CLAUDE_READY = "? for shortcuts"
MAX_STALL_MS = 50.0
PROBE_IDLE_SHARE = 0.1
"""The stall probe's own wake-ups use about 5% of a core: "idle" is below this under the probe."""

FLOOR_APP = f'''
import anthropic
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Input, Markdown


class Floor(App):
    """The least a Textual app can do: the SDK's text deltas into one Markdown widget via MarkdownStream."""

    AUTO_FOCUS = "Input"

    def compose(self):
        with VerticalScroll():
            yield Markdown()
        yield Input(placeholder="{FLOOR_MARKER}")

    def on_mount(self):
        self.query_one(VerticalScroll).anchor()
        self.client = anthropic.AsyncAnthropic(max_retries=0)

    def on_input_submitted(self, event):
        self.run_worker(self.answer(event.value))

    async def answer(self, prompt):
        stream = Markdown.get_stream(self.query_one(Markdown))
        request = dict(model={MODEL!r}, max_tokens=16000, messages=[{{"role": "user", "content": prompt}}])
        async with self.client.messages.stream(**request) as events:
            async for text in events.text_stream:
                await stream.write(text)
        await stream.stop()


Floor().run()
'''


def reply_text() -> str:
    """The scripted reply: deterministic Markdown prose of about 2,100 words, `END_MARKER` last."""
    return prose(2_100, seed=18) + "\n\n" + END_MARKER


def stepwise_ready(screen: str) -> bool:
    """stepwise's session ready: the status bar names the agent and ends with `ready`."""
    return any(
        line.strip().startswith("general · ") and line.rstrip().endswith("· ready") for line in screen.splitlines()
    )


def stepwise_shown(screen: str) -> bool:
    """stepwise's prompt with the agent shown: the status bar names it (`starting…` while the session
    opens: typing is accepted then, and what is sent waits for the session)."""
    return any(line.strip().startswith("general · ") for line in screen.splitlines())


def claude_config(project: Path, api_key: str) -> dict[str, object]:
    """Claude Code's `.claude.json` for a first launch that goes straight to the prompt.

    Onboarding done, the key approved (Claude Code remembers the last 20
    characters of an approved key) and the project folder's trust dialog
    accepted.
    """
    return {
        "hasCompletedOnboarding": True,
        "theme": "dark",
        "autoUpdates": False,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": {str(project): {"hasTrustDialogAccepted": True, "hasCompletedProjectOnboarding": True}},
    }


CLAUDE_ENV = {
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}


@dataclass(frozen=True)
class Program:
    label: str
    argv: list[str]
    ready: Callable[[str], bool]
    env: dict[str, str] = field(default_factory=dict)
    shown: Callable[[str], bool] | None = None
    """The prompt with the agent shown, when it comes before `ready` (stepwise, while its session opens)."""

    def command(self, prompt: str | None = None) -> str:
        return shlex.join([*self.argv, *([prompt] if prompt else [])])


@dataclass
class Samples:
    """One program's measurements, a list per figure (warm-up excluded)."""

    ready_s: list[float] = field(default_factory=list)
    shown_s: list[float] = field(default_factory=list)
    """Launch to the prompt with the agent shown (the same as `ready_s` where nothing comes sooner)."""
    memory_mb: list[float] = field(default_factory=list)
    enter_s: list[float] = field(default_factory=list)
    with_prompt_s: list[float] = field(default_factory=list)
    typist_s: list[float] = field(default_factory=list)
    memory_kind: str = "PSS"
    busy: int = 0
    """Launches still busy when the idle wait gave up."""
    missed: Counter[str] = field(default_factory=Counter)
    """Per figure (a field name above): runs whose screen never showed the end of the reply."""


def run(work: Path) -> list[Figure]:
    repo = init_repo(work / "repo").resolve()
    project = Path(__file__).resolve().parents[2]
    (work / "reply.md").write_text(reply_text(), encoding="utf-8")
    (work / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    (work / "floor_app.py").write_text(FLOOR_APP, encoding="utf-8")
    # Byte code as an installed package has it (see bench_first_frame).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(project / "tui")], check=True)
    claude, claude_note = _claude_code()
    load_before = os.getloadavg()[0]
    log = work / "requests.jsonl"
    api = ["--key", API_KEY, "--log", str(log)]
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.perf.launch_api", "--reply", str(work / "reply.md"), "--prompt", PROMPT, *api],
        stdout=subprocess.PIPE,
        text=True,
        cwd=project,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip().removeprefix("listening on ")
        base_env = {
            "HOME": str(work / "user-home"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(project),
            "ANTHROPIC_API_KEY": API_KEY,
            "ANTHROPIC_BASE_URL": url,
        }
        (work / "user-home").mkdir()
        stepwise = Program(
            "stepwise",
            [sys.executable, "-m", "tui.cli"],
            stepwise_ready,
            {**base_env, "STEPWISE_HOME": str(work / "stepwise-home")},
            shown=stepwise_shown,
        )
        bare = Program("bare", [sys.executable, str(work / "bare_app.py")], lambda s: BARE_MARKER in s, base_env)
        floor = Program("floor", [sys.executable, str(work / "floor_app.py")], lambda s: FLOOR_MARKER in s, base_env)
        programs = [stepwise, bare, floor]
        cc: Program | None = None
        if claude is not None:
            config = work / "claude-config"
            config.mkdir()
            (config / ".claude.json").write_text(json.dumps(claude_config(repo, API_KEY)), encoding="utf-8")
            cc = Program(
                "Claude Code",
                [str(claude)],
                lambda s: CLAUDE_READY in s,
                {**base_env, **CLAUDE_ENV, "CLAUDE_CONFIG_DIR": str(config)},
            )
            programs.append(cc)
        samples = {p.label: Samples() for p in programs}
        stalls: list[Stalls] = []
        with TmuxServer() as tmux:
            for round_ in range(1 + REPEAT):
                measured = {p.label: Samples() for p in programs}
                for program in programs:
                    _session(tmux, repo, program, measured[program.label], enter=program is not bare)
                for program in (stepwise, cc):
                    if program is not None:
                        _with_prompt(tmux, repo, program, measured[program.label])
                _fast_typist(tmux, repo, stepwise, measured[stepwise.label])
                if round_:
                    for label, got in measured.items():
                        _extend(samples[label], got)
                print(f"  round {round_}{' (warm-up)' if not round_ else ''} done", file=sys.stderr, flush=True)
            probe = Program(
                "stepwise (stall probe)",
                [sys.executable, "-m", "tests.perf.stall_probe", str(work / "stalls.txt")],
                stepwise_ready,
                stepwise.env,
            )
            probed = Samples()
            for _ in range(STALL_RUNS):
                if (worst := _stall_run(tmux, repo, probe, work / "stalls.txt", probed)) is not None:
                    stalls.append(worst)
    finally:
        server.terminate()
        server.wait(timeout=10)
    load = f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} cores)"
    return _figures(samples, stalls, probed, claude_note, _requests_note(log), f"{_versions(project, claude)}; {load}")


def _session(tmux: TmuxServer, repo: Path, program: Program, got: Samples, *, enter: bool) -> None:
    """Launch to ready; when `enter`: idle, memory, then Enter to the end of the reply on screen."""
    start = time.perf_counter()
    pane = tmux.launch(program.command(), repo, program.env)
    try:
        if program.shown is not None:
            got.shown_s.append(pane.wait_for(program.shown, start, poll_s=POLL_S, timeout_s=TIMEOUT_S))
        got.ready_s.append(pane.wait_for(program.ready, start, poll_s=POLL_S, timeout_s=TIMEOUT_S))
        if program.shown is None:
            got.shown_s.append(got.ready_s[-1])
        if not wait_until_idle(pane.pid):
            got.busy += 1
        memory, got.memory_kind = tree_memory_mb(pane.pid)
        got.memory_mb.append(memory)
        if enter:
            _enter_to_end(pane, got)
    finally:
        pane.close()


def _to_end(pane: Pane, start: float, got: Samples, figure: str) -> bool:
    """Add the seconds from `start` to the whole reply on screen to `got.<figure>`; count a run that never shows it.

    A run whose screen does not show the end within `TIMEOUT_S` is a finding
    (the user would not see it either), not a broken benchmark: its screen
    goes to stderr and the figure's note counts it.
    """
    try:
        getattr(got, figure).append(pane.wait_for(END_MARKER, start, poll_s=POLL_S, timeout_s=TIMEOUT_S))
    except RuntimeError as error:
        got.missed[figure] += 1
        print(f"  {figure}: {error}", file=sys.stderr, flush=True)
        return False
    return True


def _enter_to_end(pane: Pane, got: Samples) -> None:
    pane.type(PROMPT)
    pane.wait_for(PROMPT, time.perf_counter(), poll_s=POLL_S, timeout_s=TIMEOUT_S)
    start = time.perf_counter()
    pane.send("Enter")
    _to_end(pane, start, got, "enter_s")


def _with_prompt(tmux: TmuxServer, repo: Path, program: Program, got: Samples) -> None:
    start = time.perf_counter()
    pane = tmux.launch(program.command(PROMPT), repo, program.env)
    try:
        _to_end(pane, start, got, "with_prompt_s")
    finally:
        pane.close()


def _fast_typist(tmux: TmuxServer, repo: Path, program: Program, got: Samples) -> None:
    start = time.perf_counter()
    pane = tmux.launch(program.command(), repo, program.env)
    try:
        ready = pane.wait_for(program.ready, start, poll_s=POLL_S, timeout_s=TIMEOUT_S)
        if (delay := start + ready + TYPIST_DELAY_S - time.perf_counter()) > 0:
            time.sleep(delay)
        pane.type(PROMPT)
        enter = time.perf_counter()
        pane.send("Enter")
        _to_end(pane, enter, got, "typist_s")
    finally:
        pane.close()


def _stall_run(tmux: TmuxServer, repo: Path, program: Program, stalls: Path, probe: Samples) -> Stalls | None:
    """One Enter-after-idle run under the stall probe: the worst stalls between Enter and the end on screen.

    None when the end never showed (counted as a miss of `probe`)."""
    start = time.perf_counter()
    pane = tmux.launch(program.command(), repo, program.env)
    try:
        pane.wait_for(program.ready, start, poll_s=POLL_S, timeout_s=TIMEOUT_S)
        wait_until_idle(pane.pid, max_share=PROBE_IDLE_SHARE)
        pane.type(PROMPT)
        pane.wait_for(PROMPT, time.perf_counter(), poll_s=POLL_S, timeout_s=TIMEOUT_S)
        enter_wall = time.time()
        pane.send("Enter")
        if not _to_end(pane, time.perf_counter(), probe, "enter_s"):
            return None
        end_wall = time.time()
    finally:
        pane.close()
    return stalls_between(stalls.read_text(encoding="utf-8").splitlines(), enter_wall, end_wall)


def _extend(into: Samples, got: Samples) -> None:
    into.ready_s += got.ready_s
    into.shown_s += got.shown_s
    into.memory_mb += got.memory_mb
    into.enter_s += got.enter_s
    into.with_prompt_s += got.with_prompt_s
    into.typist_s += got.typist_s
    into.memory_kind = got.memory_kind
    into.busy += got.busy
    into.missed.update(got.missed)


def _median(values: list[float], scale: float = 1.0) -> float | None:
    return statistics.median(values) * scale if values else None


def _figures(
    samples: dict[str, Samples], stalls: list[Stalls], probed: Samples, claude_note: str, requests: str, versions: str
) -> list[Figure]:
    sw, bare, floor = samples["stepwise"], samples["bare"], samples["floor"]
    cc = samples.get("Claude Code")
    memory_name = f"idle memory, process tree ({sw.memory_kind})"

    def ms(values: list[float]) -> float | None:
        return _median(values, 1000)

    def missed(*counted: tuple[Samples | None, str, str]) -> str:
        """The note on runs that never showed the end, per program."""
        parts = [
            f"{label}: {got.missed[key]} of {got.missed[key] + len(getattr(got, key))} runs"
            for got, key, label in counted
            if got is not None and got.missed[key]
        ]
        return f"the end of the reply never showed within {TIMEOUT_S:.0f} s ({'; '.join(parts)})" if parts else ""

    def vs_claude(name: str, value: float | None, key: str, unit: str, limit: float, scale: float = 1000) -> Figure:
        note = missed((sw, key, "stepwise"), (cc, key, "Claude Code")) if key.endswith("_s") else ""
        theirs = _median(getattr(cc, key), scale) if cc is not None else None
        if theirs is None:
            return Figure(NAME, name, value or 0.0, unit, REPORT, note="; ".join(filter(None, [claude_note, note])))
        return Figure(NAME, name, value or 0.0, unit, within_ratio(limit), theirs, "Claude Code", note=note)

    ready, enter = ms(sw.ready_s), ms(sw.enter_s)
    memory = _median(sw.memory_mb)
    busy = {label: got.busy for label, got in samples.items() if got.busy}
    shown = ms(sw.shown_s)
    shown_name = "launch to ready prompt (agent shown, typing accepted)"
    ready_name = "launch to session ready (status `ready`)"
    enter_name = "Enter after idle to whole reply on screen"
    cc_ready = (ms(cc.ready_s), "Claude Code") if cc else (None, "")
    return [
        Figure(
            NAME,
            shown_name,
            shown or 0.0,
            "ms",
            within_ratio(1.5),
            ms(bare.ready_s),
            "bare Textual app",
            note=f"versions: {versions}",
        ),
        Figure(NAME, shown_name, shown or 0.0, "ms", REPORT, *cc_ready),
        Figure(NAME, ready_name, ready or 0.0, "ms", REPORT, ms(bare.ready_s), "bare Textual app"),
        Figure(NAME, ready_name, ready or 0.0, "ms", REPORT, *cc_ready),
        dataclasses.replace(
            vs_claude(memory_name, memory, "memory_mb", "MB", 0.5, scale=1),
            note=f"launches still busy after the idle wait: {busy}" if busy else "",
        ),
        Figure(NAME, memory_name, memory or 0.0, "MB", REPORT, _median(bare.memory_mb), "bare Textual app"),
        vs_claude(enter_name, enter, "enter_s", "ms", 0.6),
        Figure(
            NAME,
            enter_name,
            enter or 0.0,
            "ms",
            REPORT,
            ms(floor.enter_s),
            "MarkdownStream floor",
            note=missed((floor, "enter_s", "floor")),
        ),
        vs_claude("launch with prompt to whole reply on screen", ms(sw.with_prompt_s), "with_prompt_s", "ms", 0.8),
        Figure(
            NAME,
            f"fast typist (Enter {TYPIST_DELAY_S:g} s after ready) to whole reply",
            ms(sw.typist_s) or 0.0,
            "ms",
            within_ratio(1.3),
            enter,
            "stepwise, Enter after idle",
            note=missed((sw, "typist_s", "stepwise")),
        ),
        Figure(
            NAME,
            f"worst event-loop stall while streaming, own CPU (max of {len(stalls)})",
            max((s.busy for s in stalls), default=0.0) * 1000,
            "ms",
            at_most(MAX_STALL_MS),
            note="; ".join(filter(None, [requests, missed((probed, "enter_s", "stall probe"))])),
        ),
        Figure(
            NAME,
            f"worst event-loop stall while streaming, wall clock (max of {len(stalls)})",
            max((s.wall for s in stalls), default=0.0) * 1000,
            "ms",
            REPORT,
            note="includes the time the OS ran other processes; the figure above counts only the process's own CPU",
        ),
    ]


def _claude_code() -> tuple[Path | None, str]:
    """The cached Claude Code executable (installed with npm on first use), or None and why not."""
    binary = CLAUDE_CACHE / "node_modules" / ".bin" / "claude"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None:
            return None, "Claude Code skipped: npm is not on PATH"
        print(f"  installing {CLAUDE_PACKAGE} into {CLAUDE_CACHE} ...", file=sys.stderr, flush=True)
        CLAUDE_CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--prefix", str(CLAUDE_CACHE), CLAUDE_PACKAGE], capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not binary.exists():
            return None, f"Claude Code skipped: npm install failed ({done.stderr.strip()[-300:]})"
    probe = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False, timeout=60)
    if probe.returncode != 0:
        return None, f"Claude Code skipped: `claude --version` failed ({probe.stderr.strip()[-300:]})"
    return binary, ""


def _requests_note(log: Path) -> str:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
    answers = Counter(line["answer"] for line in lines)
    failed = Counter(f"{line['path']} {line['status']}" for line in lines if line["status"] != 200)
    return (
        f"scripted API: {len(lines)} requests ({answers['reply']} long replies, {answers['json']} JSON titles, "
        f"{answers['short']} short); not 200: {dict(failed) or 'none'}; screen polled every {POLL_S * 1000:g} ms"
    )


def _versions(project: Path, claude: Path | None) -> str:
    def out(*argv: str) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60, cwd=project)
        except OSError:
            return "?"
        return (done.stdout.strip() or done.stderr.strip() or "?").splitlines()[0]

    from importlib.metadata import version

    parts = [
        f"stepwise {out('git', 'describe', '--always', '--dirty', '--abbrev=7')}",
        f"textual {version('textual')}",
        f"anthropic {version('anthropic')}",
        f"Claude Code {out(str(claude), '--version').split()[0]}" if claude else "Claude Code -",
        f"node {out('node', '--version')}",
        out("tmux", "-V"),
        f"python {sys.version.split()[0]}",
    ]
    return ", ".join(parts)
