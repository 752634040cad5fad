"""Export a jzsim model to XMILE (the OASIS system-dynamics interchange format).

The export is written from the *lowered* equations of the compiled model
(:attr:`jzsim.engine.CompiledModel.lowered`), in which every unit conversion is already a numeric
factor, so a tool that ignores units (PySD) computes the same numbers as jzsim. Each variable keeps
its declared units (``**`` written as XMILE's ``^``) and its description (``<doc>``).

Mapping
-------
- parameter -> ``<aux>`` whose equation is its nominal value (a constant: PySD's
  ``run(params=...)`` and Stella's sliders can change it);
- stock -> ``<stock>`` with its initial value as ``<eqn>`` and ``<inflow>``/``<outflow>`` from the
  flows' ``into=``/``out_of=``, and ``<non_negative/>`` if it is floored (``floor=True``). Where a flow's units differ from the stock's rate only by scale
  (``m**3/year`` into a ``yi_m3`` stock), a helper ``<flow>`` ``<flow>__to_<stock>`` (or
  ``__from_``) = flow * factor carries it, because XMILE stocks add their flows as they are;
- flow -> ``<flow>``, auxiliary -> ``<aux>``; internal stocks and flows of ``smooth1``/``delay3``
  are exported as the plain stocks and flows they are (no ``SMTH1``/``DELAY3``: same numbers);
- ``lookup(x, xs, ys)`` -> a helper ``<aux>`` ``<owner>__lookup<k>`` with ``<eqn>`` x and an inline
  ``<gf>`` (``<xpts>``/``<ypts>``, continuous: linear, held flat outside), referenced by name;
- ``where`` -> ``IF c THEN a ELSE b``; ``& | ~`` -> ``AND OR NOT``; ``**`` -> ``^``;
  ``minimum maximum exp log sqrt abs_`` -> ``MIN MAX EXP LN SQRT ABS``; time -> ``TIME``;
  ``sin cos tan arctan arcsin arccos floor`` -> ``SIN COS TAN ARCTAN ARCSIN ARCCOS INT``;
  ``modulo(a, b)`` -> ``a - b * INT(a / b)`` (PySD has no ``MOD``); ``eq ne`` -> ``= <>``;
  ``integer`` (towards zero) -> ``IF x >= 0 THEN INT(x) ELSE -INT(-x)``; ``dt`` is written as the
  number it was at build (a model using it keeps its dt);
- ``step``, ``ramp`` and ``pulse`` are written out with ``IF``/``MIN``/``MAX`` and ``TIME`` with
  jzsim's exact meaning, not as XMILE's STEP/RAMP/PULSE: XMILE ``PULSE(h, t0, interval)`` is a
  train of one-dt impulses of h/dt (not ``h`` for ``t0 <= t < t0 + width``), PySD's ``STEP``
  switches when ``TIME + DT/2 > t0`` (one step early for a ``t0`` between grid times) and its
  ``RAMP`` starts at ``TIME + 1e-6 > t0``;
- ``sim_specs``: start, stop, dt, ``method="Euler"`` or ``"RK4"``, ``time_units``. The save
  interval is not part of XMILE; :func:`pysd_runner` asks PySD for jzsim's save times (PySD, like
  jzsim, saves the state at t before stepping, and flows/auxes from that state);
- time: PySD's ``TIME`` adds dt at every step while jzsim computes ``start + k * dt``; the two
  differ by rounding when dt is not a power of two (start 2020, dt 0.1), enough to switch a step
  at a grid time one step late. Then (:func:`time_drifts`) equations read time from a helper aux
  ``jzsim_time`` = ``start + INT((TIME - start) / dt + 0.5) * dt``, jzsim's grid exactly (see
  ``grid_time`` of :func:`to_xmile`).

Names
-----
XMILE names are case-insensitive, so every jzsim name keeps its spelling unless it must change
(:func:`xmile_names`): a name that equals, case-insensitively, an XMILE/PySD reserved word
(``time``, ``dt``, ``min``, ``if``, ``time_step`` ...), a name starting with ``not`` (PySD's grammar
reads ``nothing`` as ``NOT hing``), or a name equal to an earlier one once lowercased and runs of
``_`` collapsed, becomes ``v_<name>`` (``v2_<name>``, ... if that is taken). PySD reports every
variable under its XMILE name (the DataFrame column) and accepts it in ``run(params=...)``:
:func:`pysd_name` / :func:`pysd_names` give it.

Numbers are written with ``repr`` (shortest text that reads back as the same float). PySD prints
graphical-function tables into its generated Python with numpy's default 8 fractional digits;
:func:`read_pysd` translates under full-precision print options so tables stay exact.
"""

from __future__ import annotations

import math
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jzsim.engine.expr import Const, Expr, Lookup, Op, Ref, Time

if TYPE_CHECKING:
    import pandas as pd

    from jzsim.engine.compiled import CompiledModel
    from jzsim.engine.model import Model

__all__ = [
    "to_xmile",
    "write_xmile",
    "xmile_names",
    "pysd_name",
    "pysd_names",
    "read_pysd",
    "pysd_runner",
    "time_drifts",
    "XMILE_NS",
]

XMILE_NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"

#: Words a variable may not be called in XMILE / PySD (compared lowercased): XMILE's constants,
#: keywords and builtins, and the control variables PySD derives from sim_specs (an aux called
#: ``time_step`` would be silently dropped by PySD).
RESERVED = frozenset(
    """
time dt starttime stoptime start_time stop_time initial_time final_time time_step saveper
if then else and or not mod pi inf nan e true false
abs arccos arcsin arctan cos cosh sin sinh tan tanh exp ln log log10 sqrt int min max sum mean
size stddev rank prod vmin vmax round sign step ramp pulse pulse_train delay delay1 delay3 delayn
delay_fixed smth1 smth3 smthn smooth smooth3 trend forcst safediv init previous self lookup
lookup_area lookup_inv normal uniform random poisson exprnd lognormal gamma beta binomial
logistic triangular weibull pareto negbinomial geometric if_then_else integer modulo zidz xidz
""".split()
)


# ------------------------------------------------------------------------------------ names
def _compiled(model) -> CompiledModel:
    build = getattr(model, "build", None)
    return build() if callable(build) else model


def _key(name: str) -> str:
    """Identity of a name in XMILE: case-insensitive, spaces = underscores (runs collapsed)."""
    return re.sub(r"[\s_]+", "_", name.lower())


def _bad(name: str) -> bool:
    low = name.lower()
    return low in RESERVED or _key(name) in RESERVED or low.startswith("not")


class _Names:
    """Allocates unique XMILE names (by :func:`_key`)."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, name: str) -> str:
        cand, i = name, 1
        while _bad(cand) or _key(cand) in self.used:
            i += 1
            cand = f"v_{name}" if i == 2 else f"v{i - 1}_{name}"
        self.used.add(_key(cand))
        return cand


def _allocate(cm: CompiledModel) -> tuple[dict[str, str], _Names]:
    alloc = _Names()
    names: dict[str, str] = {}
    order = list(cm.variables)
    # names that need no change first, so that a renamed variable never displaces one of them
    fine = [n for n in order if not _bad(n)]
    seen: set[str] = set()
    for n in fine:
        if _key(n) not in seen:
            seen.add(_key(n))
            names[n] = alloc.take(n)
    for n in order:
        if n not in names:
            names[n] = alloc.take(n)
    return names, alloc


def xmile_names(model: Model | CompiledModel) -> dict[str, str]:
    """jzsim variable name -> its name in the XMILE export (mostly the same; see module doc)."""
    return _allocate(_compiled(model))[0]


def pysd_names(model: Model | CompiledModel) -> dict[str, str]:
    """jzsim variable name -> PySD's name for it: the column of ``pysd_model.run()`` and the key
    ``run(params=...)`` accepts (PySD keeps XMILE names as its "real names")."""
    return xmile_names(model)


def pysd_name(name: str, model: Model | CompiledModel | None = None) -> str:
    """PySD's name (DataFrame column, ``params`` key) of jzsim variable ``name``.

    Without ``model`` the rule for a name that collides with no other: itself, or ``v_<name>``
    if it is reserved; pass ``model`` to resolve case/underscore collisions too.
    """
    if model is not None:
        return pysd_names(model)[name]
    return _Names().take(name)


# ------------------------------------------------------------------------------ expressions
_INFIX = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "pow": "^",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "and": "AND",
    "or": "OR",
    "eq": "=",
    "ne": "<>",
}
_FUNC = {
    "min": "MIN",
    "max": "MAX",
    "exp": "EXP",
    "log": "LN",
    "sqrt": "SQRT",
    "abs": "ABS",
    "sin": "SIN",
    "cos": "COS",
    "tan": "TAN",
    "arctan": "ARCTAN",
    "arcsin": "ARCSIN",
    "arccos": "ARCCOS",
    "floor": "INT",
}


def _num(v: float) -> str:
    v = float(v)
    if not math.isfinite(v):
        raise ValueError(f"cannot write the non-finite number {v!r} to XMILE")
    s = repr(v)
    return f"({s})" if s.startswith("-") else s


class _Writer:
    """Writes lowered expressions as XMILE equation text, fully parenthesised (PySD's grammar
    reads ``-a^b`` as ``(-a)^b`` and chains ``^`` left to right; parentheses keep jzsim's tree)."""

    def __init__(self, names: dict[str, str], alloc: _Names, time: str = "TIME"):
        self.names = names
        self.alloc = alloc
        self.time = time
        self.helpers: list[tuple[str, str, Lookup, str]] = []  # (name, input eqn, node, owner)
        self.owner = ""
        self._k = 0

    def eqn(self, e: Expr, owner: str) -> str:
        self.owner, self._k = owner, 0
        return self.w(e)

    def w(self, e: Expr) -> str:
        if isinstance(e, Const):
            return _num(e.value)
        if isinstance(e, Ref):
            return self.names[e.name]
        if isinstance(e, Time):
            return self.time
        if isinstance(e, Lookup):
            owner = self.owner
            x = self.w(e.x)  # nested lookups get their helpers first
            self._k += 1
            name = self.alloc.take(f"{owner}__lookup{self._k}")
            self.helpers.append((name, x, e, owner))
            return name
        assert isinstance(e, Op), e
        op, a = e.op, e.args
        if op in _INFIX:
            return f"({self.w(a[0])} {_INFIX[op]} {self.w(a[1])})"
        if op == "neg":
            return f"(-{self.w(a[0])})"
        if op == "not":
            return f"(NOT {self.w(a[0])})"
        if op in _FUNC:
            return f"{_FUNC[op]}({', '.join(self.w(x) for x in a)})"
        if op == "where":
            return f"(IF {self.w(a[0])} THEN {self.w(a[1])} ELSE {self.w(a[2])})"
        if op == "mod":  # a - b * INT(a / b): XMILE's MOD, written out (PySD does not implement MOD)
            x, y = self.w(a[0]), self.w(a[1])
            return f"({x} - ({y} * INT(({x} / {y}))))"
        if op == "integer":  # towards zero (Vensim INTEGER); XMILE's INT is the floor
            x = self.w(a[0])
            return f"(IF ({x} >= 0) THEN INT({x}) ELSE (-INT((-{x}))))"
        if op == "step":  # height from t0 on: TIME >= t0 exactly as jzsim (not PySD's STEP)
            h, t0 = self.w(a[0]), self.w(a[1])
            return f"(IF ({self.time} >= {t0}) THEN {h} ELSE 0.0)"
        if op == "pulse":  # height for t0 <= TIME < t0 + width (not XMILE PULSE)
            h, t0, wd = self.w(a[0]), self.w(a[1]), self.w(a[2])
            tt = self.time
            return f"(IF (({tt} >= {t0}) AND ({tt} < ({t0} + {wd}))) THEN {h} ELSE 0.0)"
        if op == "ramp":  # slope * (min(max(t, t0), t1) - t0), as jzsim's kernels
            s, t0, t1 = self.w(a[0]), self.w(a[1]), self.w(a[2])
            return f"({s} * (MIN(MAX({self.time}, {t0}), {t1}) - {t0}))"
        raise ValueError(f"operation {op!r} has no XMILE export")  # pragma: no cover


# ---------------------------------------------------------------------------------- writing
def _units(u: str | None) -> str:
    return "" if u is None else str(u).replace("**", "^")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        el.text = text
    return el


def _meta(el: ET.Element, units: str | None, doc: str | None) -> None:
    if units:
        _sub(el, "units", _units(units))
    if doc:
        _sub(el, "doc", doc)


def time_drifts(start: float, stop: float, dt: float) -> bool:
    """Whether a clock that adds ``dt`` at every step (PySD's ``TIME``) leaves jzsim's grid
    ``start + k * dt`` between ``start`` and ``stop`` (e.g. start 2020, dt 0.1; never for a dt of
    a power of two such as 0.25)."""
    n = round((stop - start) / dt)
    t = start
    for k in range(1, n + 1):
        t = t + dt
        if t != start + k * dt:
            return True
    return False


def to_xmile(model: Model | CompiledModel, *, grid_time: bool | None = None) -> str:
    """The model as an XMILE 1.0 document (a string; see the module doc for the mapping).

    Parameters
    ----------
    model : Model or CompiledModel
    grid_time : bool, optional
        Read time in equations from a helper aux ``jzsim_time`` =
        ``start + INT((TIME - start) / dt + 0.5) * dt`` (with this model's start and dt as numbers):
        jzsim's time grid exactly, where PySD's ``TIME`` (which adds dt at every step) drifts by
        rounding and would switch a ``step`` at a grid time one step late. Default: only when
        the clock drifts (:func:`time_drifts`); with a dt such as 0.25 equations use ``TIME``.
        Keep it off to change DT in another tool (Stella) after the export.
    """
    from jzsim.engine.units import conversion_factor, parse_units
    from jzsim.version import __version__

    cm = _compiled(model)
    names, alloc = _allocate(cm)
    st = cm.settings
    if grid_time is None:
        grid_time = time_drifts(st["start"], st["stop"], st["dt"])
    clock = alloc.take("jzsim_time") if grid_time else None
    wr = _Writer(names, alloc, clock or "TIME")
    method = {"euler": "Euler", "rk4": "RK4"}[st["method"]]

    root = ET.Element("xmile", {"version": "1.0", "xmlns": XMILE_NS})
    header = _sub(root, "header")
    _sub(header, "vendor", "jzsim")
    _sub(header, "product", "jzsim", version=__version__, lang="en")
    _sub(header, "name", cm.name)
    specs = _sub(root, "sim_specs", method=method, time_units=_units(cm.time_units))
    _sub(specs, "start", repr(float(st["start"])))
    _sub(specs, "stop", repr(float(st["stop"])))
    _sub(specs, "dt", repr(float(st["dt"])))
    mdl = _sub(root, "model")
    variables = _sub(mdl, "variables")

    checked = getattr(cm, "check_units", True)
    tu = parse_units(cm.time_units) if checked else None
    inflows: dict[str, list[str]] = {s.name: [] for s in cm.stocks}
    outflows: dict[str, list[str]] = {s.name: [] for s in cm.stocks}
    scaled: list[tuple[str, str, float, str]] = []  # (helper name, flow, factor, stock)
    for v in cm.variables.values():
        if v.kind != "flow":
            continue
        for stock, lists, word in ((v.into, inflows, "to"), (v.out_of, outflows, "from")):
            if stock is None:
                continue
            f = conversion_factor(parse_units(v.units), parse_units(cm.variables[stock].units) / tu) if checked else 1.0
            if f == 1.0:
                lists[stock].append(names[v.name])
            else:
                h = alloc.take(f"{v.name}__{word}_{stock}")
                scaled.append((h, v.name, f, stock))
                lists[stock].append(h)

    for s in cm.stocks:
        el = _sub(variables, "stock", name=names[s.name])
        _sub(el, "eqn", wr.eqn(cm.initial[s.name], s.name))
        for f in inflows[s.name]:
            _sub(el, "inflow", f)
        for f in outflows[s.name]:
            _sub(el, "outflow", f)
        if s.floor:
            _sub(el, "non_negative")
        _meta(el, s.units, s.description)
    for v in cm.computed:
        el = _sub(variables, "flow" if v.kind == "flow" else "aux", name=names[v.name])
        _sub(el, "eqn", wr.eqn(cm.lowered[v.name], v.name))
        _meta(el, v.units, v.description)
    for h, flow, f, stock in scaled:
        el = _sub(variables, "flow", name=h)
        _sub(el, "eqn", f"({names[flow]} * {_num(f)})")
        _meta(
            el,
            f"({cm.variables[stock].units})/({cm.time_units})",
            f"{flow} converted to the units of stock {stock} (factor {f!r})",
        )
    if clock is not None:
        t0, dt = _num(st["start"]), _num(st["dt"])
        el = _sub(variables, "aux", name=clock)
        _sub(el, "eqn", f"({t0} + (INT((((TIME - {t0}) / {dt}) + 0.5)) * {dt}))")
        _meta(
            el,
            cm.time_units,
            "simulation time on jzsim's grid start + k * dt (TIME drifts by rounding when dt is not a power of two)",
        )
    for p in cm.params:
        el = _sub(variables, "aux", name=names[p.name])
        _sub(el, "eqn", _num(p.value))
        _meta(el, p.units, p.description)
    for h, x, node, owner in wr.helpers:
        el = _sub(variables, "aux", name=h)
        _sub(el, "eqn", x)
        gf = _sub(el, "gf", type="continuous")
        _sub(gf, "yscale", min=repr(float(min(node.ys))), max=repr(float(max(node.ys))))
        _sub(gf, "xpts", ",".join(repr(float(x)) for x in node.xs))
        _sub(gf, "ypts", ",".join(repr(float(y)) for y in node.ys))
        _meta(el, node.units, f"table of {owner}: linear interpolation, held flat outside")

    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_xmile(model: Model | CompiledModel, path: str | Path, *, grid_time: bool | None = None) -> Path:
    """Write :func:`to_xmile` of ``model`` to ``path`` (UTF-8; give it a ``.xmile``, ``.xml`` or
    ``.stmx`` suffix for PySD) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_xmile(model, grid_time=grid_time), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------- PySD
def read_pysd(path: str | Path, **kwargs: Any):
    """``pysd.read_xmile(path)``, translated with full-precision numpy print options.

    PySD writes graphical-function tables into the generated Python with
    ``numpy.array2string`` (default: 8 fractional digits); under ``floatmode="unique"`` every
    table value is written as the shortest text that reads back exactly.
    """
    import numpy as np
    import pysd

    with np.printoptions(floatmode="unique", threshold=1 << 30):
        return pysd.read_xmile(str(path), **kwargs)


def pysd_runner(
    model: Model | CompiledModel,
    path: str | Path | None = None,
    *,
    return_columns: list[str] | None = None,
    jzsim_names: bool = True,
) -> Callable[[Mapping[str, Any] | None], pd.DataFrame]:
    """Export ``model``, load it in PySD and return ``run(params) -> pandas.DataFrame``.

    ``run`` calls ``pysd_model.run(params=..., return_timestamps=<jzsim's save times>,
    return_columns=...)`` as PySD's users do. ``params`` maps jzsim parameter names to numbers
    (in the parameter's units; a pint Quantity is converted). Parameters overridden in an earlier
    call are reset to their nominal values (PySD keeps ``set_components`` between runs).

    Parameters
    ----------
    model : Model or CompiledModel
    path : path, optional
        Where to write the XMILE file (PySD writes its ``.py`` next to it); default a new
        temporary directory.
    return_columns : list of str, optional
        jzsim names to return; default every stock, flow and auxiliary.
    jzsim_names : bool, default True
        Rename the DataFrame's columns from PySD's names to jzsim's.
    """
    import pint

    from jzsim.engine.units import parse_units

    cm = _compiled(model)
    names = xmile_names(cm)
    if path is None:
        safe = re.sub(r"\W+", "_", cm.name) or "model"
        path = Path(tempfile.mkdtemp(prefix="jzsim_xmile_")) / f"{safe}.xmile"
    write_xmile(cm, path)
    pm = read_pysd(path)
    times = [float(t) for t in cm.settings_for({}).save_times]
    wanted = cm.output_names if return_columns is None else list(return_columns)
    for n in wanted:
        if n not in names:
            raise KeyError(f"{n!r} is not a variable of model {cm.name!r}")
    columns = [names[n] for n in wanted]
    back = {names[n]: n for n in wanted}
    params = {p.name: p for p in cm.params}
    params_by_x = {names[n]: p for n, p in params.items()}
    touched: set[str] = set()  # PySD names of parameters set by an earlier call

    def run(overrides: Mapping[str, Any] | None = None) -> pd.DataFrame:
        given: dict[str, float] = {}
        for k, v in (overrides or {}).items():
            if k not in params:
                raise KeyError(f"unknown parameter {k!r} in model {cm.name!r}")
            if isinstance(v, pint.Quantity):
                v = v.to(parse_units(params[k].units)).magnitude
            given[names[k]] = float(v)
        for k in touched:
            given.setdefault(k, float(params_by_x[k].value))
        touched.update(given)
        df = pm.run(params=given, return_timestamps=times, return_columns=columns)
        return df.rename(columns=back) if jzsim_names else df

    run.pysd_model = pm  # type: ignore[attr-defined]
    run.path = Path(path)  # type: ignore[attr-defined]
    run.names = dict(names)  # type: ignore[attr-defined]
    return run
