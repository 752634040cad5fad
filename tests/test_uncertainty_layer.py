"""The Monte Carlo driver sits below the plan (#19 item 1): nothing in jzsim/uncertainty imports
the plan, its sectors, its data or the analysis; the plan's defaults come from jzsim.experiments."""

from __future__ import annotations

import ast
from pathlib import Path

import jzsim

ABOVE = ("jzsim.plan", "jzsim.sectors", "jzsim.analysis", "jzsim.data", "jzsim.experiments", "jzsim.cli")


def imported_modules(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_uncertainty_imports_nothing_from_the_layers_above():
    root = Path(jzsim.__file__).parent / "uncertainty"
    found = {
        f"{p.name}: {m}"
        for p in sorted(root.glob("*.py"))
        for m in imported_modules(p)
        if m == "jzsim" or m.startswith(ABOVE)
    }
    assert not found, found


def test_the_public_monte_carlo_is_the_real_function():
    import inspect

    from jzsim.experiments import monte_carlo

    assert jzsim.monte_carlo is monte_carlo
    params = inspect.signature(jzsim.monte_carlo).parameters
    assert {"draws", "params", "uncertainty", "outcomes", "execution", "sampler"} <= set(params)
    assert not any(p.kind is p.VAR_KEYWORD and p.name != "settings" for p in params.values())
