"""Logging for chaincode servers: explicit levels, timestamped lines, no payloads.

Importing the shim calls ``logging.basicConfig(level=DEBUG)``, and the shim logs
every peer message, payloads included, on the ``asyncio`` logger. This module
replaces the root handler with one timestamped (UTC) stream handler and sets:

* ``chaincode`` (our packages): INFO
* ``asyncio`` (the shim, and asyncio itself), root: WARNING

The environment variable ``GRIDLEDGER_CC_LOG_LEVEL`` overrides them: a
comma-separated list of ``LEVEL`` (for our loggers) and ``logger=LEVEL`` items,
e.g. ``DEBUG`` or ``INFO,asyncio=INFO``.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import TextIO

__all__ = ["ENV_VAR", "configure_logging", "parse_levels"]

ENV_VAR = "GRIDLEDGER_CC_LOG_LEVEL"
OURS = "chaincode"
DEFAULT_LEVELS = {"": logging.WARNING, "asyncio": logging.WARNING, OURS: logging.INFO}
FORMAT = "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"


def parse_levels(spec: str) -> dict[str, int]:
    """Logger levels from a spec such as ``"DEBUG,asyncio=INFO"`` (defaults included)."""
    levels = dict(DEFAULT_LEVELS)
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, level_name = item.rpartition("=")
        level = logging.getLevelNamesMapping().get(level_name.upper())
        if level is None:
            raise ValueError(
                f"invalid {ENV_VAR} entry '{item}': level must be one of "
                "DEBUG, INFO, WARNING, ERROR, CRITICAL"
            )
        levels[name.strip() or OURS] = level
    return levels


def configure_logging(spec: str | None = None, stream: TextIO | None = None) -> None:
    """Send all logs to *stream* (stderr) with the levels of *spec* (default: the env var)."""
    levels = parse_levels(os.environ.get(ENV_VAR, "") if spec is None else spec)
    formatter = logging.Formatter(FORMAT, DATE_FORMAT)
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name or None).setLevel(level)
