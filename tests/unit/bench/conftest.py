"""Every benchmark unit test sees an empty run folder of its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def empty_run_folder(tmp_path_factory, monkeypatch):
    """No test here sees a developer's running network through its pid files."""
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path_factory.mktemp("run")))
