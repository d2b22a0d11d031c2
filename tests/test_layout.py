"""The package layout keeps its promises (issue 14): one package per domain, no import
cycles (not even through imports inside functions or under TYPE_CHECKING), no private
name taken from another module, no prefixed flat modules standing in for packages.

Read from the source with ``ast``: nothing is imported, so the test sees every import a
module could make, whichever branch runs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fxkit"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str, path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import statement in the file."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.append((base, [alias.name for alias in node.names]))
    return found


def edges() -> dict[str, set[str]]:
    """Module -> the fxkit modules it imports (``from pkg import submodule`` counts too)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, names in imports(name, path):
            if target not in MODULES:
                continue
            submodules = {f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES}
            graph[name] |= submodules
            if target != name and (not names or len(submodules) < len(names)):
                graph[name].add(target)       # a name defined in the module (or its face)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    graph = edges()
    assert len(graph) > 100
    assert "fxkit.lvm.facts" in graph["fxkit.xen.plans"]       # a known import is seen
    assert "fxkit.plan" in graph["fxkit.lvm.plans"]


def test_no_import_cycles_even_inside_functions_or_type_checking():
    assert cycles(edges()) == []


def test_the_cycle_finder_finds_a_cycle():
    """The check above would fail on a cycle: shown on a graph with one."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_private_name_is_imported_from_another_module():
    taken = []
    for name, path in MODULES.items():
        for target, names in imports(name, path):
            if target.startswith("fxkit") and target != name:
                taken += [f"{name}: {target}.{n}" for n in names
                          if n.startswith("_") and not n.startswith("__")
                          and f"{target}.{n}" not in MODULES]    # a package's own module
    assert taken == []


@pytest.mark.parametrize("prefix", ["lvm_", "xen_", "net_", "cmd_", "seminar_", "runbook_"])
def test_no_prefixed_flat_module_stands_in_for_a_package(prefix):
    flat = [p.name for p in PACKAGE.glob(f"{prefix}*.py")]
    flat += [str(p.relative_to(PACKAGE)) for p in (PACKAGE / "lab").glob(f"{prefix}*.py")]
    assert flat == []


def test_each_domain_is_a_package_with_a_face():
    for domain in ("lvm", "xen", "net", "runbook", "seminar", "fleet", "export", "audit",
                   "transports", "widgets", "cli", "lab", "testing"):
        face = PACKAGE / domain / "__init__.py"
        assert face.is_file(), f"fxkit/{domain}/ has no __init__.py"
        assert re.match(r'\s*"""', face.read_text()), f"fxkit/{domain}/__init__.py: no docstring"
