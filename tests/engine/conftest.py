import pytest


@pytest.fixture
def homes(tmp_path, monkeypatch):
    """HOME and STEPWISE_HOME in tmp folders; returns (home, stepwise_home)."""
    home = tmp_path / "home"
    stepwise_home = tmp_path / "stepwise-home"
    home.mkdir()
    stepwise_home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("STEPWISE_HOME", str(stepwise_home))
    return home, stepwise_home
