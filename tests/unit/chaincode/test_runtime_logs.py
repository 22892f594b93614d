import io
import logging
import re

import pytest

from chaincode.runtime.logs import ENV_VAR, configure_logging, parse_levels

LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<rest>.*)")


def test_default_levels():
    assert parse_levels("") == {
        "": logging.WARNING,
        "asyncio": logging.WARNING,
        "chaincode": logging.INFO,
    }


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("DEBUG", {"chaincode": logging.DEBUG}),
        ("info,asyncio=debug", {"chaincode": logging.INFO, "asyncio": logging.DEBUG}),
        (" warning , grpc=ERROR ", {"chaincode": logging.WARNING, "grpc": logging.ERROR}),
    ],
)
def test_spec_overrides(spec, expected):
    assert parse_levels(spec).items() >= expected.items()


@pytest.mark.parametrize("item", ["LOUD", "asyncio=", "asyncio=verbose"])
def test_invalid_spec_is_an_error(item):
    with pytest.raises(ValueError) as error:
        parse_levels(f"INFO,{item}")

    assert str(error.value) == (
        f"invalid {ENV_VAR} entry '{item}': level must be one of "
        "DEBUG, INFO, WARNING, ERROR, CRITICAL"
    )


def emit_sample_records():
    shim = logging.getLogger("asyncio")  # the shim logs on this logger
    shim.info("put_state called with key:k and value:secret")
    shim.warning("shim warning")
    ours = logging.getLogger("chaincode.consortium.members")
    ours.debug("our detail")
    ours.info("member registered")


def test_shim_chatter_is_hidden_and_our_lines_are_timestamped(restore_logging, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    stream = io.StringIO()

    configure_logging(stream=stream)
    emit_sample_records()

    lines = [LINE.fullmatch(line) for line in stream.getvalue().splitlines()]
    assert all(lines), stream.getvalue()
    assert [m["rest"] for m in lines] == [
        "WARNING asyncio shim warning",
        "INFO chaincode.consortium.members member registered",
    ]
    assert len(logging.getLogger().handlers) == 1


def test_environment_variable_sets_levels(restore_logging, monkeypatch):
    monkeypatch.setenv(ENV_VAR, "DEBUG,asyncio=ERROR")
    stream = io.StringIO()

    configure_logging(stream=stream)
    emit_sample_records()

    assert [LINE.fullmatch(line)["rest"] for line in stream.getvalue().splitlines()] == [
        "DEBUG chaincode.consortium.members our detail",
        "INFO chaincode.consortium.members member registered",
    ]
