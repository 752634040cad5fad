"""Import XMILE models (Stella, Vensim via xmutil, sdCloud, jzsim's own export) as jzsim models.

:func:`read_xmile` turns an XMILE 1.0 file into a :class:`jzsim.engine.Model`, so that its users
get jzsim's vectorized Monte Carlo, summaries and scenarios:
``jzsim.monte_carlo(model=read_xmile("teacup.xmile"), backend="numba")``.

Mapping
-------
- ``<stock>`` -> ``m.stock`` with its ``<inflow>``/``<outflow>`` flows; ``<non_negative/>`` (or the
  ``<behavior>`` default) -> ``floor=True`` (net rate floored so the stock stays >= 0, as Stella,
  PySD and the SDXorg suite). A flow listed by two stocks (outflow of one, inflow of the other) is
  one jzsim flow ``out_of=``/``into=``; a flow listed as outflow (or inflow) of several stocks gets
  a helper flow per extra stock (``<flow>__to_<stock>``, ``<flow>__from_<stock>``).
- ``<flow>`` -> ``m.flow``; ``<non_negative/>`` on a flow (a uniflow) -> ``maximum(eqn, 0)``.
- ``<aux>`` whose equation is a plain number -> ``m.param`` (so a Monte Carlo can draw it),
  other ``<aux>`` -> ``m.aux``.
- graphical functions (``<gf>`` inside a variable: the variable is the table read at its
  equation; standalone ``<gf name=...>``: called as ``name(x)`` or ``LOOKUP(name, x)``):
  ``xpts`` or an ``xscale`` with evenly spaced points, ``ypts``, ``sep``; type ``continuous``
  (linear, held flat outside) and ``extrapolate`` (the end segments continued); ``discrete`` is
  refused.
- builtins: ``+ - * / ^``, ``MOD`` (operator or function), comparisons ``= <> < <= > >=``,
  ``AND OR NOT``, ``IF THEN ELSE``; ``ABS EXP LN LOG10 SQRT SIN COS TAN ARCSIN ARCCOS ARCTAN INT
  MIN MAX PI TIME DT STARTTIME STOPTIME``; ``STEP RAMP PULSE`` (XMILE meanings: a ``PULSE`` is a
  volume ``h`` spread over one ``dt``, repeated every ``interval``); ``SMTH1 SMTH3 SMTHN``,
  ``DELAY1 DELAY3 DELAYN``, ``TREND``, ``FORCST``, ``INIT``, ``SAFEDIV``; ``DELAY`` (a pipeline:
  the input as it was a constant ``delay`` ago) as a chain of ``delay / dt`` one-step stages,
  exact with Euler steps.
- ``sim_specs``: start, stop, dt (``reciprocal="true"`` read as 1/dt), method Euler or RK4,
  time units. Results are saved every dt (``save_every`` of :meth:`Model.run` changes it).

Units: XMILE tools treat units as labels (values are never converted), and so does the import:
the model is declared with ``check_units=False``, each variable keeping its ``<units>`` text as
its units (reported in results' attrs; ``^`` as ``**``), the time units those of the
``sim_specs``. Nothing is checked or converted, so a file whose units are inconsistent or unknown
to pint (``widgets``, ``Dmnl``) runs exactly as in Stella or PySD.

Names: XMILE names are case-insensitive and treat spaces and underscores alike; each becomes a
Python identifier (``"Stock 1"`` -> ``Stock_1``), the original kept in ``extra["xmile_name"]``.
:func:`xmile_key` gives the identity of a name (lowercase, runs of spaces/underscores one ``_``).

Not supported (one clear error naming the construct): arrays (dimensions, subscripts), modules,
macros, ``DELAY`` by a time that is not a constant whole number of steps, discrete graphical
functions, random functions.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from jzsim.engine import functions as F
from jzsim.engine.expr import Const, Expr, Op, Ref, as_expr
from jzsim.engine.model import Model, ModelError

__all__ = ["read_xmile", "XmileError", "xmile_key"]

#: the longest XMILE DELAY imported, in steps (one internal stock per step)
MAX_PIPELINE = 1000


class XmileError(ValueError):
    """An XMILE file that cannot be imported: malformed, or using an unsupported construct."""


def xmile_key(name: str) -> str:
    """Identity of an XMILE name: case-insensitive, quotes dropped, spaces and underscores alike
    (runs collapsed), ``\\n`` as a space."""
    name = name.replace("\\n", " ").strip().strip('"')
    return re.sub(r"[\s_]+", "_", name.lower()).strip("_")


def _identifier(name: str) -> str:
    s = re.sub(r"\W+", "_", name.replace("\\n", " ").strip().strip('"')).strip("_")
    if not s or s[0].isdigit():
        s = "v_" + s
    return s


# ------------------------------------------------------------------------------ expressions
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<qname>"(?:[^"\\]|\\.)*")
    | (?P<op><=|>=|<>|[-+*/^(),<>=\[\]])
    | (?P<name>[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff$.']*(?:[ \t]+[A-Za-z_\u00c0-\uffff][\w\u00c0-\uffff$.']*)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"if", "then", "else", "and", "or", "not", "mod"}


def _tokens(text: str, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.replace("\r", " ").replace("\n", " ")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise XmileError(f"{where}: cannot read the equation {text!r} at {text[pos : pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "name":  # a run of words: split off keywords (IF x THEN ...) from names with spaces
            words = val.split()
            buf: list[str] = []
            for w in words:
                if w.lower() in _KEYWORDS:
                    if buf:
                        out.append(("name", " ".join(buf)))
                        buf = []
                    out.append(("kw", w.lower()))
                else:
                    buf.append(w)
            if buf:
                out.append(("name", " ".join(buf)))
        elif kind == "qname":
            out.append(("name", val[1:-1]))
        else:
            out.append((kind, val))
    out.append(("end", ""))
    return out


class _Parser:
    """Precedence climbing over XMILE's expression grammar; builds jzsim expressions through the
    importer's ``call`` (builtins) and ``ref`` (names) callbacks."""

    def __init__(self, text: str, where: str, imp: _Importer):
        self.toks = _tokens(text, where)
        self.i = 0
        self.where = where
        self.imp = imp
        self.text = text

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, val=None):
        t = self.toks[self.i]
        if (kind and t[0] != kind) or (val is not None and t[1].lower() != val):
            want = val or kind
            raise XmileError(f"{self.where}: expected {want!r} in {self.text!r}, found {t[1] or 'the end'!r}")
        self.i += 1
        return t

    def parse(self) -> Expr:
        e = self.expr()
        if self.peek()[0] != "end":
            raise XmileError(f"{self.where}: unexpected {self.peek()[1]!r} in {self.text!r}")
        return e

    def expr(self) -> Expr:
        if self.peek() == ("kw", "if"):
            self.take()
            c = self.expr()
            self.take("kw", "then")
            a = self.expr()
            self.take("kw", "else")
            b = self.expr()
            return F.where(_cond(c), _num(a), _num(b))
        return self.or_()

    def or_(self):
        e = self.and_()
        while self.peek() == ("kw", "or"):
            self.take()
            e = Op("or", (_cond(e), _cond(self.and_())))
        return e

    def and_(self):
        e = self.not_()
        while self.peek() == ("kw", "and"):
            self.take()
            e = Op("and", (_cond(e), _cond(self.not_())))
        return e

    def not_(self):
        if self.peek() == ("kw", "not"):
            self.take()
            return Op("not", (_cond(self.not_()),))
        return self.equality()

    def equality(self):
        e = self.comparison()
        while self.peek() in (("op", "="), ("op", "<>")):
            op = self.take()[1]
            b = self.comparison()
            e = F.eq(_num(e), _num(b)) if op == "=" else F.ne(_num(e), _num(b))
        return e

    def comparison(self):
        e = self.additive()
        ops = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
        while self.peek()[0] == "op" and self.peek()[1] in ops:
            op = ops[self.take()[1]]
            e = Op(op, (_num(e), _num(self.additive())))
        return e

    def additive(self):
        e = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            e, b = _num(e), _num(self.term())
            e = e + b if op == "+" else e - b
        return e

    def term(self):
        e = self.unary()
        while self.peek() in (("op", "*"), ("op", "/"), ("kw", "mod")):
            op = self.take()[1]
            e, b = _num(e), _num(self.unary())
            e = e * b if op == "*" else e / b if op == "/" else self.imp.call("MOD", [e, b], self.where)
        return e

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return -_num(self.unary())
        if self.peek() == ("op", "+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            return _num(base) ** _num(self.unary())  # right-associative; -a^b is -(a^b)
        return base

    def atom(self):
        kind, val = self.peek()
        if kind == "num":
            self.take()
            return as_expr(float(val))
        if (kind, val) == ("op", "("):
            self.take()
            e = self.expr()
            self.take("op", ")")
            return e
        if kind == "name":
            self.take()
            if self.peek() == ("op", "["):
                raise XmileError(f"{self.where}: arrays (subscript {val}[...]) are not supported")
            if self.peek() == ("op", "("):
                self.take()
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.expr())
                    while self.peek() == ("op", ","):
                        self.take()
                        args.append(self.expr())
                self.take("op", ")")
                return self.imp.call(val, [_num(a) for a in args], self.where)
            return self.imp.ref(val, self.where)
        raise XmileError(f"{self.where}: unexpected {val or 'end'!r} in {self.text!r}")


def _is_cond(e: Expr) -> bool:
    return isinstance(e, Op) and e.op in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not")


def _num(e: Expr) -> Expr:
    """A condition used as a quantity (XMILE: true is 1, false is 0)."""
    return F.where(e, 1, 0) if _is_cond(e) else e


def _cond(e: Expr) -> Expr:
    """A quantity used as a condition (XMILE: non-zero is true)."""
    return e if _is_cond(e) else F.ne(e, 0)


# ----------------------------------------------------------------------------- the importer
@dataclass
class _Var:
    name: str  # jzsim identifier
    xname: str  # name in the file
    kind: str  # stock, flow, aux, gf
    eqn: str = ""
    units: str = ""
    doc: str = ""
    inflows: list[str] = field(default_factory=list)
    outflows: list[str] = field(default_factory=list)
    non_negative: bool = False
    gf: tuple[np.ndarray, np.ndarray] | None = None


class _Importer:
    def __init__(self, root: ET.Element, path: str, parameters=None):
        self.root = root
        self.path = path
        self.parameters = {xmile_key(k): p for k, p in (parameters or {}).items()}
        self.vars: dict[str, _Var] = {}  # key -> var
        self.names: set[str] = set()
        self.m: Model | None = None
        self.n_hidden = 0
        self.owner = ""

    # ------------------------------------------------------------------ reading the file
    def read(self) -> None:
        r = self.root
        if _find(r, "model") is None:
            raise XmileError(f"{self.path}: no <model> element; is this an XMILE file?")
        if _find(r, "dimensions") is not None and len(_find(r, "dimensions")):
            raise XmileError(f"{self.path}: arrays (<dimensions>) are not supported")
        if _find(r, "macro") is not None:
            raise XmileError(f"{self.path}: macros (<macro>) are not supported")
        models = [c for c in r if _tag(c) == "model"]
        if len(models) > 1:
            raise XmileError(f"{self.path}: {len(models)} <model> elements (modules) are not supported; allowed: one")
        beh = _find(r, "behavior")
        every = _find(beh, "non_negative") is not None  # <behavior><non_negative/>: stocks and flows
        self.default_stock_nn = every or _find(_find(beh, "stock"), "non_negative") is not None
        self.default_flow_nn = every or _find(_find(beh, "flow"), "non_negative") is not None
        vendor = " ".join(
            x.text or ""
            for x in (_find(_find(r, "header"), "vendor"), _find(_find(r, "header"), "product"))
            if x is not None
        )
        #: Vensim's INTEGER truncates towards zero, and xmutil writes it as INT; Stella's INT is the floor
        self.int_truncates = bool(re.search(r"vensim|ventana|xmutil", vendor, re.IGNORECASE))
        variables = _find(models[0], "variables")
        for el in variables if variables is not None else []:
            tag = _tag(el)
            if tag in ("module", "group"):
                if tag == "module":
                    raise XmileError(f"{self.path}: modules (<module>) are not supported")
                continue
            if tag not in ("stock", "flow", "aux", "gf"):
                continue
            xname = el.get("name")
            if not xname:
                raise XmileError(f"{self.path}: a <{tag}> without a name")
            if _find(el, "dimensions") is not None:
                raise XmileError(f"{self.path}: {tag} {xname!r} is an array; arrays are not supported")
            key = xmile_key(xname)
            if key in self.vars:
                raise XmileError(f"{self.path}: the name {xname!r} is declared twice")
            name = _identifier(xname)
            while name in self.names or name.lower() in ("time", "dt"):
                name += "_"
            self.names.add(name)
            v = _Var(name, xname, tag)
            v.eqn = (_text(el, "eqn") or "").strip()
            v.units = (_text(el, "units") or "").strip()
            v.doc = (_text(el, "doc") or "").strip()
            v.inflows = [xmile_key(x.text or "") for x in el if _tag(x) == "inflow"]
            v.outflows = [xmile_key(x.text or "") for x in el if _tag(x) == "outflow"]
            nn = _find(el, "non_negative")
            default = self.default_stock_nn if tag == "stock" else self.default_flow_nn if tag == "flow" else False
            v.non_negative = default if nn is None else (nn.text or "true").strip().lower() != "false"
            gf = el if tag == "gf" else _find(el, "gf")
            if gf is not None:
                v.gf = self._table(gf, xname)
            if tag != "gf" and not v.eqn:
                raise XmileError(f"{self.path}: {tag} {xname!r} has no <eqn>")
            self.vars[key] = v

    def _table(self, gf: ET.Element, xname: str) -> tuple[np.ndarray, np.ndarray]:
        kind = gf.get("type", "continuous").lower()
        if kind == "discrete":
            raise XmileError(f"{self.path}: graphical function {xname!r} is discrete; allowed: continuous, extrapolate")
        yp = _find(gf, "ypts")
        if yp is None:
            raise XmileError(f"{self.path}: graphical function {xname!r} has no <ypts>")
        ys = _numbers(yp.text or "", yp.get("sep", ","), xname)
        xp = _find(gf, "xpts")
        if xp is not None:
            xs = _numbers(xp.text or "", xp.get("sep", ","), xname)
        else:
            sc = _find(gf, "xscale")
            if sc is None:
                raise XmileError(f"{self.path}: graphical function {xname!r} has neither <xpts> nor <xscale>")
            xs = np.linspace(float(sc.get("min")), float(sc.get("max")), len(ys))
        if xs.shape != ys.shape or xs.size < 2:
            raise XmileError(
                f"{self.path}: graphical function {xname!r} has {xs.size} x and {ys.size} y points; allowed: "
                "as many of each, at least 2"
            )
        if kind == "extrapolate":  # the end segments continued far out: linear extrapolation
            span = max(1.0, float(xs[-1] - xs[0])) * 1e6
            lo = ys[0] - (ys[1] - ys[0]) / (xs[1] - xs[0]) * span
            hi = ys[-1] + (ys[-1] - ys[-2]) / (xs[-1] - xs[-2]) * span
            xs = np.concatenate([[xs[0] - span], xs, [xs[-1] + span]])
            ys = np.concatenate([[lo], ys, [hi]])
        keep = np.concatenate([[True], np.diff(xs) > 0])  # Stella allows repeated x: keep the first
        return xs[keep], ys[keep]

    # ------------------------------------------------------------------ building
    def build(self) -> Model:
        r = self.root
        specs = _find(r, "sim_specs")
        if specs is None:
            raise XmileError(f"{self.path}: no <sim_specs>")
        start = _float(_text(specs, "start"), "sim_specs start", 0.0)
        stop = _float(_text(specs, "stop"), "sim_specs stop", None)
        dt_el = _find(specs, "dt")
        dt = _float(dt_el.text if dt_el is not None else None, "sim_specs dt", 1.0)
        if dt_el is not None and (dt_el.get("reciprocal", "false").lower() == "true"):
            dt = 1.0 / dt
        method = specs.get("method", "Euler").strip().lower()
        if method not in ("euler", "rk4"):
            warnings.warn(f"{self.path}: integration method {method!r} is run as Euler", UserWarning, stacklevel=3)
            method = "euler"
        tu = (specs.get("time_units", "") or "").strip()
        name = (_text(_find(r, "header"), "name") or Path(self.path).stem).strip() or "model"
        self.units = False  # units are labels (check_units=False): numbers are never converted
        self.m = m = Model(
            name,
            time_units=tu or "1",
            start=start,
            stop=stop,
            dt=dt,
            save_every=dt,
            method=method,
            check_units=False,
        )
        self.start, self.stop, self.dt = start, stop, dt
        self.tu = tu or "1"
        for v in self.vars.values():
            for s in v.inflows + v.outflows:
                if s not in self.vars or self.vars[s].kind not in ("flow", "aux"):
                    raise XmileError(f"{self.path}: stock {v.xname!r} lists {s!r}, which is not a flow of the model")
                self.vars[s].kind = "flow"  # an aux a stock lists as its flow (Stella accepts it) is a flow
        for v in self.vars.values():
            if v.kind == "gf":
                continue
            self.owner = v.xname
            where = f"{v.kind} {v.xname!r}"
            u = self._u(v)
            eqn = _num(self.parse(v.eqn, where))
            if v.gf is not None:
                eqn = F.lookup(eqn, v.gf[0], v.gf[1])
            if v.kind == "stock":
                m.stock(v.name, eqn, u, description=v.doc, floor=v.non_negative)
            elif v.kind == "aux" and isinstance(eqn, Const) and v.gf is None:
                p = self.parameters.pop(xmile_key(v.xname), None)
                if p is None:
                    m.param(v.name, eqn.value, u, description=v.doc)
                else:  # a parameter with a distribution, for jzsim.monte_carlo
                    m.add_parameter(dataclasses.replace(p, name=v.name))
            elif v.kind == "aux":
                m.aux(v.name, eqn, u, description=v.doc)
            else:
                if v.non_negative:
                    eqn = F.maximum(eqn, 0)
                self._flow(v, eqn, u)
            x = m.variables[v.name].extra  # the declared Variable's metadata dict
            x["xmile_name"], x["xmile_units"] = v.xname, v.units
        if self.parameters:
            declared = m.variables
            known = sorted(
                v.xname for v in self.vars.values() if v.name in declared and declared[v.name].kind == "param"
            )
            raise XmileError(
                f"{self.path}: parameters= names {sorted(self.parameters)}, which are not constants of the model; "
                f"allowed: {known}"
            )
        return m

    def _u(self, v: _Var) -> str:
        return v.units.replace("^", "**") if v.units else "1"

    def _flow(self, v: _Var, eqn: Expr, u: str) -> None:
        key = xmile_key(v.xname)
        into = [s for s, x in self.vars.items() if x.kind == "stock" and key in x.inflows]
        out = [s for s, x in self.vars.items() if x.kind == "stock" and key in x.outflows]
        if not into and not out:
            self.m.aux(v.name, eqn, u, description=v.doc)
            return
        first_in = self.vars[into[0]].name if into else None
        first_out = self.vars[out[0]].name if out else None
        self.m.flow(v.name, eqn, u, into=first_in, out_of=first_out, description=v.doc)
        for s in into[1:]:
            self.m.flow(f"{v.name}__to_{self.vars[s].name}", Ref(v.name), u, into=self.vars[s].name)
            self.m.mark_internal(f"{v.name}__to_{self.vars[s].name}")
        for s in out[1:]:
            self.m.flow(f"{v.name}__from_{self.vars[s].name}", Ref(v.name), u, out_of=self.vars[s].name)
            self.m.mark_internal(f"{v.name}__from_{self.vars[s].name}")

    def parse(self, text: str, where: str) -> Expr:
        if not text:
            return Const(0.0)
        return _Parser(text, where, self).parse()

    def ref(self, name: str, where: str) -> Expr:
        key = xmile_key(name)
        if key == "time":
            return self.m.time
        if key in ("dt", "time_step") and key not in self.vars:
            return self.m.dt
        if key in ("starttime", "initial_time") and key not in self.vars:
            return self._time_value(self.start)
        if key in ("stoptime", "final_time") and key not in self.vars:
            return self._time_value(self.stop)
        if key == "pi":
            return Const(math.pi)
        if key in ("inf", "infinity"):
            raise XmileError(f"{where}: INF is not supported (equations must stay finite)")
        if key not in self.vars:
            import difflib

            close = difflib.get_close_matches(key, list(self.vars), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise XmileError(f"{where}: unknown name {name!r}{hint}")
        v = self.vars[key]
        if v.kind == "gf":
            raise XmileError(f"{where}: graphical function {name!r} is used without an argument; write {name}(x)")
        return Ref(v.name)

    def _time_value(self, value: float) -> Expr:
        return F.const(value, self.tu) if self.units else Const(value)

    def _hidden(self, kind: str) -> str:
        self.n_hidden += 1
        base = _identifier(self.owner) if self.owner else "expr"
        name = f"{base}__{kind}{self.n_hidden}"
        return name

    def _time(self, e: Expr) -> Expr:
        """An argument that is a time: a plain number is in the model's time units."""
        if isinstance(e, Const) and e.units is None and self.units:
            return Const(e.value, self.tu)
        return e

    def call(self, fname: str, args: list[Expr], where: str) -> Expr:
        f = xmile_key(fname)
        m = self.m
        n = len(args)

        def need(*counts):
            if n not in counts:
                allowed = " or ".join(str(c) for c in counts)
                raise XmileError(f"{where}: {fname} takes {allowed} arguments, got {n}")

        simple = {
            "abs": F.abs_,
            "exp": F.exp,
            "ln": F.log,
            "sqrt": F.sqrt,
            "sin": F.sin,
            "cos": F.cos,
            "tan": F.tan,
            "arctan": F.arctan,
            "arcsin": F.arcsin,
            "arccos": F.arccos,
            "int": F.floor,
            "integer": F.integer,
        }
        if f == "int" and self.int_truncates:
            need(1)
            return F.integer(args[0])
        if f in simple:
            need(1)
            return simple[f](args[0])
        if f == "log10":
            need(1)
            return F.log(args[0]) / math.log(10.0)
        if f in ("min", "max"):
            if n < 2:
                raise XmileError(f"{where}: {fname} of one argument (an array) is not supported; allowed: 2 or more")
            out = args[0]
            for a in args[1:]:
                out = F.minimum(out, a) if f == "min" else F.maximum(out, a)
            return out
        if f in ("mod", "modulo"):
            need(2)
            if self.int_truncates:  # Vensim's MODULO keeps the dividend's sign (C fmod)
                return args[0] - args[1] * F.integer(args[0] / args[1])
            return F.modulo(args[0], args[1])
        if f == "pi":
            need(0)
            return Const(math.pi)
        if f == "safediv":
            need(2, 3)
            alt = args[2] if n == 3 else 0
            return F.where(F.eq(args[1], 0), alt, args[0] / F.where(F.eq(args[1], 0), 1, args[1]))
        if f == "step":
            need(2)
            return F.step(args[0], self._time(args[1]))
        if f == "ramp":
            need(2, 3)
            end = self._time(args[2]) if n == 3 else self._time_value(self.stop)
            return F.ramp(args[0], self._time(args[1]), F.maximum(end, self._time(args[1])))
        if f == "pulse":
            need(2, 3)
            return self._pulse(args, where)
        if f in ("smth1", "smth3", "smthn", "delay1", "delay3", "delayn"):
            smooth = f.startswith("smth")
            order = {"smth1": 1, "smth3": 3, "delay1": 1, "delay3": 3}.get(f)
            if order is None:
                need(3, 4)
                order, init = _whole(args[2], where), (args[3] if n == 4 else None)
            else:
                need(2, 3)
                init = args[2] if n == 3 else None
            name = self._hidden("smooth" if smooth else "delay")
            block, units = (m.smooth, self._units_of) if smooth else (m.delay, self._rate_units)
            block(name, args[0], self._time(args[1]), units(args[0]), order=order, initial=init)
            m.mark_internal(name)
            return Ref(name)
        if f == "trend":
            need(2, 3)
            name = self._hidden("trend")
            g0 = args[2] if n == 3 else 0.0
            m.trend(name, args[0], self._time(args[1]), self._units_of(args[0]), initial_trend=g0)
            m.mark_internal(name)
            return Ref(name)
        if f in ("forcst", "forecast"):
            need(3, 4)
            name = self._hidden("forecast")
            g0 = args[3] if n == 4 else 0.0
            m.forecast(
                name, args[0], self._time(args[1]), self._time(args[2]), self._units_of(args[0]), initial_trend=g0
            )
            m.mark_internal(name)
            return Ref(name)
        if f == "init":
            need(1)
            name = self._hidden("init")
            m.stock(name, args[0], self._units_of(args[0]), description=f"initial value of {args[0]!r}")
            m.mark_internal(name)
            return Ref(name)
        if f == "lookup":
            need(2)
            return self._lookup(args[0], args[1], where)
        if f == "if_then_else":
            need(3)
            return F.where(_cond(args[0]), args[1], args[2])
        if f in self.vars and self.vars[f].gf is not None:
            need(1)
            xs, ys = self.vars[f].gf
            return F.lookup(args[0], xs, ys, units=self._gf_units(self.vars[f]), x_units=self._x_units(args[0]))
        if f == "delay":
            need(2, 3)
            return self._pipeline(args, where)
        raise XmileError(f"{where}: the function {fname} is not supported")

    def _pipeline(self, args: list[Expr], where: str) -> Expr:
        """XMILE DELAY(input, delay[, initial]): ``input`` as it was ``delay`` ago (``initial``,
        default ``input`` at the start, before). With Euler steps a chain of ``n = delay / dt``
        first-order stages of ``dt`` each is exactly that: each stage passes on what it received
        one step earlier. So the delay must be a constant whole multiple of dt (at most
        :data:`MAX_PIPELINE` steps) and the method Euler."""
        tau = args[1]
        var = self.m.variables.get(tau.name) if isinstance(tau, Ref) else None
        if var is not None and var.kind == "param":
            value = var.value
        elif isinstance(tau, Const):
            value = tau.value
        else:
            raise XmileError(f"{where}: DELAY by a delay time that is not a constant is not supported")
        n = value / self.dt
        if abs(n - round(n)) > 1e-9 * max(1.0, n) or not 1 <= round(n) <= MAX_PIPELINE:
            raise XmileError(
                f"{where}: DELAY by {value:g} with dt {self.dt:g}; allowed: a whole number of steps from 1 to "
                f"{MAX_PIPELINE} (DELAYN approximates other delays)"
            )
        if self.m.settings["method"] != "euler":
            raise XmileError(f"{where}: DELAY is exact only with Euler steps; this model uses RK4")
        name = self._hidden("delay")
        self.m.delay(name, args[0], tau, "1", order=round(n), initial=args[2] if len(args) == 3 else None)
        self.m.mark_internal(name)
        return Ref(name)

    def _lookup(self, table: Expr, x: Expr, where: str) -> Expr:
        if not isinstance(table, Ref):
            raise XmileError(f"{where}: LOOKUP needs the name of a graphical function first")
        v = next((v for v in self.vars.values() if v.name == table.name), None)
        if v is None or v.gf is None:
            raise XmileError(f"{where}: {table.name!r} is not a graphical function")
        return F.lookup(x, v.gf[0], v.gf[1], units=self._gf_units(v), x_units=self._x_units(x))

    def _pulse(self, args: list[Expr], where: str) -> Expr:
        """XMILE PULSE(volume, first[, interval]): ``volume / dt`` during the one step starting at
        ``first``, then every ``interval`` (none, or 0: once)."""
        m = self.m
        h, first = args[0], self._time(args[1])
        dt = m.dt
        half = dt / 2
        on = (m.time > first - half) & (m.time < first + half)
        if len(args) == 3 and not (isinstance(args[2], Const) and args[2].value == 0):
            every = self._time(args[2])
            phase = F.modulo(m.time - first + half, every)
            on = (m.time > first - half) & (phase < dt)
        return F.where(on, h / dt, 0)

    # units are labels (check_units=False): the building blocks' internal variables get "1"
    def _units_of(self, e: Expr) -> str:
        return "1"

    _rate_units = _units_of

    def _gf_units(self, v: _Var) -> str | None:
        return None

    def _x_units(self, x: Expr) -> str | None:
        return None


def _whole(e: Expr, where: str) -> int:
    if not isinstance(e, Const) or e.value != int(e.value) or e.value < 1:
        raise XmileError(f"{where}: the order of SMTHN/DELAYN must be a whole number >= 1 written as a number")
    return int(e.value)


def _tag(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _find(el: ET.Element | None, tag: str) -> ET.Element | None:
    if el is None:
        return None
    for c in el:
        if _tag(c) == tag:
            return c
    return None


def _text(el: ET.Element | None, tag: str) -> str | None:
    c = _find(el, tag)
    return None if c is None else (c.text or "")


def _float(text: str | None, what: str, default: float | None) -> float:
    if text is None or not text.strip():
        if default is None:
            raise XmileError(f"{what} is missing")
        return default
    try:
        return float(text)
    except ValueError:
        raise XmileError(f"{what} is {text!r}; allowed: a number") from None


def _numbers(text: str, sep: str, xname: str) -> np.ndarray:
    try:
        return np.array([float(x) for x in text.replace("\n", " ").split(sep or ",") if x.strip()])
    except ValueError:
        raise XmileError(
            f"graphical function {xname!r}: points {text!r} are not numbers separated by {sep!r}"
        ) from None


def _declare_prefixes(text: str) -> str:
    """Declare the namespace prefixes a file uses without declaring them (Stella's ``isee:``,
    in files converted by xmutil), so that a strict XML parser reads it."""
    used = set(re.findall(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]", text)) | set(
        re.findall(r"\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=", text)
    )
    missing = sorted(p for p in used - {"xml", "xmlns"} if f"xmlns:{p}=" not in text)
    if not missing:
        return text
    decl = " ".join(f'xmlns:{p}="urn:jzsim:undeclared:{p}"' for p in missing)
    return re.sub(r"<xmile\b", f"<xmile {decl}", text, count=1)


def read_xmile(path: str | Path, *, parameters: Mapping[str, Any] | None = None) -> Model:
    """Read an XMILE model (``.xmile``, ``.stmx``, ``.xml``) into a jzsim :class:`Model`.

    Parameters
    ----------
    path : path
    parameters : mapping, optional
        Constant of the model (by XMILE or jzsim name) -> :class:`jzsim.params.Parameter` giving
        it a range and distribution, so that ``jzsim.monte_carlo(model=...)`` draws it (the
        Parameter's own name is replaced by the model's).

    Returns
    -------
    Model
        Declared with ``check_units=False`` (units are labels, as in XMILE); constant auxiliaries
        are parameters (nominal value = the constant). Run it with ``model.run()`` or
        ``jzsim.monte_carlo(model=..., params={name: Parameter(...)})``.

    Raises
    ------
    XmileError
        Malformed file, unknown name, or an unsupported construct (arrays, modules, macros, DELAY by a non-constant time,
        discrete graphical functions), named with the variable it is in.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise XmileError(f"{path}: no such file") from None
    try:
        root = ET.fromstring(_declare_prefixes(text))
    except ET.ParseError as exc:
        raise XmileError(f"{path}: not well-formed XML ({exc})") from None
    imp = _Importer(root, str(path), parameters)
    imp.read()
    m = imp.build()
    try:
        m.build()
    except ModelError as exc:
        raise XmileError(f"{path.name}: {exc}") from None
    return m
