"""A checked, compiled model and its numpy kernel."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pint

from jzsim.engine.backend import get_backend
from jzsim.engine.codegen import Emitter
from jzsim.engine.constants import DEFAULT_BATCH
from jzsim.engine.expr import Const, Dt, Expr, Op, Ref, refs, walk
from jzsim.engine.lowering import Lowerer
from jzsim.engine.model import Model, ModelError, Variable
from jzsim.engine.printing import to_text
from jzsim.engine.units import UnitError, conversion_factor, format_units, parse_units

__all__ = ["CompiledModel", "RunSettings"]


@dataclass(frozen=True)
class RunSettings:
    """Time settings of one run, validated: ``stop - start`` and ``save_every`` are whole
    multiples of ``dt``."""

    start: float
    stop: float
    dt: float
    save_every: float
    method: str

    @property
    def n_steps(self) -> int:
        return round((self.stop - self.start) / self.dt)

    @property
    def save_stride(self) -> int:
        return round(self.save_every / self.dt)

    @property
    def save_times(self) -> np.ndarray:
        k = np.arange(0, self.n_steps + 1, self.save_stride)
        return self.start + k * self.dt

    @classmethod
    def make(cls, defaults: dict, overrides: dict) -> RunSettings:
        allowed = {"start", "stop", "dt", "save_every", "method"}
        for k in overrides:
            if k not in allowed:
                known = sorted(allowed | {"batch_size", "backend"})
                close = difflib.get_close_matches(k, known, n=2)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(f"unknown run setting {k!r}; allowed: {known}{hint}")
        s = {**defaults, **overrides}
        for k in ("start", "stop", "dt", "save_every"):
            v = s[k]
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"run setting {k} is {v!r}; allowed: a finite number")
            s[k] = float(v)
        if s["method"] not in ("euler", "rk4"):
            raise ValueError(f"run setting method is {s['method']!r}; allowed: 'euler', 'rk4'")
        if s["dt"] <= 0:
            raise ValueError(f"run setting dt is {s['dt']}; allowed: > 0")
        if s["stop"] < s["start"]:
            raise ValueError(f"run setting stop {s['stop']} is before start {s['start']}")
        for k, span in (("stop - start", s["stop"] - s["start"]), ("save_every", s["save_every"])):
            n = span / s["dt"]
            if abs(n - round(n)) > 1e-9 * max(1.0, abs(n)):
                raise ValueError(f"run setting {k} = {span} is not a whole multiple of dt = {s['dt']}")
        if s["save_every"] <= 0:
            raise ValueError(f"run setting save_every is {s['save_every']}; allowed: > 0")
        return cls(**s)


def label(v: Variable, rest: str = "") -> str:
    """How errors name a variable: ``flow 'x' = ...``, or for a variable a building block made
    (a smooth's stage, a delay's stock), that block as the user declared it."""
    own = f"{v.kind} {v.name!r}" + (f" {rest}" if rest else "")
    block = v.extra.get("declared_by")
    return f"{block}, in its {own}" if block else own


class CompiledModel:
    """A model whose names, order and units have been checked, with its generated code.

    Attributes
    ----------
    params, stocks, computed : list of Variable
        Parameters, stocks, and flows/auxiliaries in evaluation order.
    derivatives : dict
        Stock name -> lowered expression of its net rate, in stock units per time unit.
    constant_stocks : frozenset of str
        Stocks with no inflow or outflow (net rate identically 0): they keep their initial value,
        so the kernels treat them as per-draw constants (computed once, never stepped).
    """

    def __init__(self, model: Model):
        self.model = model
        self.name = model.name
        self.time_units = model.time_units
        self.time_dim = model.time_dim
        self.settings = dict(model.settings)
        self.groups = dict(model._groups)
        self.derived = dict(model._derived)
        vars_ = dict(model._vars)
        self.variables = vars_
        self.params = [v for v in vars_.values() if v.kind == "param"]
        self.stocks = [v for v in vars_.values() if v.kind == "stock"]
        self._check_names(vars_)
        self._check_sectors(model, vars_)
        if getattr(model, "check_units", True):
            units = {n: parse_units(v.units) for n, v in vars_.items()}
            tu = parse_units(model.time_units)
        else:  # units are labels only: everything is a plain number, nothing is converted
            units = {n: parse_units("1") for n in vars_}
            tu = parse_units("1")
        self.check_units = getattr(model, "check_units", True)
        lw = Lowerer(units.__getitem__, tu, dt=self.settings["dt"], check=self.check_units)
        self.lowered: dict[str, Expr] = {}
        for v in vars_.values():
            if v.kind in ("aux", "flow"):
                self.lowered[v.name] = lw.lower_to(v.expr, units[v.name], label(v, f"= {to_text(v.expr)}"))
        self.initial: dict[str, Expr] = {}
        for v in self.stocks:
            self.initial[v.name] = lw.lower_to(
                v.initial, units[v.name], label(v, f"initial value = {to_text(v.initial)}")
            )
        self.derivatives = self._derivatives(vars_, units, tu)
        #: whether the equations read dt (``F.dt()`` or a floored stock): dt is then folded in
        self.uses_dt = any(v.floor for v in self.stocks) or any(
            isinstance(n, Dt) for v in vars_.values() for e in (v.expr, v.initial) if e is not None for n in walk(e)
        )
        self.constant_stocks = frozenset(
            n for n, d in self.derivatives.items() if isinstance(d, Const) and d.value == 0.0
        )
        for d in self.derived.values():
            if d.of not in vars_ or vars_[d.of].kind == "param":
                raise ModelError(f"growth rate {d.name!r}: {d.of!r} is not a stock, flow or auxiliary of the model")
        self.computed = [vars_[n] for n in self._order(vars_)]
        self.init_order = self._init_order(vars_)
        self.rate_names = self._needed_for_rates()
        self._numpy = None
        self._backend_caches: dict[str, dict] = {}

    # ------------------------------------------------------------------ checks
    @staticmethod
    def _check_names(vars_: dict[str, Variable]) -> None:
        for v in vars_.values():
            exprs = [("equation", v.expr), ("initial value", v.initial)]
            for label, e in exprs:
                if e is None:
                    continue
                for name in sorted(refs(e)):
                    if name not in vars_:
                        close = difflib.get_close_matches(name, list(vars_), n=3)
                        hint = f"; did you mean {', '.join(close)}?" if close else ""
                        raise ModelError(
                            f"{v.kind} {v.name!r}: {label} {to_text(e)} uses undefined name {name!r}{hint}"
                        )
            for attr in ("into", "out_of"):
                s = getattr(v, attr)
                if s is not None and (s not in vars_ or vars_[s].kind != "stock"):
                    raise ModelError(f"flow {v.name!r}: {attr}={s!r} is not a declared stock")

    @staticmethod
    def _check_sectors(model: Model, vars_: dict[str, Variable]) -> None:
        for v in vars_.values():
            if not v.sector or v.kind == "param":
                continue
            sector = model._sectors.get(v.sector)
            inputs = set(getattr(sector, "inputs", ()))
            for e in (v.expr, v.initial):
                for name in refs(e) if e is not None else ():
                    other = vars_[name]
                    if other.kind != "param" and other.sector not in ("", v.sector) and name not in inputs:
                        raise ModelError(
                            f"sector {v.sector!r}: {v.kind} {v.name!r} reads {name!r} from sector "
                            f"{other.sector!r}, which is not listed in {type(sector).__name__}.inputs"
                        )
        for sname, sector in model._sectors.items():
            for name in getattr(sector, "inputs", ()):
                if name not in vars_:
                    raise ModelError(f"sector {sname!r} lists input {name!r}, which no sector or parameter declares")

    def _derivatives(self, vars_, units, tu) -> dict[str, Expr]:
        terms: dict[str, list[tuple[str, Expr]]] = {s.name: [] for s in self.stocks}
        for v in vars_.values():
            if v.kind != "flow":
                continue
            for stock, sign in ((v.into, "+"), (v.out_of, "-")):
                if stock is None:
                    continue
                need = units[stock] / tu
                try:
                    f = conversion_factor(units[v.name], need)
                except UnitError:
                    raise UnitError(
                        f"{label(v, '= ' + to_text(v.expr))} has units {format_units(units[v.name])}, but "
                        f"stock {stock!r} [{format_units(units[stock])}] needs a rate in "
                        f"{format_units(need)}"
                    ) from None
                e: Expr = Ref(v.name) if f == 1.0 else Op("mul", (Ref(v.name), Const(f)))
                terms[stock].append((sign, e))
        out = {}
        for s, ts in terms.items():
            acc: Expr | None = None
            for sign, e in ts:
                if acc is None:
                    acc = e if sign == "+" else Op("neg", (e,))
                else:
                    acc = Op("add" if sign == "+" else "sub", (acc, e))
            out[s] = acc if acc is not None else Const(0.0)
            if vars_[s].floor and acc is not None:
                # XMILE non_negative: the net rate never takes more than the stock holds in one step
                dt = Const(float(self.settings["dt"]))
                out[s] = Op("max", (acc, Op("div", (Op("neg", (Ref(s),)), dt))))
        return out

    def _order(self, vars_) -> list[str]:
        """Flows and auxes in an order where each comes after what it reads."""
        computed = {n: v for n, v in vars_.items() if v.kind in ("aux", "flow")}
        deps = {n: [d for d in refs(v.expr) if d in computed] for n, v in computed.items()}
        return _toposort(
            deps,
            lambda cyc: ModelError(
                "algebraic loop (a cycle of auxiliaries/flows with no stock in between): "
                + " -> ".join(cyc)
                + "; break it with a stock or a smooth"
            ),
        )

    def _init_order(self, vars_) -> list[str]:
        """Stocks (their initial values), auxes and flows in initialisation order."""
        nodes = {}
        for n, v in vars_.items():
            if v.kind == "stock":
                nodes[n] = [d for d in refs(v.initial) if vars_[d].kind != "param"]
            elif v.kind in ("aux", "flow"):
                nodes[n] = [d for d in refs(v.expr) if vars_[d].kind != "param"]
        return _toposort(
            nodes,
            lambda cyc: ModelError(
                "the initial values depend on themselves: "
                + " -> ".join(cyc)
                + "; give one of these stocks a numeric initial value"
            ),
        )

    def _needed_for_rates(self) -> list[str]:
        need = self.closure([r for e in self.derivatives.values() for r in refs(e)])
        return [v.name for v in self.computed if v.name in need]

    # ------------------------------------------------------------------ params
    def nominal(self) -> dict[str, float]:
        """Nominal parameter values, in their declared units."""
        return {p.name: p.value for p in self.params}

    def _as_mapping(self, overrides: Any) -> dict[str, Any]:
        """Overrides as ``{name: value or array}``: a mapping, a pandas DataFrame (one column per
        parameter, one row per draw) or a 2-d array of shape ``(n_draws, n_params)`` with every
        parameter in declared order (:attr:`params`)."""
        if overrides is None:
            return {}
        if hasattr(overrides, "columns") and hasattr(overrides, "to_numpy"):  # a DataFrame
            return {str(c): overrides[c].to_numpy(dtype=np.float64) for c in overrides.columns}
        if isinstance(overrides, np.ndarray):
            names = [p.name for p in self.params]
            if overrides.ndim != 2 or overrides.shape[1] != len(names):
                raise ValueError(
                    f"params is an array of shape {overrides.shape}; allowed: shape (n_draws, {len(names)}) "
                    f"with columns in declared order ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''}), "
                    "or a DataFrame / dict by name"
                )
            return {k: overrides[:, i] for i, k in enumerate(names)}
        if not isinstance(overrides, Mapping):
            raise TypeError(
                f"params is a {type(overrides).__name__}; allowed: a dict by name, a DataFrame or an "
                "(n_draws, n_params) array"
            )
        return dict(overrides)

    def param_arrays(self, overrides: dict[str, Any] | None, draws: int | None) -> tuple[int, list[np.ndarray]]:
        """Validate overrides and return ``(n, [array(n) per parameter])`` in declared order."""
        overrides = self._as_mapping(overrides)
        by_name = {p.name: p for p in self.params}
        n = draws
        values: dict[str, np.ndarray] = {}
        for k, v in overrides.items():
            if k not in by_name:
                close = difflib.get_close_matches(k, list(by_name), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                kind = f" (it is a {self.variables[k].kind}, not a parameter)" if k in self.variables else ""
                raise KeyError(f"unknown parameter {k!r}{kind} in model {self.name!r}{hint}")
            arr = _to_units(v, by_name[k])
            if arr.ndim > 1:
                raise ValueError(
                    f"parameter {k!r}: got an array of shape {arr.shape}; allowed: a number or a 1-d array over draws"
                )
            if not np.all(np.isfinite(arr)):
                bad = float(arr[~np.isfinite(arr)].ravel()[0])
                raise ValueError(f"parameter {k!r} has value {bad!r}; allowed: finite numbers")
            if arr.ndim == 1:
                if n is None:
                    n = arr.shape[0]
                elif arr.shape[0] != n:
                    raise ValueError(f"parameter {k!r} has {arr.shape[0]} values but the run has {n} draws")
            values[k] = arr
        n = 1 if n is None else int(n)
        if n < 1:
            raise ValueError(f"draws is {n}; allowed: >= 1")
        out = []
        for p in self.params:
            a = values.get(p.name, np.float64(p.value))
            # always a fresh, contiguous copy: no stride-0 views (numpy's power takes a different
            # code path for them) and no memory shared with the caller's arrays
            out.append(np.array(np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)), dtype=np.float64))
        return n, out

    # ----------------------------------------------------------------- numpy code
    def numpy_functions(self, select=None, fixed=frozenset()):
        """Generated ``(consts, init, rates, save, step_save, n_buffers, source)`` of the numpy kernel for an output selection
        (see :meth:`selection`) and the parameters passed as numbers, ``fixed`` (names); built once per
        selection and ``fixed``."""
        sel = None if select is None else tuple(int(i) for i in select)
        key = (sel, frozenset(fixed))
        if self._numpy is None:
            self._numpy = {}
        if key not in self._numpy:
            from jzsim.engine.kernel_numpy import generate

            self._numpy[key] = generate(self, sel, key[1])
        return self._numpy[key]

    def closure(self, names) -> set[str]:
        """``names`` and every flow or auxiliary they depend on (not through stocks)."""
        need: set[str] = set()
        stack = list(names)
        while stack:
            n = stack.pop()
            v = self.variables[n]
            if n in need or v.kind not in ("aux", "flow"):
                continue
            need.add(n)
            stack.extend(refs(v.expr))
        return need

    def local_names(self) -> dict[str, str]:
        """Variable name -> identifier used in generated code."""
        prefix = {"param": "p", "stock": "s", "aux": "a", "flow": "f"}
        return {n: f"{prefix[v.kind]}_{n}" for n, v in self.variables.items()}

    def emitter(self, dialect: str) -> Emitter:
        return Emitter(self.local_names(), dialect)

    @property
    def output_names(self) -> list[str]:
        """Names saved in results, in order: stocks, then flows and auxes."""
        return [s.name for s in self.stocks] + [v.name for v in self.computed]

    # -------------------------------------------------------------------- run
    def settings_for(self, overrides: dict) -> RunSettings:
        rs = RunSettings.make(self.settings, overrides)
        if self.uses_dt and rs.dt != self.settings["dt"]:
            raise ValueError(
                f"run setting dt = {rs.dt}, but model {self.name!r} uses dt in its equations (F.dt() or a "
                f"floored stock), built with dt = {self.settings['dt']}; allowed: dt = {self.settings['dt']}, "
                "or declare the model with the dt wanted (Model(..., dt=...))"
            )
        return rs

    def run(
        self,
        params=None,
        *,
        draws=None,
        outputs: Sequence[str] | None = None,
        threads: int = 1,
        batch_size: int = DEFAULT_BATCH,
        backend: str = "numpy",
        chunk_size: int | None = None,
        **settings,
    ):
        """Run deterministic or batched draws; see :meth:`jzsim.engine.Model.run`.

        ``outputs`` selects the variables saved (default: all; growth rates of selected outputs
        come along); ``threads`` as in :meth:`integrate`. ``chunk_size`` is the deprecated name
        of ``batch_size``.
        """
        from jzsim.engine.results import to_dataset

        if chunk_size is not None:
            batch_size = _renamed("chunk_size", "batch_size", "run", chunk_size)
        rs = self.settings_for(settings)
        n, P = self.param_arrays(params, draws)
        names = None
        if outputs is not None:
            if isinstance(outputs, str) or not all(isinstance(o, str) for o in outputs):
                raise TypeError(f"outputs is {outputs!r}; allowed: a list of output names, e.g. [{outputs!r}]")
            asked = list(dict.fromkeys(outputs))
            self.selection([a for a in asked if a not in self.derived])  # validates names (did you mean)
            names = [a for a in asked if a not in self.derived]
            names += [self.derived[a].of for a in asked if a in self.derived and self.derived[a].of not in names]
        out = self.integrate(P, rs, batch_size=batch_size, backend=backend, names=names, threads=threads)
        return to_dataset(self, rs, out, P, names=names)

    def attrs_of(self, name: str) -> dict:
        """Result attrs (units, description, ...) of an output or derived output."""
        from jzsim.engine.results import variable_attrs

        if name in self.derived:
            d = self.derived[name]
            return {"units": f"1/{self.time_units}", "description": d.description, "kind": "growth rate", "of": d.of}
        return variable_attrs(self.variables[name])

    def selection(self, names: list[str] | None) -> np.ndarray:
        """Row of each output in a result holding only ``names`` (-1 where not kept)."""
        if names is None:
            return np.arange(len(self.output_names), dtype=np.int64)
        index = {n: i for i, n in enumerate(self.output_names)}
        sel = np.full(len(self.output_names), -1, dtype=np.int64)
        for row, n in enumerate(names):
            if n not in index:
                close = difflib.get_close_matches(n, list(index), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise KeyError(f"{n!r} is not an output of model {self.name!r}{hint}")
            sel[index[n]] = row
        return sel

    def backend_cache(self, backend: str) -> dict:
        """A dict that back end ``backend`` may fill with what it derives from this model (generated
        code, loaded modules); it lives as long as the model."""
        return self._backend_caches.setdefault(backend, {})

    def integrate(
        self,
        P: list[np.ndarray],
        rs: RunSettings,
        *,
        batch_size: int = DEFAULT_BATCH,
        backend: str = "numpy",
        names: list[str] | None = None,
        check: bool = True,
        out: np.ndarray | None = None,
        threads: int = 1,
    ) -> np.ndarray:
        """Integrate and return saved values as an array, shape ``(len(names), n_draws, n_times)``.

        Parameters
        ----------
        P : list of numpy.ndarray or float
            One array of draws per parameter, in the order of :attr:`params`
            (see :meth:`param_arrays`), or a number: the same value in every draw. The numpy
            kernel computes whatever depends only on such numbers (and the time) once per step
            instead of once per draw: same values, bit for bit, in less time.
        rs : RunSettings
            Time settings (see :meth:`settings_for`).
        batch_size : int, default 16384
            Draws the numpy kernel advances at once in one thread (numpy backend only;
            :data:`jzsim.engine.constants.DEFAULT_BATCH`). Draws are independent: splitting them
            into batches does not change any value.
        backend : str, default "numpy"
            A registered back end (:func:`jzsim.engine.backend.backend_names`): ``"numpy"``,
            ``"scalar"``, and ``"numba"`` when :mod:`jzsim.backends` is importable.
        names : list of str, optional
            Outputs to save, in row order; default :attr:`output_names`.
        check : bool, default True
            Raise a clear error for non-finite values or negative nonnegative stocks.
        out : numpy.ndarray, optional
            Filled instead of a new array.
        threads : int, default 1
            Numpy backend only: the draws are split into that many contiguous parts, each
            integrated in ``batch_size`` pieces by its own thread, the calling thread taking the last
            (numpy releases the GIL inside its loops; with small batches the threads contend for it:
            see the design log of ``benchmarks/README.md``). The numba backend runs on all cores
            anyway.

        Returns
        -------
        numpy.ndarray
            ``out``, float64, in each output's declared units.
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size is {batch_size!r}; allowed: an integer >= 1")
        check_threads(threads)
        impl = get_backend(backend)
        if names is not None and not impl.selects_outputs:
            raise ValueError(f"backend {backend!r} saves every output; names must be None")
        n = next((np.shape(p)[0] for p in P if np.ndim(p)), 1)
        if backend != "numpy":  # only the numpy kernel computes with numbers
            P = [np.full(n, p, dtype=np.float64) if np.ndim(p) == 0 else p for p in P]
        nt = len(rs.save_times)
        sel = self.selection(names)
        shape = (int((sel >= 0).sum()), n, nt)
        if out is None:
            out = np.empty(shape)
        elif out.shape != shape:
            raise ValueError(f"out has shape {out.shape}; this run needs {shape}")
        impl.integrate(self, P, rs, out, sel, batch_size=int(batch_size), threads=int(threads))
        if check:
            self.check_output(out, rs, names=names, P=P)
        return out

    def simulate(self, P: list[np.ndarray], rs: RunSettings, *, chunk_size: int | None = None, **kwargs) -> np.ndarray:
        """Deprecated: :meth:`integrate` (it returns an array, not a Dataset; ``chunk_size`` is now
        ``batch_size``)."""
        import warnings

        warnings.warn(
            "CompiledModel.simulate is deprecated; use CompiledModel.integrate (same arguments, "
            "with chunk_size renamed batch_size)",
            DeprecationWarning,
            stacklevel=2,
        )
        if chunk_size is not None:
            kwargs["batch_size"] = chunk_size
        return self.integrate(P, rs, **kwargs)

    def check_output(
        self,
        out: np.ndarray,
        rs: RunSettings,
        first_draw: int = 0,
        names: list[str] | None = None,
        P: list[np.ndarray] | None = None,
    ) -> None:
        """Raise a clear error for non-finite values or negative nonnegative stocks.

        A non-finite value is reported where it first appears: the lowest draw, its earliest save
        time, and there a variable whose own inputs are still finite (the origin, not a variable
        that merely inherits the NaN), with the values of its inputs (and, given ``P``, of the
        parameters it reads) in that draw.
        """
        names = self.output_names if names is None else names
        # a sum is finite iff every value is, unless the sum itself overflows: then look closer
        with np.errstate(over="ignore"):  # an overflowing sum is expected here, not worth a warning
            total = out.sum()
        bad = np.zeros(0, dtype=bool) if np.isfinite(total) else ~np.isfinite(out)
        if bad.any():
            raise FloatingPointError(self._nonfinite_message(out, bad, rs, first_draw, names, P))
        rows = {n: i for i, n in enumerate(names)}
        for s in self.stocks:
            i = rows.get(s.name)
            if s.nonnegative and i is not None and out[i].size and out[i].min() < 0:
                neg = out[i] < 0
                if neg.any():
                    d, k = (int(x[0]) for x in np.nonzero(neg))
                    raise FloatingPointError(
                        f"stock {s.name!r} is negative ({out[i, d, k]:.6g} {s.units}) at {self.time_dim} "
                        f"{rs.save_times[k]:g} in draw {first_draw + d}; allowed: >= 0. Its outflows "
                        "should be limited by the stock (e.g. minimum(rate, stock / dt)) or dt made smaller"
                    )

    def inputs_of(self, name: str) -> list[str]:
        """The names ``name``'s equation reads directly (a stock: its flows and its initial value)."""
        v = self.variables[name]
        if v.kind == "stock":
            exprs = [self.derivatives.get(name), self.initial.get(name)]
        else:
            exprs = [v.expr]
        return sorted({r for e in exprs if e is not None for r in refs(e) if r in self.variables})

    def _nonfinite_message(self, out, bad, rs, first_draw, names, P) -> str:
        rows = {n: i for i, n in enumerate(names)}
        d = int(np.nonzero(bad.any(axis=(0, 2)))[0][0])
        k = int(np.nonzero(bad[:, d, :].any(axis=0))[0][0])
        culprits = [int(i) for i in np.nonzero(bad[:, d, k])[0]]

        def finite_inputs(i: int) -> bool:
            return all(np.isfinite(out[rows[r], d, k]) for r in self.inputs_of(names[i]) if r in rows)

        v = next((i for i in culprits if finite_inputs(i)), culprits[0])
        name = names[v]
        pidx = {p.name: j for j, p in enumerate(self.params)}
        shown = []
        for r in self.inputs_of(name):
            if r in rows:
                shown.append(f"{r}={out[rows[r], d, k]:.6g}")
            elif r in pidx and P is not None:
                value = P[pidx[r]] if np.ndim(P[pidx[r]]) == 0 else P[pidx[r]][d]
                shown.append(f"{r}={float(value):.6g} (parameter)")
            elif r in pidx:
                shown.append(f"{r} (parameter)")
        inputs = f"; its inputs there: {', '.join(shown[:12])}{' ...' if len(shown) > 12 else ''}" if shown else ""
        return (
            f"{name!r} is {out[v, d, k]} at {self.time_dim} {rs.save_times[k]:g} in draw {first_draw + d}"
            f"{inputs}: check the parameters of that draw (division by zero, log of a non-positive "
            "number, or overflow)"
        )


def _renamed(old: str, new: str, where: str, value):
    """``value``, after a ``DeprecationWarning`` that keyword ``old`` of ``where`` is now ``new``."""
    import warnings

    warnings.warn(f"{where}(): {old} is deprecated; use {new}", DeprecationWarning, stacklevel=3)
    return value


def check_threads(threads, allow_none: bool = False) -> None:
    """Raise one clear ``ValueError`` unless ``threads`` is an integer >= 1 (or None, if allowed)."""
    if threads is None and allow_none:
        return
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise ValueError(
            f"threads is {threads!r}; allowed: an integer >= 1"
            + (", or None for all usable CPUs" if allow_none else "")
        )


def _to_units(v, p: Variable) -> np.ndarray:
    if isinstance(v, pint.Quantity):
        try:
            v = v.to(parse_units(p.units)).magnitude
        except pint.DimensionalityError:
            raise ValueError(
                f"parameter {p.name!r} was given in {v.units}, which cannot be converted to its units {p.units}"
            ) from None
    elif isinstance(v, str):
        raise ValueError(
            f"parameter {p.name!r} is the string {v!r}; allowed: a number, an array, or a "
            f"pint Quantity in units compatible with {p.units}"
        )
    try:
        return np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {p.name!r} is {v!r}; allowed: a number or an array of numbers") from None


def _toposort(deps: dict[str, list[str]], on_cycle) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}
    for root in deps:
        if state.get(root) == 2:
            continue
        stack = [(root, iter(deps[root]))]
        path = [root]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                state[node] = 2
                order.append(node)
                continue
            st = state.get(nxt, 0)
            if st == 1:
                i = path.index(nxt)
                raise on_cycle(path[i:] + [nxt])
            if st == 0:
                state[nxt] = 1
                stack.append((nxt, iter(deps[nxt])))
                path.append(nxt)
    return order
