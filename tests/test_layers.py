"""The package's layers run one way, and no package imports another's private names.

Every ``import`` of every module of ``jzsim`` is read with :mod:`ast` (imports inside functions and
``TYPE_CHECKING`` blocks included: a deferred import is still a dependency). A module belongs to a
*unit*: its subpackage (``jzsim.engine.model`` -> ``engine``) or, for a top-level module, its own
name (``jzsim.plan`` -> ``plan``; the package's ``__init__`` -> ``jzsim``). :data:`ALLOWED` lists,
per unit, the units it may import; the graph it spells out is the layer order

    engine, version  <  backends, params  <  uncertainty, sectors, data, scenarios  <  plan
    <  analysis, documentation, io  <  experiments  <  cli, jzsim (the public facade)

and a test checks that :data:`ALLOWED` itself has no cycle. A name starting with ``_`` (a private
module or a private object) may be imported only from inside its own unit.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import jzsim

ROOT = Path(jzsim.__file__).parent

#: unit -> units it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "version": set(),
    "engine": set(),
    "backends": {"engine"},
    "params": {"engine"},
    "uncertainty": {"engine", "version", "backends", "params"},
    "sectors": {"engine"},
    "data": {"engine", "params"},
    "scenarios": {"engine", "params"},
    "plan": {"engine", "version", "params", "sectors", "data", "scenarios"},
    "analysis": {"engine", "version", "backends", "params", "uncertainty", "sectors", "data", "scenarios", "plan"},
    "experiments": {"engine", "version", "backends", "params", "uncertainty", "data", "scenarios", "plan", "analysis"},
    "documentation": {"engine", "params", "sectors", "data", "plan"},
    "io": {"engine", "version", "params", "plan"},
    "calibration": {"engine", "version", "backends", "params", "uncertainty", "data", "scenarios", "plan"}
    | {"analysis", "experiments"},
    "cli": {"engine", "version", "backends", "params", "uncertainty", "sectors", "data", "scenarios", "plan"}
    | {"analysis", "documentation", "io", "experiments", "jzsim", "calibration"},
    "jzsim": {"engine", "version", "backends", "params", "uncertainty", "scenarios", "plan", "analysis"}
    | {"documentation", "io", "experiments"},
}

#: (importing module, imported unit): known exceptions, each to be removed by the change named.
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str, root_name: str) -> str:
    parts = module.split(".")
    if parts[0] != root_name:
        raise ValueError(f"{module} is not in {root_name}")
    return parts[1] if len(parts) > 1 else root_name


def imports_of(path: Path, root: Path) -> Iterator[tuple[str, str, int]]:
    """``(imported module, imported name or "", line)`` for every import of the package's own
    modules in ``path``; ``from a.b import c`` gives ``("a.b.c", "", line)`` when ``a/b/c`` is a
    module or package and ``("a.b", "c", line)`` otherwise."""
    me = module_name(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == root.name:
                    yield a.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != root.name:
                continue
            for a in node.names:
                sub = root.parent.joinpath(*mod.split("."), a.name)
                if sub.is_dir() or sub.with_suffix(".py").exists():
                    yield f"{mod}.{a.name}", "", node.lineno
                else:
                    yield mod, a.name, node.lineno


def violations(root: Path, allowed: dict[str, set[str]], exceptions=frozenset()) -> list[str]:
    """Every import in package ``root`` that breaks the layers or imports a private name of another unit."""
    out = []
    for path in sorted(root.rglob("*.py")):
        me = module_name(path, root)
        mine = unit_of(me, root.name)
        for mod, name, line in imports_of(path, root):
            where = f"{path.relative_to(root.parent)}:{line}"
            theirs = unit_of(mod, root.name)
            if theirs == mine:
                continue
            if mine not in allowed:
                out.append(f"{where}: unit {mine!r} is not in the layer map")
            elif theirs not in allowed[mine] and (me, theirs) not in exceptions:
                out.append(f"{where}: {mine} imports {mod} ({theirs}), which is not below it")
            private = [p for p in mod.split(".") + [name] if p.startswith("_") and not p.startswith("__")]
            if private:
                what = f"{mod}.{name}" if name else mod
                out.append(f"{where}: {mine} imports the private {what} of {theirs}")
    return out


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of ``graph`` as a list of nodes, or None."""
    state: dict[str, int] = {}

    def visit(n, path):
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return path[path.index(m) :] + [m]
            if state.get(m) is None:
                c = visit(m, path + [m])
                if c:
                    return c
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n, [n])
            if c:
                return c
    return None


def test_the_layer_map_has_no_cycle_and_covers_every_unit():
    assert cycle(ALLOWED) is None
    units = {unit_of(module_name(p, ROOT), ROOT.name) for p in ROOT.rglob("*.py")}
    assert units <= set(ALLOWED), f"units missing from ALLOWED: {sorted(units - set(ALLOWED))}"
    assert set().union(*ALLOWED.values()) <= set(ALLOWED)


def test_jzsim_imports_follow_the_layers():
    assert violations(ROOT, ALLOWED, KNOWN_EXCEPTIONS) == []


def test_known_exceptions_are_still_needed():
    """An exception that no import uses any more must be deleted from the list."""
    used = set()
    for path in ROOT.rglob("*.py"):
        me = module_name(path, ROOT)
        for mod, _, _ in imports_of(path, ROOT):
            used.add((me, unit_of(mod, ROOT.name)))
    assert KNOWN_EXCEPTIONS <= used, f"stale: {sorted(KNOWN_EXCEPTIONS - used)}"


#: (module, expression): the only places where an object's private attribute (``x._name``, ``x``
#: not ``self``/``cls``) is read or written, with the reason. Anything else, e.g. a back end
#: writing the engine's private state (``cm._numba = {}``), fails the test below.
PRIVATE_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("jzsim.engine.compiled", "model._vars"): "CompiledModel is built from its Model (same unit)",
    ("jzsim.engine.compiled", "model._groups"): "CompiledModel is built from its Model (same unit)",
    ("jzsim.engine.compiled", "model._derived"): "CompiledModel is built from its Model (same unit)",
    ("jzsim.engine.compiled", "model._sectors"): "CompiledModel is built from its Model (same unit)",
    ("jzsim.backends.numba_cache", "dispatcher._cache"): "numba has no public API to place a dispatcher's cache",
    ("jzsim.backends.numba_cache", "caching._SourceFileBackedLocatorMixin"): "numba's cache locator base",
    ("jzsim.backends.numba_cache", "caching._CacheLocator"): "numba's cache locator base",
    ("jzsim.backends.numba_runtime", "mod._blocks"): "the generated kernel module's main loop (our own code)",
    ("jzsim.engine.model", "self._model._vars"): "Model.params (_Params) reads its Model's variables",
    ("jzsim.engine.model", "model._declaring"): "Model's own building-block context manager (same module)",
    ("jzsim.engine.units", "u._units"): "pint offers no public list of a registry's units",
    # TODO(#19, h-mc): numba offers no public way to start its threads early
    ("jzsim.uncertainty.montecarlo", "numba.np.ufunc.parallel._launch_threads"): "numba's thread pool",
}


def private_attributes(root: Path) -> set[tuple[str, str]]:
    """``(module, "x._name")`` for every private attribute of another object read or written in
    package ``root`` (not ``self._name``, ``cls._name`` or dunders; the base as written, up to the
    private name)."""

    def private(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")

    def foreign(node) -> bool:  # a private attribute of something other than self / cls
        return private(node) and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))

    out = set()
    for path in sorted(root.rglob("*.py")):
        me = module_name(path, root)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            # the first foreign private step of a chain only: mod._blocks._cache is mod._blocks
            if foreign(node) and not any(foreign(n) for n in ast.walk(node.value)):
                out.add((me, ast.unparse(node)))
    return out


def test_private_attributes_are_touched_only_where_listed():
    found = private_attributes(ROOT)
    unlisted = sorted(found - set(PRIVATE_ATTRIBUTES))
    assert unlisted == [], f"private attributes of other objects: {unlisted}; use a public API or list it with a reason"
    assert set(PRIVATE_ATTRIBUTES) <= found, f"stale: {sorted(set(PRIVATE_ATTRIBUTES) - found)}"


# --------------------------------------------------------------------------- the checker itself


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
    for d in [root, *[p for p in root.rglob("*") if p.is_dir()]]:
        (d / "__init__.py").touch()
    return root


LOW_HIGH = {"low": set(), "high": {"low"}, "pkg": {"low", "high"}}


def test_checker_passes_a_clean_package(tmp_path):
    root = _package(
        tmp_path,
        {
            "low/a.py": "from pkg.low.b import helper\nfrom . import b\nX = 1\n",
            "low/b.py": "def helper():\n    return 1\n",
            "high/c.py": "from pkg.low import a\nfrom pkg.low.a import X\n",
        },
    )
    assert violations(root, LOW_HIGH) == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("from pkg.high.c import Y\n", "low imports pkg.high.c (high), which is not below it"),
        ("def f():\n    from pkg.high import c\n", "low imports pkg.high.c (high), which is not below it"),
        ("import pkg.high.c\n", "low imports pkg.high.c (high), which is not below it"),
        ("from ..high import c\n", "low imports pkg.high.c (high), which is not below it"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high.c import Y\n",
            "low imports pkg.high.c (high), which is not below it",
        ),
    ],
)
def test_checker_catches_an_upward_import(tmp_path, code, message):
    root = _package(tmp_path, {"low/a.py": code, "high/c.py": "Y = 2\n"})
    found = violations(root, LOW_HIGH)
    assert len(found) == 1 and found[0].endswith(message), found
    assert found[0].startswith("pkg/low/a.py:")


@pytest.mark.parametrize(
    "code", ["from pkg.low.a import _secret\n", "from pkg.low import _impl\n", "import pkg.low._impl\n"]
)
def test_checker_catches_a_private_import_across_units(tmp_path, code):
    root = _package(tmp_path, {"low/a.py": "_secret = 1\n", "low/_impl.py": "", "high/c.py": code})
    found = violations(root, LOW_HIGH)
    assert len(found) == 1 and "high imports the private pkg.low." in found[0], found


def test_checker_allows_a_private_import_inside_a_unit(tmp_path):
    root = _package(tmp_path, {"low/a.py": "_secret = 1\n", "low/b.py": "from pkg.low.a import _secret\n"})
    assert violations(root, LOW_HIGH) == []


def test_checker_reports_a_unit_missing_from_the_map(tmp_path):
    root = _package(tmp_path, {"stray/a.py": "from pkg.low import b\n", "low/b.py": ""})
    assert violations(root, LOW_HIGH) == ["pkg/stray/a.py:1: unit 'stray' is not in the layer map"]


def test_cycle_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle(LOW_HIGH) is None


def test_private_attribute_checker_catches_a_write_into_another_objects_state(tmp_path):
    root = _package(
        tmp_path,
        {
            "high/c.py": "def load(cm):\n    if cm._numba is None:\n        cm._numba = {}\n    return cm._numba._x\n",
            "low/a.py": "class A:\n    def __init__(self):\n        self._numba = None\n",
        },
    )
    assert private_attributes(root) == {("pkg.high.c", "cm._numba")}
