"""The architecture holds in the code, not only in the README: layers import downward only
(apps > screens > kiosk > devices > common; central apart), and no module imports itself back
through others. The contracts are in setup.cfg ([importlinter]); import-linter checks them."""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("apps", "screens", "kiosk", "devices", "common", "central")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_layer_imports_only_downward() -> None:
    result = lint_imports(REPO, REPO / "setup.cfg")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The same contracts on a small tree where a driver imports the kiosk: the check fails,
    naming the import (so the test above cannot pass by checking nothing)."""
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "kiosk" / "sessions.py").write_text("")
    (tmp_path / "devices" / "scanner.py").write_text("import kiosk.sessions\n")
    (tmp_path / "central" / "routes.py").write_text("from common import version\n")
    (tmp_path / "common" / "version.py").write_text("")
    contracts = configparser.ConfigParser()
    contracts.read(REPO / "setup.cfg")
    kept = configparser.ConfigParser()
    for section in contracts.sections():
        if section.startswith("importlinter"):
            kept[section] = dict(contracts[section])
    kept["importlinter"]["include_external_packages"] = "False"
    del kept["importlinter:contract:no-kivy-below-screens"]
    config = tmp_path / "contracts.cfg"
    with config.open("w") as f:
        kept.write(f)

    result = lint_imports(tmp_path, config)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "devices is not allowed to import kiosk" in result.stdout
    assert "devices.scanner -> kiosk.sessions" in result.stdout


def strongly_connected(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other round a loop (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for module in sorted(graph.modules):
            if module not in index:
                visit(module)
    finally:
        sys.setrecursionlimit(limit)
    return groups


def test_the_import_graph_has_no_cycles() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert strongly_connected(graph) == []
