import logging

import pytest


@pytest.fixture
def restore_logging():
    """Undo configure_logging(): it replaces the root handler and sets logger levels."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    names = (None, "asyncio", "chaincode")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
