"""The API's configuration (`api/settings.py`): from the environment, from files for secrets,
and one error naming everything missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.settings import DEFAULTS, ConfigError, load

PATHS = {
    "PROFILE": "GRIDLEDGER_CONNECTION_PROFILE",
    "API_DIR": "GRIDLEDGER_API_DIR",
    "TLS_CERT": "GRIDLEDGER_API_TLS_CERT",
    "TLS_KEY": "GRIDLEDGER_API_TLS_KEY",
}
SECRETS = {
    "WALLET_PASSPHRASE": "GRIDLEDGER_WALLET_PASSPHRASE",
    "SECRET_KEY": "GRIDLEDGER_API_SECRET",
}
HOW = {
    **{name: f"{name} (${variable})" for name, variable in PATHS.items()},
    **{name: f"{name} (${variable}[_FILE])" for name, variable in SECRETS.items()},
}


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """No GRIDLEDGER_ variable but those a test sets; every path one under tmp_path."""
    for variable in [*PATHS.values(), *SECRETS.values()]:
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(f"{variable}_FILE", raising=False)
    return monkeypatch


def set_paths(monkeypatch, tmp_path: Path) -> dict[str, Path]:
    paths = {name: tmp_path / name.lower() for name in PATHS}
    for name, variable in PATHS.items():
        monkeypatch.setenv(variable, str(paths[name]))
    return paths


def secret_file(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / "secrets" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(content)
    return path


def test_settings_come_from_the_environment_over_the_defaults(environment, tmp_path):
    paths = set_paths(environment, tmp_path)
    environment.setenv("GRIDLEDGER_WALLET_PASSPHRASE", "correct horse")
    environment.setenv("GRIDLEDGER_API_SECRET", "token key")

    config = load(None)

    assert config == {
        **DEFAULTS,
        **paths,
        "WALLET_PASSPHRASE": "correct horse",
        "SECRET_KEY": "token key",
    }
    assert all(isinstance(config[name], Path) for name in PATHS)


def test_a_secret_file_is_read_and_trimmed(environment, tmp_path):
    set_paths(environment, tmp_path)
    passphrase = secret_file(tmp_path, "passphrase", "  correct horse\n\n")
    token = secret_file(tmp_path, "token", "token key")
    environment.setenv("GRIDLEDGER_WALLET_PASSPHRASE_FILE", str(passphrase))
    environment.setenv("GRIDLEDGER_API_SECRET_FILE", str(token))

    config = load(None)

    assert (config["WALLET_PASSPHRASE"], config["SECRET_KEY"]) == ("correct horse", "token key")


def test_a_secret_in_the_environment_wins_over_its_file(environment, tmp_path):
    set_paths(environment, tmp_path)
    environment.setenv("GRIDLEDGER_WALLET_PASSPHRASE", "from the environment")
    environment.setenv("GRIDLEDGER_WALLET_PASSPHRASE_FILE", str(tmp_path / "absent"))
    environment.setenv("GRIDLEDGER_API_SECRET", "token key")

    assert load(None)["WALLET_PASSPHRASE"] == "from the environment"


@pytest.mark.parametrize("variable", SECRETS.values())
@pytest.mark.parametrize("content", ["", "\n", "   \n\t"], ids=["empty", "newline", "blank"])
def test_an_empty_secret_file_is_refused(environment, tmp_path, variable, content):
    set_paths(environment, tmp_path)
    for other in SECRETS.values():
        environment.setenv(other, "set")
    environment.delenv(variable)
    path = secret_file(tmp_path, "empty", content)
    environment.setenv(f"{variable}_FILE", str(path))

    with pytest.raises(ConfigError) as caught:
        load(None)
    assert str(caught.value) == f"{variable}_FILE={path} is empty"


@pytest.mark.parametrize("variable", SECRETS.values())
def test_a_missing_secret_file_is_refused_naming_it(environment, tmp_path, variable):
    set_paths(environment, tmp_path)
    path = tmp_path / "no-such-secret"
    environment.setenv(f"{variable}_FILE", str(path))

    with pytest.raises(ConfigError) as caught:
        load(None)
    assert str(caught.value) == f"{variable}_FILE={path}: No such file or directory"


def test_everything_missing_is_named_in_one_error(environment):
    with pytest.raises(ConfigError) as caught:
        load(None)
    assert str(caught.value) == "the API needs these settings: " + ", ".join(HOW.values())


@pytest.mark.parametrize("missing", HOW)
def test_each_missing_setting_is_named_with_its_variable(environment, tmp_path, missing):
    set_paths(environment, tmp_path)
    for variable in SECRETS.values():
        environment.setenv(variable, "set")
    variable = {**PATHS, **SECRETS}[missing]
    environment.setenv(variable, "")  # empty is missing too

    with pytest.raises(ConfigError) as caught:
        load(None)
    assert str(caught.value) == f"the API needs these settings: {HOW[missing]}"


def test_overrides_win_and_their_paths_become_paths(environment, tmp_path):
    set_paths(environment, tmp_path)
    environment.setenv("GRIDLEDGER_WALLET_PASSPHRASE", "from the environment")

    config = load(
        {
            "SECRET_KEY": "given",
            "WALLET_PASSPHRASE": "given too",
            "API_DIR": "/srv/api",
            "PAGE_SIZE": 7,
        }
    )

    assert (config["SECRET_KEY"], config["WALLET_PASSPHRASE"]) == ("given", "given too")
    assert config["API_DIR"] == Path("/srv/api")
    assert (config["PAGE_SIZE"], config["MAX_PAGE_SIZE"]) == (7, DEFAULTS["MAX_PAGE_SIZE"])
