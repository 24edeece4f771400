"""No import circle in src/genad.

Every ``import`` statement of every module counts, including those inside functions: a lazy
import only postpones the circle to the first call (``Detector.save`` -> ``genad.persistence``
-> ``genad.base`` was one), so it is still a circle in the design. Imports under
``if TYPE_CHECKING:`` are left out: they never run. The package ``__init__`` is a module like
any other (``from . import x`` in ``genad/a.py`` is an edge ``genad.a -> genad`` unless ``x`` is a
submodule), but the parent packages that Python initialises before a submodule are not edges:
they are how a package is imported, not a choice of the module.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: import edges still to be removed, each a (module, imported module) pair; remove a pair when
#: its edge is gone (the test says so)
PENDING_EDGES: set[tuple[str, str]] = set()


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in (SRC / "genad").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def import_graph() -> dict[str, set[str]]:
    """module -> the genad modules its import statements name (anywhere in the file)."""
    mods = _modules()

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for mod, (path, is_pkg) in mods.items():
        package = mod.split(".") if is_pkg else mod.split(".")[:-1]
        edges: set[str] = set()

        def visit(node: ast.AST) -> None:
            for child in ast.iter_child_nodes(node):
                if _is_type_checking(child):
                    for sub in child.orelse:
                        visit(sub)
                    continue
                if isinstance(child, ast.Import):
                    edges.update(filter(None, (known(a.name) for a in child.names)))
                elif isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = package[: len(package) - (child.level - 1)]
                        prefix = ".".join(base + ([child.module] if child.module else []))
                    else:
                        prefix = child.module or ""
                    for a in child.names:
                        sub = f"{prefix}.{a.name}"
                        edges.add(known(sub) if sub in mods else known(prefix))
                visit(child)

        visit(ast.parse(path.read_text(encoding="utf-8")))
        edges.discard(None)
        edges.discard(mod)
        graph[mod] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_cycle_finder_sees_lazy_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "genad"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from .a import A\n")
    (pkg / "a.py").write_text("class A:\n    def save(self):\n        from .b import save\n")
    (pkg / "b.py").write_text("def save():\n    from .a import A\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import A\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    graph = import_graph()
    assert graph["genad.c"] == set()
    assert cycles(graph) == [["genad.a", "genad.b"]]


def test_no_import_circle_in_genad():
    graph = import_graph()
    for edge in PENDING_EDGES:
        assert edge[1] in graph.get(edge[0], set()), (
            f"the import {edge[0]} -> {edge[1]} is gone: remove it from PENDING_EDGES"
        )
        graph[edge[0]] = graph[edge[0]] - {edge[1]}
    found = cycles(graph)
    assert not found, "import circles in src/genad: " + "; ".join(" <-> ".join(c) for c in found)


def test_base_and_persistence_do_not_import_each_other_both_ways():
    graph = import_graph()
    assert not ("genad.persistence" in graph["genad.base"] and "genad.base" in graph["genad.persistence"])
    assert "genad.base" not in graph["genad.persistence"]
