"""Fixtures of the app's tests."""

import os

import pytest


@pytest.fixture
def terminal_env(stepwise_home, tmp_path):
    """The whole environment of the app in a real terminal: private homes, no inherited size."""
    return {
        "STEPWISE_HOME": os.environ["STEPWISE_HOME"],
        "HOME": os.environ["HOME"],
        "TERM": "xterm-256color",
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
        "TMPDIR": str(tmp_path),
    }


@pytest.fixture
def api_terminal_env(terminal_env, fake_anthropic):
    """`terminal_env`, with the SDK pointed at the scripted server."""
    return {**terminal_env, "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": fake_anthropic.url}
