"""Lever schedules: a parameter's value as a function of time.

Four kinds, each written in a scenario file's ``[schedules.<parameter>]`` table and entering the
model as an expression of time that every back end (numpy, numba, the XMILE export) already runs:

========== =================================== ============================================================
kind       fields                              value at time t (years)
========== =================================== ============================================================
constant   ``value``                           ``value``
step       ``year, before, after``             ``before`` for t < year, ``after`` from ``year`` on (``F.step``)
ramp       ``start, end, before, after``       ``before`` until ``start``, linear to ``after`` at ``end``,
                                               then ``after`` (``F.ramp``)
table      ``years, values``                   linear interpolation between the points, flat beyond the
                                               first and last (``F.lookup`` over time)
========== =================================== ============================================================

Values are in the parameter's units and are checked against its validity domain; years must lie in
:data:`YEARS` (the domain of the plan's calendar-year parameters).

A schedule puts the lever's value at time t wherever the equations read it. That is a lever moving
over time for everything read step by step (capacities, shares, investment, and growth rates
integrated as stocks, such as ``tfp_growth`` and ``cluster_market_growth``). A parameter that an
equation uses in a closed-form path of time (``exp(grain_yield_growth * (t - t0))``) cannot be
scheduled: the schedule would rewrite the whole path, not its rate from then on, so
:func:`jzsim.plan.plan_model` refuses it; a calendar year cannot be scheduled either.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jzsim.params import Domain

__all__ = ["Schedule", "YEARS", "KINDS"]

#: Years a schedule may name: the domain of the plan's calendar-year parameters (the back-cast
#: starts in 2010, the outlook ends in 2035; a few years' margin either side).
YEARS = Domain(2010.0, 2050.0, False, False)

#: Fields of each kind, in the order they are written.
KINDS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "step": ("year", "before", "after"),
    "ramp": ("start", "end", "before", "after"),
    "table": ("years", "values"),
}


class ScheduleError(ValueError):
    """A malformed schedule; the message names the field, the value and what is allowed."""


def _number(v: Any, where: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise ScheduleError(f"{where} is {v!r} ({type(v).__name__}); allowed: a number")
    f = float(v)
    if not math.isfinite(f):
        raise ScheduleError(f"{where} is {v!r}; allowed: a finite number")
    return f


def _year(v: Any, where: str) -> float:
    y = _number(v, where)
    if not YEARS.contains(y):
        hint = f" ({y:g} looks like a two-digit year: write {2000 + int(y)})" if 0 <= y < 100 and y == int(y) else ""
        raise ScheduleError(f"{where} is {y:g}; allowed: a year in {YEARS}{hint}")
    return y


@dataclass(frozen=True)
class Schedule:
    """A lever's value over time (see the module docstring for the kinds).

    Build one with :meth:`constant`, :meth:`step`, :meth:`ramp` or :meth:`table`, or read it
    from a mapping with :meth:`from_dict`.

    Examples
    --------
    >>> s = Schedule.ramp(2021, 2025, before=0.15, after=0.35)
    >>> [round(float(s.at(t)), 3) for t in (2020, 2023, 2030)]
    [0.15, 0.25, 0.35]
    """

    kind: str
    value: float | None = None
    year: float | None = None
    start: float | None = None
    end: float | None = None
    before: float | None = None
    after: float | None = None
    years: tuple[float, ...] | None = None
    values: tuple[float, ...] | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def constant(cls, value: float) -> Schedule:
        """The same ``value`` at every time."""
        return cls.from_dict({"kind": "constant", "value": value})

    @classmethod
    def step(cls, year: float, before: float, after: float) -> Schedule:
        """``before`` until ``year``, ``after`` from ``year`` on."""
        return cls.from_dict({"kind": "step", "year": year, "before": before, "after": after})

    @classmethod
    def ramp(cls, start: float, end: float, before: float, after: float) -> Schedule:
        """``before`` until ``start``, a straight line to ``after`` at ``end``, then ``after``."""
        return cls.from_dict({"kind": "ramp", "start": start, "end": end, "before": before, "after": after})

    @classmethod
    def table(cls, years: Sequence[float], values: Sequence[float]) -> Schedule:
        """Linear interpolation through ``(years[i], values[i])``, flat beyond the ends."""
        return cls.from_dict({"kind": "table", "years": list(years), "values": list(values)})

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "schedule") -> Schedule:
        """Read and check a schedule given as a mapping (a TOML table).

        Raises
        ------
        ScheduleError
            Unknown kind or field (with a "did you mean"), missing field, wrong type, NaN or
            infinity, a year outside :data:`YEARS`, ramp end not after start, table years not
            strictly increasing or of a different length than its values.
        """
        if not isinstance(d, Mapping):
            raise ScheduleError(f"{where} is {d!r}; allowed: a table with kind = {' | '.join(KINDS)}")
        kind = d.get("kind")
        if kind not in KINDS:
            close = difflib.get_close_matches(str(kind), list(KINDS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ScheduleError(f"{where}.kind is {kind!r}; allowed: {', '.join(map(repr, KINDS))}{hint}")
        fields = KINDS[kind]
        for k in d:
            if k != "kind" and k not in fields:
                close = difflib.get_close_matches(str(k), list(fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ScheduleError(
                    f"{where}: unknown field {k!r} for a {kind} schedule; allowed: {', '.join(fields)}{hint}"
                )
        missing = [f for f in fields if f not in d]
        if missing:
            raise ScheduleError(f"{where}: a {kind} schedule needs {', '.join(fields)}; missing {', '.join(missing)}")
        kw: dict[str, Any] = {}
        for f in fields:
            w = f"{where}.{f}"
            if f in ("years", "values"):
                seq = d[f]
                if isinstance(seq, (str, bytes, Mapping)) or not isinstance(seq, Sequence):
                    raise ScheduleError(f"{w} is {seq!r}; allowed: a list of numbers")
                conv = _year if f == "years" else _number
                kw[f] = tuple(conv(x, f"{w}[{i}]") for i, x in enumerate(seq))
            elif f in ("year", "start", "end"):
                kw[f] = _year(d[f], w)
            else:
                kw[f] = _number(d[f], w)
        s = cls(kind, **kw)
        if kind == "ramp" and not s.end > s.start:
            raise ScheduleError(f"{where}: end {s.end:g} is not after start {s.start:g}; allowed: end > start")
        if kind == "table":
            if len(s.years) != len(s.values) or len(s.years) < 2:
                raise ScheduleError(
                    f"{where}: years ({len(s.years)}) and values ({len(s.values)}) must have the same length >= 2"
                )
            if any(b <= a for a, b in zip(s.years, s.years[1:])):
                raise ScheduleError(f"{where}.years {list(s.years)} are not strictly increasing")
        return s

    # ------------------------------------------------------------------ reading
    def to_dict(self) -> dict[str, Any]:
        """The schedule as a mapping (``kind`` first), as written in a TOML table."""
        out: dict[str, Any] = {"kind": self.kind}
        for f in KINDS[self.kind]:
            v = getattr(self, f)
            out[f] = list(v) if isinstance(v, tuple) else v
        return out

    def levels(self) -> tuple[float, ...]:
        """Every value the schedule takes at a corner (its extremes are among them)."""
        if self.kind == "constant":
            return (self.value,)
        if self.kind == "table":
            return self.values
        return (self.before, self.after)

    def at(self, t: Any) -> np.ndarray:
        """The value at time(s) ``t`` (numpy; the model evaluates :meth:`expr`)."""
        t = np.asarray(t, dtype=float)
        if self.kind == "constant":
            return np.full_like(t, self.value)
        if self.kind == "step":
            return np.where(t >= self.year, self.after, self.before)
        if self.kind == "ramp":
            return np.interp(t, [self.start, self.end], [self.before, self.after])
        return np.interp(t, self.years, self.values)

    def describe(self) -> str:
        """One line, e.g. ``"ramp 0.15 -> 0.35 over 2021-2025"``."""
        if self.kind == "constant":
            return f"constant {self.value:g}"
        if self.kind == "step":
            return f"step {self.before:g} -> {self.after:g} in {self.year:g}"
        if self.kind == "ramp":
            return f"ramp {self.before:g} -> {self.after:g} over {self.start:g}-{self.end:g}"
        return "table " + ", ".join(f"{y:g}: {v:g}" for y, v in zip(self.years, self.values))

    def expr(self, units: str, time_units: str = "year"):
        """The schedule as an equation of simulation time, in ``units``.

        Uses only the engine's time functions (``F.step``, ``F.ramp``, ``F.lookup`` of
        ``F.time()``), which both kernels and the XMILE export run.
        """
        from jzsim.engine import functions as F

        u = None if str(units).strip() in ("", "1") else units
        c = lambda v: F.const(v, u)  # noqa: E731
        t = lambda y: F.const(y, time_units)  # noqa: E731
        if self.kind == "constant":
            return c(self.value)
        if self.kind == "step":
            return c(self.before) + F.step(c(self.after - self.before), t(self.year))
        if self.kind == "ramp":
            slope = (self.after - self.before) / (self.end - self.start)
            su = f"1/({time_units})" if u is None else f"({u})/({time_units})"
            return c(self.before) + F.ramp(F.const(slope, su), t(self.start), t(self.end))
        return F.lookup(F.time(), self.years, self.values, units=u, x_units=time_units)
