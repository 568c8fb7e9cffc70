"""The import structure of `log_assets`, read from the source with `ast` (nothing is imported):

- no module imports a private name (`_name`, or a module `_mod`) from another package of `log_assets`
  (`log_assets/<pkg>/` is a package; a top-level module `log_assets/<mod>.py` is its own); within a
  package, private names are that package's own business;
- no import cycle among the modules' module-level imports (imports inside functions, and under
  `if TYPE_CHECKING:`, run later or never and do not count).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "log_assets"


def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by the name of its folder)."""
    out = {}
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _package_of(module: str) -> str:
    """The top-level package a module belongs to: `log_assets.<pkg>` (a top-level module is its own)."""
    return ".".join(module.split(".")[:2])


def _resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute name of what `node` (in `module`) imports from."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _imports(module: str, tree: ast.AST) -> Iterator[tuple[ast.stmt, str, list[str]]]:
    """(statement, module imported from, names imported) for every import anywhere in the module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            yield node, _resolve(module, node), [a.name for a in node.names]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The imports that run when the module is imported: not in functions, not under TYPE_CHECKING."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                yield from _module_level(block)
        elif isinstance(node, ast.With | ast.For | ast.While | ast.ClassDef):  # a class body runs at import
            yield from _module_level(node.body)


def private_imports() -> list[str]:
    offenders = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        for node, source, names in _imports(module, tree):
            if source != PACKAGE and not source.startswith(PACKAGE + "."):
                continue
            if source == PACKAGE:  # `from log_assets import x`: x is a package or module of its own
                targets = [f"{PACKAGE}.{n}" for n in names]
                private = [n for n in names if _private(n)]
            else:
                targets = [source]
                private = [n for n in names if _private(n)] + [p for p in source.split(".")[1:] if _private(p)]
            if not private or all(_package_of(t) == _package_of(module) for t in targets):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            offenders.append(f"{where}: {module} imports {', '.join(private)} from {source}")
    return offenders


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of the package its module-level imports load."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        assert isinstance(tree, ast.Module)
        for node in _module_level(tree.body):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                # `from pkg import mod` loads pkg.mod (pkg, its parent, is being imported already);
                # `from mod import name` needs mod's name, so mod must have run.
                source = _resolve(module, node)
                subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in MODULES]
                targets = subs + ([source] if len(subs) < len(node.names) else [])
            graph[module] |= {t for t in targets if t in MODULES and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

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
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_cycle_in(graph, c) for c in components]


def _cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A path that starts and ends at the same module, within one strongly connected component."""
    start = min(component)
    paths = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph[v] & component):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                todo.append(w)
    raise AssertionError(f"no cycle through {start}")


def test_no_private_name_is_imported_from_another_package():
    offenders = private_imports()
    assert not offenders, "private names imported across packages:\n" + "\n".join(offenders)


def test_the_modules_import_no_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_checks_see_what_they_look_for():
    """The checks on code made for the purpose: a private name across packages, and a cycle."""
    tree = ast.parse("from log_assets.lake.daywriter import _day_files\nfrom log_assets.lake._x import y\n")
    found = [
        (source, names)
        for _node, source, names in _imports("log_assets.warehouse.catalog", tree)
        if any(_private(n) for n in names) or any(_private(p) for p in source.split("."))
    ]
    assert len(found) == 2
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
