from network.install import (
    FABRIC,
    FABRIC_CA,
    FABRIC_RELEASE,
    commit_of,
    embedded_version,
    missing_commands,
    pinned_version,
)
from network.paths import TOOLS_BIN

V3_1_1_COMMIT = "435a7f1a780a"


def test_the_pins_are_fabric_v3_1_1_and_fabric_ca_v1_5_21():
    assert FABRIC.pinned_version() == f"v1.4.0-rc1.0.20250510200036-{V3_1_1_COMMIT}"
    assert commit_of(FABRIC.pinned_version()) == V3_1_1_COMMIT
    assert FABRIC_RELEASE == "v3.1.1"
    assert FABRIC_CA.pinned_version() == "v1.5.21"


def test_pinned_version_reads_a_require_block(tmp_path):
    go_mod = tmp_path / "go.mod"
    go_mod.write_text("module x\n\nrequire (\n\tgithub.com/a/b v1.2.3\n\tgithub.com/a/bc v9\n)\n")
    assert pinned_version(go_mod, "github.com/a/b") == "v1.2.3"


def test_installed_binaries_carry_the_pinned_module_version():
    for tools in (FABRIC, FABRIC_CA):
        for command in tools.commands:
            assert embedded_version(TOOLS_BIN / command, tools.module) == tools.pinned_version()
    assert missing_commands(FABRIC) == []


def test_an_empty_tools_folder_needs_every_command(tmp_path):
    assert missing_commands(FABRIC, tmp_path) == list(FABRIC.commands)
