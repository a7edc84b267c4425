"""Fixtures generic to the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.fake_anthropic import FakeAnthropic


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    """A started scripted Anthropic server on 127.0.0.1 (expects the key `test-key`)."""
    from tests.support.fake_anthropic import FakeAnthropic

    with FakeAnthropic() as server:
        yield server
