"""Real MCP servers for the tests, written with the SDK's own server API (`MCPServer`, once `FastMCP`).

`write_server(folder)` writes a small server file; run it over stdio as
`python FILE MARKER` (it writes MARKER when it starts, so a test can tell
whether it ever ran), or over streamable HTTP on 127.0.0.1 with
`HttpServer(file)` (`python FILE MARKER --http`), which reads the port the
server prints once it listens.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from pathlib import Path

SERVER_SOURCE = '''
import os
import pathlib
import sys

from mcp.server.mcpserver import MCPServer
from mcp_types import ImageContent, ResourceLink, TextContent

pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))
server = MCPServer("calc")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b


@server.tool()
def picture() -> list:
    """An image and a link."""
    return [
        TextContent(type="text", text="here it is"),
        ImageContent(type="image", data="aGVsbG8=", mime_type="image/png"),
        ResourceLink(type="resource_link", uri="file:///tmp/x.txt", name="x"),
    ]


@server.tool()
def fail() -> str:
    """Always fails."""
    raise ValueError("this tool always fails")


@server.tool()
def write_note(path: str, text: str) -> str:
    """Writes a file (to show that server effects are checkpointed)."""
    pathlib.Path(path).write_text(text)
    return "written"


@server.tool()
def crash() -> str:
    """Ends the server process."""
    os._exit(3)


if "--http" in sys.argv:
    server.run("streamable-http", host="127.0.0.1", port=0)
elif "--sse" in sys.argv:
    server.run("sse", host="127.0.0.1", port=0)
else:
    server.run()
'''


def write_server(folder: Path, name: str = "calc_server.py") -> Path:
    path = folder / name
    path.write_text(SERVER_SOURCE)
    return path


def stdio_entry(server_file: Path, marker: Path) -> dict:
    """A `.mcp.json` entry that runs the server over stdio."""
    return {"command": sys.executable, "args": [str(server_file), str(marker)]}


class HttpServer:
    """The server over streamable HTTP (or the legacy SSE transport) on 127.0.0.1; `url` is its endpoint."""

    def __init__(self, server_file: Path, marker: Path, transport: str = "http") -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(server_file), str(marker), f"--{transport}"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stderr is not None
        for line in self.process.stderr:
            found = re.search(r"http://127\.0\.0\.1:(\d+)", line)
            if found:
                self.url = f"http://127.0.0.1:{found.group(1)}/{'mcp' if transport == 'http' else 'sse'}"
                break
        else:
            raise RuntimeError("the HTTP MCP server exited before listening")
        # Keep reading its log, so that a full pipe never blocks the server.
        threading.Thread(target=self.process.stderr.read, daemon=True).start()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
