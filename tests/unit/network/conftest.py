"""Every network unit test sees an empty run folder of its own.

The topology reads the orgs admitted at run time from the run folder, so a
developer's running network (with, say, an admitted `riverside`) must not change
what a unit test sees.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def empty_run_folder(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("GRIDLEDGER_RUN_DIR", str(tmp_path_factory.mktemp("run")))
