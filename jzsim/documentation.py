"""Model documentation generated from the model's own declaration, so it never drifts.

``describe()`` gives Markdown: per sector its docstring, then every stock, flow, auxiliary and
parameter with equation, units and source. ``diagram()`` gives the stock-and-flow structure as a
Mermaid flowchart (renders on GitHub and in Jupyter via Markdown).
"""

from __future__ import annotations

import inspect

from jzsim.engine import Model
from jzsim.engine.expr import Const, refs
from jzsim.engine.printing import to_text

__all__ = ["describe", "diagram"]


def _fmt(v) -> str:
    return "" if v is None else f"{v:g}"


def describe(model: Model | None = None) -> str:
    """Markdown documentation of ``model`` (default: the plan model)."""
    if model is None:
        from jzsim.plan import plan_model

        model = plan_model()
    cm = model.build()
    lines = [
        f"# Model `{model.name}`",
        "",
        f"Time in {model.time_units}, {cm.settings['start']:g} to {cm.settings['stop']:g}, "
        f"dt = {cm.settings['dt']:g}, method {cm.settings['method']}.",
        "",
    ]
    sectors = list(model.sectors.items()) or [("", None)]
    for sname, sector in sectors:
        if sector is not None:
            lines += [f"## Sector `{sname}`", "", inspect.cleandoc(type(sector).__doc__ or ""), ""]
            if sector.inputs:
                lines += ["Inputs from other sectors: " + ", ".join(f"`{i}`" for i in sector.inputs), ""]
        vars_ = [v for v in cm.variables.values() if v.sector == sname and v.kind != "param" and not v.internal]
        if vars_:
            lines += ["| name | kind | equation | units | description |", "|---|---|---|---|---|"]
            for v in vars_:
                if v.kind == "stock":
                    flows = [f"+{f.name}" for f in cm.variables.values() if f.into == v.name]
                    flows += [f"-{f.name}" for f in cm.variables.values() if f.out_of == v.name]
                    init = f"{v.initial.value:g}" if isinstance(v.initial, Const) else to_text(v.initial)
                    eq = f"d/dt = {' '.join(flows) or '0'}; initial {init}"
                else:
                    eq = to_text(v.expr)
                lines.append(f"| `{v.name}` | {v.kind} | `{eq}` | {v.units} | {v.description} |")
            lines.append("")
    params = [v for v in cm.variables.values() if v.kind == "param"]
    if params:
        lines += [
            "## Parameters",
            "",
            "| name | value | units | range | distribution | source |",
            "|---|---|---|---|---|---|",
        ]
        for v in params:
            dist = v.parameter.distribution if v.parameter is not None else "fixed"
            lines.append(
                f"| `{v.name}` | {_fmt(v.value)} | {v.units} | [{_fmt(v.low)}, {_fmt(v.high)}] | {dist} | {v.source} |"
            )
        lines.append("")
    lines += ["## Stock-and-flow diagram", "", "```mermaid", diagram(model), "```", ""]
    return "\n".join(lines)


def diagram(model: Model | None = None) -> str:
    """Mermaid flowchart: stocks as boxes, flows as thick arrows between them (or clouds), and
    information links from stocks to the flows they drive."""
    if model is None:
        from jzsim.plan import plan_model

        model = plan_model()
    cm = model.build()
    out = ["flowchart LR"]
    for s in cm.stocks:
        if not s.internal:
            out.append(f"    {s.name}[{s.name}]")
    for f in (v for v in cm.variables.values() if v.kind == "flow" and not v.internal):
        src = f.out_of or f"cloud_in_{f.name}(( ))"
        dst = f.into or f"cloud_out_{f.name}(( ))"
        out.append(f"    {src} ==>|{f.name}| {dst}")
        stocks = _stock_inputs(cm, f.name)
        for s in sorted(stocks - {f.out_of, f.into}):
            out.append(f"    {s} -.-> {dst}")
    return "\n".join(out)


def _stock_inputs(cm, name: str) -> set[str]:
    seen, stack, found = set(), [name], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        v = cm.variables[n]
        if v.kind == "stock":
            found.add(n)
        elif v.kind in ("aux", "flow"):
            stack.extend(refs(v.expr))
    return found
