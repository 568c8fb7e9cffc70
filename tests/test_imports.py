"""The import structure of `log_assets`, read from the source with `ast` (nothing is imported):

- no module imports a private name (`_name`, or a module `_mod`) from another package of `log_assets`
  (`log_assets/<pkg>/` is a package; a top-level module `log_assets/<mod>.py` is its own); within a
  package, private names are that package's own business;
- no import cycle among the modules' module-level imports (imports inside functions, and under
  `if TYPE_CHECKING:`, run later or never and do not count);
- what reads homes of earlier versions (`log_assets.legacy`) is reached only through its entry
  (`log_assets.legacy` itself, imported inside the functions that need it, or the thin command module
  `log_assets.migrate`), and a run loads none of it but that entry.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
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


def test_the_legacy_check_sees_what_it_looks_for(monkeypatch):
    """A submodule of legacy imported from outside it, and its entry imported at module level."""
    code = {
        "log_assets.lake.lake": "from log_assets.legacy import unmigrated_lake\n",
        "log_assets.state.home": "def f():\n    from log_assets.legacy.stateimport import import_state_files\n",
        # the entry, imported where it is used: fine
        "log_assets.warehouse.load": "def f():\n    from log_assets import legacy\n",
    }
    real = Path.read_text
    paths = {MODULES[m]: text for m, text in code.items()}
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: paths.get(self) or real(self, *a, **k))
    found = legacy_offenders()
    assert len(found) == 2, found
    assert "log_assets.lake.lake imports log_assets.legacy when it is imported" in found[0] + found[1]
    assert "log_assets.legacy.stateimport, not the entry" in found[0] + found[1]


# ------------------------------------------------------------------------------ earlier versions

LEGACY = f"{PACKAGE}.legacy"
# Outside the package, the one module that may import its entry at module level: the command.
LEGACY_COMMAND = f"{PACKAGE}.migrate"


def _in_legacy(name: str) -> bool:
    return name == LEGACY or name.startswith(LEGACY + ".")


def legacy_offenders() -> list[str]:
    """Imports of `log_assets.legacy` from outside it that do not go through its entry: a submodule
    named anywhere, or the entry imported at module level (which would load it with the importer)."""
    offenders = []
    for module, path in MODULES.items():
        if _in_legacy(module):
            continue
        tree = ast.parse(path.read_text(), str(path))
        assert isinstance(tree, ast.Module)
        top = set(map(id, _module_level(tree.body)))
        for node, source, names in _imports(module, tree):
            targets = [source] if isinstance(node, ast.ImportFrom) else []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif source == PACKAGE:
                targets = [f"{PACKAGE}.{n}" for n in names]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            for target in filter(_in_legacy, targets):
                subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES] if target == LEGACY else []
                if target != LEGACY or subs:
                    offenders.append(
                        f"{where}: {module} imports {', '.join(subs) or target}, not the entry {LEGACY}"
                    )
                elif id(node) in top and module != LEGACY_COMMAND:
                    offenders.append(
                        f"{where}: {module} imports {LEGACY} when it is imported (import it where used)"
                    )
    return offenders


def test_earlier_versions_are_reached_only_through_the_legacy_entry():
    offenders = legacy_offenders()
    assert not offenders, "imports of log_assets.legacy past its entry:\n" + "\n".join(offenders)


def _run_path_modules() -> list[str]:
    """What a run imports: the code location, and every module the steps' code (log_assets/defs/)
    names in an import, also inside its functions (the steps import the state, the lake, ... there)."""
    found = {f"{PACKAGE}.definitions"}
    for module, path in MODULES.items():
        if not module.startswith(f"{PACKAGE}.defs"):
            continue
        found.add(module)
        for node, source, names in _imports(module, ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name in MODULES}
            elif source in MODULES:
                found.add(source)
                found |= {f"{source}.{n}" for n in names if f"{source}.{n}" in MODULES}
    return sorted(m for m in found if not _in_legacy(m))


# Imports what a run imports, then starts what every run starts with on a new home (its state opened,
# its lake opened: the two checks of earlier versions), and says which legacy modules each loaded.
_RUN_START = """
import json, sys, tempfile
from pathlib import Path
for name in sys.argv[1:]:
    __import__(name)
legacy = lambda: sorted(m for m in sys.modules if m == "log_assets.legacy" or m.startswith("log_assets.legacy."))
imported = legacy()
from log_assets.lake.lake import Lake
from log_assets.paths import Home
from log_assets.state.home import open_state
home = Home(Path(tempfile.mkdtemp()))
with open_state(home, log_types=["access"]):
    pass
Lake.for_home(home).close()
print(json.dumps({"imported": imported, "started": legacy()}))
"""


def test_a_run_loads_nothing_of_earlier_versions_but_the_entry(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOG_ASSETS_")}
    env.update(LOG_ASSETS_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", _RUN_START, *_run_path_modules()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["imported"] == [], f"importing the run's modules loads {loaded['imported']}"
    assert loaded["started"] == [LEGACY], f"a run's start on a new home loads {loaded['started']}"


# ---------------------------------------------------------------------------------- the map

CONTRIBUTING = ROOT / "CONTRIBUTING.md"
MAP_HEADING = "## Map of the code"


def code_map(text: str) -> dict[str, set[str]]:
    """The table under MAP_HEADING: every package its first column names -> the packages its last
    column allows (`log_assets.<name>`; `log_assets` for the package itself)."""
    section = text.split(MAP_HEADING, 1)[1].split("\n## ", 1)[0]
    allowed: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = {_unit(n) for n in cells[0].split("`")[1::2]}
        may = {_unit(n) for n in cells[-1].split("`")[1::2]}
        for name in names:
            assert name not in allowed, f"{name} has two lines in the map"
            allowed[name] = may
    return allowed


def _unit(name: str) -> str:
    return PACKAGE if name == PACKAGE else f"{PACKAGE}.{name}"


def map_offenders(allowed: dict[str, set[str]]) -> list[str]:
    """Packages without a line in the map, and imports (anywhere in a module) its line does not allow."""
    units = {_package_of(m) for m in MODULES}
    offenders = [
        f"{u}: no line in the map ({CONTRIBUTING.name}, {MAP_HEADING!r})" for u in sorted(units - set(allowed))
    ]
    for module, path in MODULES.items():
        unit = _package_of(module)
        for node, source, names in _imports(module, ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif source == PACKAGE:
                targets = [f"{PACKAGE}.{n}" for n in names if f"{PACKAGE}.{n}" in MODULES] or [PACKAGE]
            else:
                targets = [source]
            for target in targets:
                if target != PACKAGE and not target.startswith(PACKAGE + "."):
                    continue
                other = target if target == PACKAGE else _package_of(target)
                if other != unit and other not in allowed.get(unit, set()):
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    offenders.append(
                        f"{where}: {module} imports {target}; the map does not let {unit} import {other}"
                    )
    return offenders


def test_the_packages_import_only_what_the_map_of_the_code_allows():
    offenders = map_offenders(code_map(CONTRIBUTING.read_text()))
    assert not offenders, "the code and its map (CONTRIBUTING.md) disagree:\n" + "\n".join(offenders)


def test_the_map_check_sees_what_it_looks_for():
    """A map that leaves out a package, and one that does not allow an import the code makes."""
    allowed = code_map(CONTRIBUTING.read_text())
    assert allowed[f"{PACKAGE}.simulator"] == {f"{PACKAGE}.catalog"}
    assert allowed[f"{PACKAGE}.cli"] == allowed[f"{PACKAGE}.__main__"]  # two packages on one line
    missing = {u: may for u, may in allowed.items() if u != f"{PACKAGE}.jsonsafe"}
    assert any(o.startswith(f"{PACKAGE}.jsonsafe: no line") for o in map_offenders(missing))
    narrower = {**allowed, f"{PACKAGE}.forcepoint": allowed[f"{PACKAGE}.forcepoint"] - {f"{PACKAGE}.lake"}}
    found = map_offenders(narrower)
    assert found and all("the map does not let log_assets.forcepoint import log_assets.lake" in o for o in found)
