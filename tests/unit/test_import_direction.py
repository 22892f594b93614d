"""Which of GridLedger's packages may import which: the layers, read from the source itself.

`gridspec` is the bottom (it imports none of the others); the chaincode and the client
stand on it alone; the API on the client; `simulation` (the simulated community's
data) stands alone, and the households' `agents` on it and the client; `network`, the
operator's tool, stands beside the applications and none of them imports it (only the
benchmark, which drives a whole network, does). Every `import` of every module is
read with `ast`, at any depth (a function's deferred import counts as much as one at
the top).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "client", "gridspec", "chaincode", "network", "bench", "simulation", "agents")
MAY_IMPORT = {
    "api": {"api", "client", "gridspec"},
    "client": {"client", "gridspec"},
    "gridspec": {"gridspec"},
    "chaincode": {"chaincode", "gridspec"},
    "simulation": {"simulation"},
    "agents": {"agents", "simulation", "gridspec", "client"},
    "network": set(PACKAGES) - {"api", "bench", "agents"},
    "bench": set(PACKAGES),
}


def modules(package: str) -> list[Path]:
    found = sorted((REPO / package).rglob("*.py"))
    return [p for p in found if "node_modules" not in p.parts]


def imports(path: Path, package: str) -> Iterator[tuple[int, str]]:
    """(line, imported project package) for each import of `path`; relative imports are
    the module's own package."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [package] if node.level else [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in PACKAGES:
                yield node.lineno, top


def edges() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the places (file:line) it is imported."""
    found: dict[str, dict[str, list[str]]] = {p: {} for p in PACKAGES}
    for package in PACKAGES:
        for path in modules(package):
            for line, imported in imports(path, package):
                where = f"{path.relative_to(REPO)}:{line}"
                found[package].setdefault(imported, []).append(where)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, list[str]]]:
    return edges()


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_only_the_layers_below_it(graph, package):
    offending = [
        f"{where} imports {imported}"
        for imported, places in sorted(graph[package].items())
        if imported not in MAY_IMPORT[package]
        for where in places
    ]
    allowed = ", ".join(sorted(MAY_IMPORT[package]))
    assert not offending, f"{package} may import only {allowed}:\n" + "\n".join(offending)


def test_nothing_but_the_operators_tool_and_the_benchmark_imports_network(graph):
    offending = [
        f"{where} imports network"
        for package in PACKAGES
        if package not in ("network", "bench")
        for where in graph[package].get("network", [])
    ]
    assert not offending, "\n".join(offending)


def cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Every cycle between packages (a package importing itself is none), as paths."""
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for imported in sorted(graph[path[-1]]):
            if imported == path[-1]:
                continue
            if imported == path[0]:
                found.append([*path, imported])
            elif imported not in path and imported > path[0]:
                walk([*path, imported])

    for package in sorted(graph):
        walk([package])
    return found


def test_there_is_no_import_cycle_between_packages(graph):
    found = cycles(graph)
    places = [
        f"{' -> '.join(cycle)}: " + ", ".join(graph[a][b][0] for a, b in itertools.pairwise(cycle))
        for cycle in found
    ]
    assert not places, "import cycles:\n" + "\n".join(places)


def test_the_reader_sees_deferred_relative_and_aliased_imports(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "import os\n"
        "import client.identity as identity\n"
        "from . import sibling\n"
        "def later():\n"
        "    from network.topology import UTILITY\n"
        "    import gridspec\n"
    )

    assert list(imports(source, "api")) == [
        (2, "client"),
        (3, "api"),
        (5, "network"),
        (6, "gridspec"),
    ]


def test_the_cycle_finder_finds_a_cycle_through_three_packages():
    graph = {"a": {"b": ["a.py:1"]}, "b": {"c": ["b.py:1"], "b": []}, "c": {"a": ["c.py:9"]}}

    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"a": ["a.py:1"]}, "b": {"a": ["b.py:2"]}}) == []
