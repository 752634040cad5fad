"""Model declaration: stocks, flows, auxiliaries and parameters.

A :class:`Model` only *records* declarations; :meth:`Model.build` checks them (names, units,
evaluation order) into an immutable :class:`~jzsim.engine.compiled.CompiledModel`, which the back
ends run. See ``docs/engine_api.md`` for a tour.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np

from jzsim.engine.expr import Const, Dt, Expr, Ref, Time, as_expr
from jzsim.engine.units import parse_units

if TYPE_CHECKING:
    import xarray as xr

    from jzsim.engine.compiled import CompiledModel
    from jzsim.engine.sector import Sector

__all__ = ["Model", "Variable", "ModelError", "ParameterSpec"]

Kind = Literal["stock", "flow", "aux", "param"]


class ModelError(ValueError):
    """A model declaration that cannot be built: undefined or duplicate name, loop, bad units."""


@runtime_checkable
class ParameterSpec(Protocol):
    """A declared parameter with its distribution: what Monte Carlo samples.

    The documentation lists them too (:class:`jzsim.params.Parameter` is one). Values are in
    ``units``.
    """

    name: str
    units: str
    value: float
    low: float | None
    high: float | None
    distribution: str
    source: str
    description: str

    @property
    def uncertain(self) -> bool:
        """Whether Monte Carlo varies it (its distribution is not ``"fixed"``)."""


@dataclass(frozen=True)
class Variable:
    """One declared quantity of a model.

    Attributes
    ----------
    name : str
    kind : {"stock", "flow", "aux", "param"}
    units : str
        Unit string understood by :func:`jzsim.engine.units.parse_units`.
    expr : Expr, optional
        Equation of a flow or auxiliary.
    initial : Expr, optional
        Initial value of a stock (number in the stock's units or expression).
    value, low, high : float, optional
        Nominal value and plausible range of a parameter, in its units.
    into, out_of : str, optional
        The stock a flow fills / drains.
    nonnegative : bool
        Checked after a run: a negative value is an error.
    floor : bool
        Floored at 0 while running (XMILE ``non_negative``): see :meth:`Model.stock`.
    parameter : ParameterSpec, optional
        The parameter object it was declared from (:meth:`Model.add_parameter`), which carries its
        distribution; None for a parameter declared with :meth:`Model.param` (always nominal).
    extra : dict
        Further metadata by key (e.g. ``"schedule"`` of a scheduled parameter, ``"declared_by"``).
    """

    name: str
    kind: Kind
    units: str
    description: str = ""
    source: str = ""
    sector: str = ""
    expr: Expr | None = None
    initial: Expr | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    into: str | None = None
    out_of: str | None = None
    nonnegative: bool = False
    floor: bool = False
    internal: bool = False
    parameter: ParameterSpec | None = field(default=None, compare=False)
    extra: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Group:
    """Variables stacked along a named dim in results (e.g. ``va`` over ``sector``)."""

    name: str
    dim: str
    members: dict[str, str]
    description: str = ""


@dataclass(frozen=True)
class Growth:
    """A derived output: the growth rate of ``of`` per time unit between saved times."""

    name: str
    of: str
    description: str = ""


class _Params:
    """Attribute access to a model's declared parameters: ``m.params.alpha``."""

    def __init__(self, model: Model):
        self._model = model

    def __getattr__(self, name: str) -> Ref:
        if name.startswith("__") or name == "_model":  # copy and pickle probe these before __init__ runs
            raise AttributeError(name)
        v = self._model._vars.get(name)
        if v is None or (v.kind != "param" and "schedule" not in v.extra):
            known = [k for k, x in self._model._vars.items() if x.kind == "param"]
            close = difflib.get_close_matches(name, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise AttributeError(f"no parameter {name!r} is declared in model {self._model.name!r}{hint}")
        return Ref(name)

    def __dir__(self):
        return [k for k, x in self._model._vars.items() if x.kind == "param"]


class Model:
    """A system-dynamics model declaration.

    Parameters
    ----------
    name : str
        Model name (recorded in results).
    time_units : str, default "year"
        Units of simulation time.
    start, stop : float, default 0.0 and 10.0
        Simulated period, in ``time_units``.
    dt : float, default 0.25
        Integration step, in ``time_units`` (a quarter of a year by default).
    save_every : float, default 1.0
        Output interval, a whole multiple of ``dt``.
    method : {"euler", "rk4"}, default "euler"
        Integration method.
    time_dim : str, default "time"
        Name of the time dimension in results (the plan model uses ``"year"``).
    check_units : bool, default True
        Check and convert units at build. ``False`` keeps every variable's units as a label only
        (reported in results, never checked or converted, any text allowed), as XMILE tools
        treat them: :func:`jzsim.io.read_xmile` imports models this way.

    Attributes
    ----------
    targets : pandas.DataFrame or None
        The model's default target registry (the columns of :func:`jzsim.data.targets.load_targets`),
        checked by :func:`jzsim.monte_carlo`, :func:`jzsim.compare` and :func:`jzsim.sweep` when
        they are given no ``targets=``; :func:`jzsim.plan_model` sets the plan's. ``None`` (the
        default): no targets unless the call gives them.
    scenario : jzsim.scenarios.Scenario or None
        The scenario a plan model was built with.

    Examples
    --------
    >>> from jzsim.engine import Model
    >>> m = Model("decay", stop=5.0)
    >>> k = m.param("k", 0.5, units="1/year")
    >>> x = m.stock("x", initial=100.0, units="t")
    >>> _ = m.flow("outflow", k * x, units="t/year", out_of="x")
    >>> float(m.run()["x"].isel(time=-1)[0]) < 100.0
    True
    """

    def __init__(
        self,
        name: str = "model",
        *,
        time_units: str = "year",
        start: float = 0.0,
        stop: float = 10.0,
        dt: float = 0.25,
        save_every: float = 1.0,
        method: Literal["euler", "rk4"] = "euler",
        time_dim: str = "time",
        check_units: bool = True,
    ):
        self.check_units = bool(check_units)
        if self.check_units:
            parse_units(time_units)
        self.name = name
        self.time_units = time_units
        self.settings = dict(
            start=float(start), stop=float(stop), dt=float(dt), save_every=float(save_every), method=method
        )
        self.time_dim = time_dim
        self._vars: dict[str, Variable] = {}
        self._groups: dict[str, Group] = {}
        self._derived: dict[str, Growth] = {}
        self._sectors: dict[str, Sector] = {}
        self._current_sector = ""
        self._declaring = ""  # label of the building block being declared (smooth, delay, ...)
        self._compiled: CompiledModel | None = None
        self.params = _Params(self)
        self.scenario: Any = None  # the resolved scenario a plan model was built with (jzsim.plan)
        self.targets: Any = None  # default target registry (a DataFrame) that Monte Carlo checks

    # ------------------------------------------------------------------ declaring
    def _add(self, var: Variable) -> Ref:
        if not var.name.isidentifier():
            raise ModelError(f"variable name {var.name!r} is not a valid identifier (letters, digits, _)")
        reserved = dict.fromkeys(("time", "draw", self.time_dim))
        if var.name in reserved:
            raise ModelError(
                f"{var.kind} name {var.name!r} is reserved (simulation time and the result dims "
                f"{', '.join(map(repr, reserved))}); choose another name"
            )
        if var.name in self._vars:
            old = self._vars[var.name]
            where = f" in sector {old.sector!r}" if old.sector else ""
            raise ModelError(f"name {var.name!r} is declared twice: already a {old.kind}{where}")
        if self.check_units:
            parse_units(var.units)
        if var.sector == "" and self._current_sector:
            var = replace(var, sector=self._current_sector)
        if self._declaring:
            var.extra["declared_by"] = self._declaring
        self._vars[var.name] = var
        self._compiled = None
        return Ref(var.name)

    def param(
        self,
        name: str,
        value: float,
        units: str = "1",
        *,
        low: float | None = None,
        high: float | None = None,
        description: str = "",
        source: str = "",
    ) -> Ref:
        """Declare a parameter with nominal ``value`` (in ``units``) and optional range."""
        value = _finite(value, f"parameter {name!r} value")
        for label, b in (("low", low), ("high", high)):
            if b is not None:
                _finite(b, f"parameter {name!r} {label}")
        if low is not None and high is not None and low > high:
            raise ModelError(f"parameter {name!r}: low {low} is above high {high}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ModelError(f"parameter {name!r}: value {value} is outside its range [{low}, {high}]")
        return self._add(Variable(name, "param", units, description, source, value=value, low=low, high=high))

    def add_parameter(self, p: Any) -> Ref:
        """Declare a parameter from a :class:`jzsim.params.Parameter`.

        Any object with ``name, value, units, low, high, description, source`` will do. An object
        that also has a ``distribution`` and ``uncertain`` (a :class:`ParameterSpec`) is kept as the
        variable's :attr:`Variable.parameter`, for Monte Carlo to sample.
        """
        ref = self.param(p.name, p.value, p.units, low=p.low, high=p.high, description=p.description, source=p.source)
        if isinstance(p, ParameterSpec):
            self._vars[p.name] = replace(self._vars[p.name], parameter=p)
        return ref

    def scheduled(
        self, name: str, expr: Expr, units: str, *, description: str = "", source: str = "", schedule: Any = None
    ) -> Ref:
        """Declare a parameter that varies with time (a scenario's lever schedule).

        It is an auxiliary ``expr`` of :attr:`time`, reachable as ``m.params.<name>`` like a
        parameter. It is not drawn in Monte Carlo and appears in results as a variable over time.
        """
        ref = self.aux(name, expr, units, description=description, source=source)
        self._vars[name].extra["schedule"] = schedule if schedule is not None else expr
        return ref

    def stock(
        self,
        name: str,
        initial: float | Expr,
        units: str,
        *,
        description: str = "",
        source: str = "",
        nonnegative: bool = False,
        floor: bool = False,
    ) -> Ref:
        """Declare a stock with an ``initial`` value (number or expression, in ``units``).

        Parameters
        ----------
        nonnegative : bool, default False
            A negative value after the run is an error (the stock's outflows are meant to be
            limited by the equations themselves).
        floor : bool, default False
            The stock is floored at 0 as XMILE's ``non_negative`` stocks are in Stella, PySD and the
            SDXorg test suite: its net rate is ``maximum(net, -stock / dt)``, so an Euler step
            gives ``max(0, stock + dt * net)``. The flows keep their computed values (they are
            reported and fill other stocks unchanged); to conserve material between two stocks,
            limit the flow itself: ``F.minimum(rate, stock / F.dt())``.
        """
        if not isinstance(initial, Expr):
            initial = _finite(initial, f"stock {name!r}: initial value")
        init = as_expr(initial)
        if isinstance(init, Const) and init.units is None:
            init = Const(init.value, units)
            if nonnegative and init.value < 0:
                raise ModelError(
                    f"stock {name!r}: initial value {init.value} is negative; "
                    "allowed: >= 0 (the stock is declared nonnegative)"
                )
        for label, flag in (("nonnegative", nonnegative), ("floor", floor)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ModelError(f"stock {name!r}: {label}={flag!r}; allowed: True or False")
        if floor and isinstance(init, Const) and init.value < 0:
            raise ModelError(f"stock {name!r}: initial value {init.value} is negative; allowed: >= 0 (floor=True)")
        return self._add(
            Variable(
                name,
                "stock",
                units,
                description,
                source,
                initial=init,
                nonnegative=bool(nonnegative),
                floor=bool(floor),
            )
        )

    def flow(
        self,
        name: str,
        expr: Expr | float,
        units: str,
        *,
        into: str | None = None,
        out_of: str | None = None,
        description: str = "",
        source: str = "",
    ) -> Ref:
        """Declare a flow (a rate) that fills stock ``into`` and/or drains stock ``out_of``.

        One flow draining one stock into another is declared once:
        ``m.flow("transfer", k * A, "t/year", out_of="A", into="B")``. A flow fills at most one
        stock and drains at most one (declare one flow per pair of stocks).
        """
        if into is None and out_of is None:
            raise ModelError(f"flow {name!r} has neither into= nor out_of=; declare it with m.aux instead")
        for label, stock in (("into", into), ("out_of", out_of)):
            if stock is not None and not isinstance(stock, str):
                raise ModelError(
                    f"flow {name!r}: {label}={stock!r}; allowed: the name of one stock (a str). A flow fills "
                    "at most one stock and drains at most one: declare one flow per stock"
                )
        if into is not None and into == out_of:
            raise ModelError(f"flow {name!r} drains and fills the same stock {into!r}; allowed: two different stocks")
        return self._add(
            Variable(name, "flow", units, description, source, expr=as_expr(expr), into=into, out_of=out_of)
        )

    def aux(self, name: str, expr: Expr | float, units: str, *, description: str = "", source: str = "") -> Ref:
        """Declare an auxiliary: a named expression of stocks, parameters, time and other auxes."""
        return self._add(Variable(name, "aux", units, description, source, expr=as_expr(expr)))

    def ref(self, name: str) -> Ref:
        """A reference to ``name``, declared anywhere in the model (checked at build)."""
        return Ref(name)

    def __getitem__(self, name: str) -> Ref:
        if name not in self._vars:
            close = difflib.get_close_matches(name, list(self._vars), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"no variable {name!r} in model {self.name!r}{hint}")
        return Ref(name)

    def __contains__(self, name: str) -> bool:
        return name in self._vars

    @property
    def time(self) -> Expr:
        """Simulation time (in ``time_units``)."""
        return Time()

    @property
    def dt(self) -> Expr:
        """The integration step (in ``time_units``), usable in equations.

        See :func:`jzsim.engine.functions.dt`.
        """
        return Dt()

    def group(self, name: str, dim: str, members: dict[str, str], description: str = "") -> None:
        """Stack ``members`` (label -> variable name) into result variable ``name`` along ``dim``."""
        if name in self._groups or name in self._vars:
            raise ModelError(f"group name {name!r} is already used")
        self._groups[name] = Group(name, dim, dict(members), description)
        self._compiled = None

    def growth_rate(self, name: str, of: str, description: str = "") -> None:
        """Report the growth rate of output ``of`` between saved times, per time unit.

        ``(x[t] / x[t - s]) ** (1 / s) - 1`` with ``s = save_every`` (NaN at the first saved time).

        It is computed from the saved results after the run, so it never feeds back on the model
        (for a growth rate inside the dynamics, use a stock such as a smooth).
        """
        if name in self._vars or name in self._groups or name in self._derived:
            raise ModelError(f"growth-rate name {name!r} is already used")
        self._derived[name] = Growth(name, of, description or f"growth rate of {of} per {self.time_units}")
        self._compiled = None

    def add_sector(self, sector: Sector) -> None:
        """Let ``sector`` declare its equations into this model."""
        if sector.name in self._sectors:
            raise ModelError(f"sector {sector.name!r} is added twice")
        self._sectors[sector.name] = sector
        self._current_sector = sector.name
        try:
            sector.declare(self)
        finally:
            self._current_sector = ""

    # ----------------------------------------------------------- building blocks
    def _time_const(self, v: Expr | float) -> Expr:
        """A plain number given as a time (a smoothing time, a delay) is in the model's time units."""
        e = as_expr(v)
        if isinstance(e, Const) and e.units is None:
            return Const(e.value, self.time_units)
        return e

    def _block(self, label: str):
        """Context in which every variable declared is marked as part of the block ``label``.

        ``label`` is the user's call, named in errors instead of the generated names.
        """
        model = self

        class _Ctx:
            def __enter__(self):
                self.outer = model._declaring
                model._declaring = model._declaring or label

            def __exit__(self, *exc):
                model._declaring = self.outer

        return _Ctx()

    def smooth(
        self,
        name: str,
        input: Expr,
        tau: Expr | float,
        units: str,
        *,
        order: int = 1,
        initial: Expr | float | None = None,
        description: str = "",
    ) -> Ref:
        """Exponential smoothing of order ``order`` (SMOOTH, SMOOTH3, SMOOTH N; XMILE SMTH1/3/N).

        ``order`` first-order stages in series, each with time constant ``tau / order``:
        ``d(stage_i)/dt = (stage_{i-1} - stage_i) / (tau / order)``, stage 0 being ``input``; the
        last stage is ``name``. Every stage starts at ``initial`` (default: ``input`` at the start
        time, as SMOOTH and SMTHN without an initial value). ``units`` are those of ``input``; a
        plain number ``tau`` is in the model's time units. A ``tau`` that varies in time acts at
        once on every stage (as in Vensim and Stella).
        """
        order = _order(order, name)
        _check_tau(tau, f"smooth {name!r}")
        tau_e = self._time_const(tau)
        label = f"smooth {name!r} (order {order}) of {input!r}"
        with self._block(label):
            prev: Expr = input
            each = tau_e if order == 1 else tau_e / order
            for i in range(1, order + 1):
                sname = name if i == order else f"{name}__s{i}"
                s = self.stock(
                    sname,
                    prev if initial is None else initial,
                    units,
                    description=(description or f"order-{order} smooth of {input!r}") if i == order else "",
                )
                self.flow(f"{sname}__adjust", (prev - s) / each, f"({units})/({self.time_units})", into=sname)
                self.mark_internal(f"{sname}__adjust")
                if i != order:
                    self.mark_internal(sname)
                prev = s
        return Ref(name)

    def smooth1(
        self,
        name: str,
        input: Expr,
        tau: Expr | float,
        units: str,
        *,
        initial: Expr | float | None = None,
        description: str = "",
    ) -> Ref:
        """First-order exponential smoothing of ``input`` with time constant ``tau`` (SMOOTH).

        ``d(name)/dt = (input - name) / tau``; starts at ``initial`` (default: ``input`` at start).
        """
        return self.smooth(name, input, tau, units, order=1, initial=initial, description=description)

    def smooth3(
        self,
        name: str,
        input: Expr,
        tau: Expr | float,
        units: str,
        *,
        initial: Expr | float | None = None,
        description: str = "",
    ) -> Ref:
        """Third-order smoothing (SMOOTH3): three first-order smooths with ``tau/3`` each."""
        return self.smooth(name, input, tau, units, order=3, initial=initial, description=description)

    def delay(
        self,
        name: str,
        input: Expr,
        tau: Expr | float,
        units: str,
        *,
        order: int = 1,
        initial: Expr | float | None = None,
        description: str = "",
    ) -> Ref:
        """Material delay of order ``order`` (Vensim DELAY1, DELAY3, DELAY N; XMILE DELAYN).

        ``order`` in-transit stocks in series, each emptying at ``stock_i / (tau / order)``; the
        outflow of the last is ``name``.

        ``units`` are the flow's units (per time); each in-transit stock starts at
        ``initial * tau / order`` (``initial``, the outflow at the start, defaults to ``input`` at
        start, as DELAY N's initial value). A plain number ``tau`` is in the model's time units.
        A ``tau`` that varies in time changes every stage's outflow at once (Vensim's and
        XMILE's convention): material is conserved, but it is not a fixed pipeline.
        """
        order = _order(order, name)
        with self._block(f"delay {name!r} (order {order}) of {input!r}"):
            return self._delay_chain(name, input, self._time_const(tau), units, initial, order, description)

    def delay1(
        self,
        name: str,
        input: Expr,
        tau: Expr | float,
        units: str,
        *,
        initial: Expr | float | None = None,
        description: str = "",
    ) -> Ref:
        """First-order material delay (DELAY1): outflow ``name`` = in-transit stock / ``tau``.

        ``units`` are the flow's units (per time); the in-transit stock starts at
        ``initial * tau`` (``initial`` defaults to ``input`` at start), so the outflow starts there.
        """
        return self.delay(name, input, tau, units, order=1, initial=initial, description=description)

    def delay3(
        self,
        name: str,
        input: Expr,
        tau: Expr | float,
        units: str,
        *,
        initial: Expr | float | None = None,
        description: str = "",
    ) -> Ref:
        """Third-order material delay (DELAY3): three stocks in series, ``tau/3`` each."""
        return self.delay(name, input, tau, units, order=3, initial=initial, description=description)

    def _delay_chain(self, name, input, tau, units, initial, order, description) -> Ref:
        _check_tau(tau, f"delay{order} {name!r}")
        stock_units = f"({units})*({self.time_units})"
        start = input if initial is None else as_expr(initial)
        if isinstance(start, Const) and start.units is None:
            start = Const(start.value, units)  # a plain initial outflow is in the flow's units
        each = as_expr(tau) / order
        self.flow(f"{name}__in", input, units, into=f"{name}__stock1")
        self.mark_internal(f"{name}__in")
        for i in range(1, order + 1):
            sname = f"{name}__stock{i}"
            s = self.stock(sname, start * each, stock_units, description=f"in transit, stage {i} of {name}")
            self.mark_internal(sname)
            last = i == order
            fname = name if last else f"{name}__out{i}"
            self.flow(
                fname,
                s / each,
                units,
                out_of=sname,
                into=None if last else f"{name}__stock{i + 1}",
                description=(description or f"delayed {input!r}") if last else "",
            )
            if not last:
                self.mark_internal(fname)
        return Ref(name)

    def trend(
        self,
        name: str,
        input: Expr,
        avg_time: Expr | float,
        units: str,
        *,
        initial_trend: Expr | float = 0.0,
        description: str = "",
    ) -> Ref:
        """Fractional growth rate of ``input`` per time unit (Vensim ``TREND``, XMILE ``TREND``).

        ``average`` smooths ``input`` over ``avg_time`` (first order), starting at
        ``input / (1 + initial_trend * avg_time)``; ``name = (input - average) / (avg_time *
        abs(average))``, in ``1/time_units`` (Vensim writes it with ZIDZ: here an ``average`` of 0
        is a division by zero). ``units`` are those of ``input``; a plain ``initial_trend`` is per
        time unit, a plain ``avg_time`` in time units.
        """
        tau = self._time_const(avg_time)
        g0 = as_expr(initial_trend)
        if isinstance(g0, Const) and g0.units is None:
            g0 = Const(g0.value, f"1/({self.time_units})")
        with self._block(f"trend {name!r} of {input!r}"):
            avg = self.smooth(f"{name}__average", input, tau, units, initial=input / (1 + g0 * tau))
            self.mark_internal(f"{name}__average")
            from jzsim.engine.functions import abs_

            return self.aux(
                name,
                (input - avg) / (tau * abs_(avg)),
                f"1/({self.time_units})",
                description=description or f"trend (fractional growth per {self.time_units}) of {input!r}",
            )

    def forecast(
        self,
        name: str,
        input: Expr,
        avg_time: Expr | float,
        horizon: Expr | float,
        units: str,
        *,
        initial_trend: Expr | float = 0.0,
        description: str = "",
    ) -> Ref:
        """Extrapolate ``input`` ``horizon`` time units ahead along its trend (FORECAST, XMILE FORCST).

        ``input * (1 + trend(input, avg_time) * horizon)``, in ``units`` (those of ``input``); plain
        numbers for ``avg_time`` and ``horizon`` are times.
        """
        with self._block(f"forecast {name!r} of {input!r}"):
            g = self.trend(f"{name}__trend", input, avg_time, units, initial_trend=initial_trend)
            self.mark_internal(f"{name}__trend")
            return self.aux(
                name,
                input * (1 + g * self._time_const(horizon)),
                units,
                description=description or f"forecast of {input!r}",
            )

    def mark_internal(self, name: str) -> None:
        """Mark a declared variable as internal.

        A helper of a building block or an importer: left out of the documentation
        (:func:`jzsim.describe`) but still computed and saved.
        """
        if name not in self._vars:
            close = difflib.get_close_matches(name, list(self._vars), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ModelError(f"mark_internal: no variable {name!r} is declared in model {self.name!r}{hint}")
        self._vars[name] = replace(self._vars[name], internal=True)

    # ------------------------------------------------------------------- running
    @property
    def variables(self) -> dict[str, Variable]:
        """Declared variables by name (read-only view)."""
        return dict(self._vars)

    @property
    def sectors(self) -> dict[str, Sector]:
        """Added sectors by name, in the order they were added (a copy)."""
        return dict(self._sectors)

    def __getstate__(self) -> dict:
        """Pickle the declaration only.

        The compiled form (generated code, loaded kernels) is rebuilt by :meth:`build` where the
        model is unpickled (a Dask worker, another process).
        """
        state = self.__dict__.copy()
        state["_compiled"] = None
        return state

    def build(self) -> CompiledModel:
        """Check the declaration and compile it (cached until the model changes).

        Raises
        ------
        ModelError
            Undefined or duplicate names, algebraic loops, flows into unknown stocks.
        jzsim.engine.units.UnitError
            Dimensionally inconsistent equations (the message names the equation and both units).
        """
        if self._compiled is None:
            from jzsim.engine.compiled import CompiledModel

            for g in self._groups.values():
                unknown = [v for v in g.members.values() if v not in self._vars]
                if unknown:
                    close = difflib.get_close_matches(unknown[0], list(self._vars), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise ModelError(f"group {g.name!r}: member {unknown[0]!r} is not a declared variable{hint}")

            self._compiled = CompiledModel(self)
        return self._compiled

    def run(self, params: dict[str, Any] | None = None, *, draws: int | None = None, **settings: Any) -> xr.Dataset:
        """Run the model and return an ``xarray.Dataset`` with dims ``(draw, time)``.

        Parameters
        ----------
        params : dict, pandas.DataFrame or numpy.ndarray, optional
            Parameter overrides by name: a number (in the parameter's units), a 1-d array with one
            value per draw, or a ``pint.Quantity`` (converted to the parameter's units). A
            DataFrame gives one column per parameter and one row per draw; a 2-d array has shape
            ``(n_draws, n_params)`` with every parameter in declared order.
        draws : int, optional
            Number of draws; default: the length of array overrides, else 1.
        **settings
            ``start``, ``stop``, ``dt``, ``save_every``, ``method``: override the model's settings
            for this run only; ``outputs`` (a list of names: only these are saved and returned,
            default all); ``threads`` (numpy backend: threads splitting the draws, default 1);
            ``backend`` (default ``"numpy"``; see
            :meth:`jzsim.engine.compiled.CompiledModel.integrate`) and ``batch_size`` (draws the
            numpy kernel advances at once, default 16384; ``chunk_size`` is its deprecated name).
        """
        return self.build().run(params, draws=draws, **settings)


def _order(order: Any, name: str) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ModelError(f"{name!r}: order={order!r}; allowed: a whole number >= 1")
    return int(order)


def _check_tau(tau: Any, block: str) -> None:
    """Refuse a constant time constant that is not a positive finite number.

    A model parameter or expression is checked where its value is set.
    """
    if not isinstance(tau, Expr):
        tau = _finite(tau, f"{block}: time constant tau")
    t = as_expr(tau)
    if isinstance(t, Const) and not (t.value > 0 and t.value != float("inf")):
        raise ModelError(f"{block}: time constant tau is {t.value!r}; allowed: a finite number > 0")


def _finite(v: Any, what: str) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ModelError(f"{what} is {v!r}; allowed: a finite number") from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ModelError(f"{what} is {v!r}; allowed: a finite number")
    return f
