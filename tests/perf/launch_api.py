"""The scripted API of the launch benchmark: the long reply to the benchmark prompt, short answers to the rest.

    python -m tests.perf.launch_api --reply REPLY.md --prompt TEXT --key KEY --log REQUESTS.jsonl

prints `listening on http://127.0.0.1:PORT` and serves until terminated. It is
`tests/support/fake_anthropic.py` with a responder, so every program under
test gets the same Server-Sent Events in the same deltas. Besides the user's
prompt, Claude Code sends a title request (structured output, a JSON schema)
whose question is the prompt: it gets a JSON object of that schema, so it is
neither slowed by an error nor retried. Every request is logged (path,
status, what it was answered with) for the benchmark's note.

Not strict: Claude Code sends `system` messages mid-conversation (a beta the
scripted server does not model), which its request checks would refuse.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Literal

from tests.support.fake_anthropic import FakeAnthropic, log_requests, text

Answer = Literal["reply", "json", "short"]
SHORT = "OK."


def answer_kind(body: Any, prompt: str) -> Answer:
    """What a Messages request gets: the long `reply`, a `json` object of its output schema, or a `short` text."""
    if not isinstance(body, dict):
        return "short"
    if _output_schema(body) is not None:
        return "json"
    users = [m for m in body.get("messages") or [] if isinstance(m, dict) and m.get("role") == "user"]
    return "reply" if users and prompt in json.dumps(users[-1].get("content"), ensure_ascii=False) else "short"


def answer(body: Any, prompt: str, reply: str) -> list[dict[str, Any]]:
    """The content blocks answering `body`."""
    kind = answer_kind(body, prompt)
    if kind == "reply":
        return [text(reply)]
    if kind == "json":
        return [text(json.dumps(sample_of(_output_schema(body) or {})))]
    return [text(SHORT)]


def sample_of(schema: dict[str, Any]) -> Any:
    """A small value matching a JSON schema's type (objects get their required properties)."""
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: sample_of(properties.get(name) or {}) for name in schema.get("required") or []}
    if kind == "array":
        return []
    if kind in ("integer", "number"):
        return 0
    if kind == "boolean":
        return False
    if schema.get("enum"):
        return schema["enum"][0]
    return "Benchmark"


def _output_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    # Structured outputs: `output_config.format` now, `output_format` in the first beta.
    form = (body.get("output_config") or {}).get("format") or body.get("output_format") or {}
    if isinstance(form, dict) and form.get("type") == "json_schema" and isinstance(form.get("schema"), dict):
        return form["schema"]
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.perf.launch_api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--reply", type=Path, required=True, help="the long reply (UTF-8 text)")
    parser.add_argument("--prompt", required=True, help="the benchmark prompt that gets the long reply")
    parser.add_argument("--key", required=True, help="the API key clients must send")
    parser.add_argument("--chunk-size", type=int, default=12, help="characters per text delta")
    parser.add_argument("--log", type=Path, required=True, help="append each request as one JSON line")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    reply = args.reply.read_text(encoding="utf-8")
    server = FakeAnthropic(api_key=args.key, chunk_size=args.chunk_size, strict=False, port=args.port)
    server.respond_with(lambda body: answer(body, args.prompt, reply))
    log_requests(
        server,
        args.log,
        lambda record: {"path": record.path, "status": record.status, "answer": answer_kind(record.body, args.prompt)},
    )
    print(f"listening on {server.url}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
