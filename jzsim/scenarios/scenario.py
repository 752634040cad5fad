"""Scenarios: named sets of parameter overrides, lever schedules and uncertainty overrides.

A scenario file is TOML (read with :mod:`tomllib`)::

    name = "water-squeeze"                  # letters, digits, - and _
    description = "one line"
    base = "plan"                           # optional: a built-in name or a .toml path (relative to this file)
    plan_lines = ["ch.23 L230"]             # the plan lines it follows
    reasoning = "why these numbers"

    [params]                                # a number FIXES the parameter (any valid value)
    transferred_capacity_policy = 0.12      # in the parameter's units, or a string with units:
    tfp_growth = "1.2 percent/year"         # converted, refused if of another dimension

    [schedules.well_closure_share]          # a lever over time (see jzsim.scenarios.schedule)
    kind = "ramp"
    start = 2021
    end = 2025
    before = 0.0
    after = 0.5

    [uncertainty.tfp_growth]                # redraw it from another distribution
    distribution = "uniform"
    low = 0.005
    high = 0.02

    [notes]                                 # every number's source or "assumption: <reasoning>"
    transferred_capacity_policy = "assumption: ..."

A scenario inherits everything from its ``base`` and overrides it key by key (a parameter set in
``[params]`` replaces the base's schedule or uncertainty for it, and so on). Every field is
checked where the file is read, with one error naming the file, the table, the key and what is
allowed; unknown keys get a "did you mean".
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from jzsim.params import DISTRIBUTIONS, Parameter, check_joint, check_value, load_parameters, with_overrides
from jzsim.scenarios.schedule import Schedule, ScheduleError
from jzsim.scenarios.toml import dumps

__all__ = [
    "Scenario",
    "Uncertainty",
    "ScenarioError",
    "load_scenario",
    "resolve",
    "apply_scenario",
    "builtin_names",
    "list_scenarios",
]

TOP_KEYS = ("name", "description", "base", "plan_lines", "reasoning", "params", "schedules", "uncertainty", "notes")
TABLES = ("params", "schedules", "uncertainty", "notes")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
#: Distributions an ``[uncertainty]`` entry may name ("fixed" is a ``[params]`` number; an
#: empirical sample is a Python :class:`~jzsim.params.Parameter`).
UNCERTAIN = tuple(d for d in DISTRIBUTIONS if d not in ("fixed", "empirical"))


class ScenarioError(ValueError):
    """A scenario that cannot be read or applied; the message names the file, table and key."""


def _hint(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _number(v: Any, where: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
        raise ScenarioError(f"{where} is {v!r} ({type(v).__name__}); allowed: a number")
    f = float(v)
    if not math.isfinite(f):
        raise ScenarioError(f"{where} is {v!r}; allowed: a finite number")
    return f


@dataclass(frozen=True)
class Uncertainty:
    """A distribution to draw a parameter from, replacing its declared one.

    Attributes
    ----------
    distribution : {"uniform", "triangular", "truncnormal", "lognormal"}
    low, high : float
        Bounds, in the parameter's units.
    value : float, optional
        Mode (triangular), mean (truncnormal) or median (lognormal), and the nominal value of a
        deterministic run; default the parameter's value if it lies in ``[low, high]``, else the
        middle of a uniform (the other distributions need it).
    """

    distribution: str
    low: float
    high: float
    value: float | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "uncertainty") -> Uncertainty:
        """Read and check an ``[uncertainty.<name>]`` table."""
        if not isinstance(d, Mapping):
            raise ScenarioError(f"{where} is {d!r}; allowed: a table with distribution, low, high (and value)")
        allowed = ("distribution", "low", "high", "value")
        for k in d:
            if k not in allowed:
                raise ScenarioError(f"{where}: unknown key {k!r}; allowed: {', '.join(allowed)}{_hint(k, allowed)}")
        dist = d.get("distribution")
        if dist not in UNCERTAIN:
            extra = " (to fix a parameter give a number in [params])" if dist == "fixed" else ""
            raise ScenarioError(
                f"{where}.distribution is {dist!r}; allowed: {', '.join(UNCERTAIN)}{extra}{_hint(dist, UNCERTAIN)}"
            )
        for k in ("low", "high"):
            if k not in d:
                raise ScenarioError(f"{where}: missing {k!r}; a {dist} distribution needs low and high")
        low, high = _number(d["low"], f"{where}.low"), _number(d["high"], f"{where}.high")
        value = None if d.get("value") is None else _number(d["value"], f"{where}.value")
        if low > high:
            raise ScenarioError(f"{where}: low {low:g} is above high {high:g}")
        if value is not None and not low <= value <= high:
            raise ScenarioError(f"{where}: value {value:g} is outside [low, high] = [{low:g}, {high:g}]")
        return cls(dist, low, high, value)

    @classmethod
    def from_object(cls, obj: Any, where: str = "uncertainty") -> Uncertainty:
        """Adapter for distribution objects such as ``Uniform(low, high)`` or
        ``Triangular(low, mode, high)`` (``jzsim.uncertainty.distributions``): the class name gives
        the distribution, ``low``/``high`` the bounds, ``mode``/``median``/``mean``/``value`` the value."""
        if isinstance(obj, Uncertainty):
            return obj
        if isinstance(obj, Mapping):
            return cls.from_dict(obj, where)
        if not (hasattr(obj, "low") and hasattr(obj, "high")):
            raise ScenarioError(f"{where} is {obj!r}; allowed: a table or a distribution object with low and high")
        value = next(
            (getattr(obj, a) for a in ("mode", "median", "mean", "value") if getattr(obj, a, None) is not None), None
        )
        d = {"distribution": type(obj).__name__.lower(), "low": obj.low, "high": obj.high}
        if value is not None:
            d["value"] = value
        return cls.from_dict(d, where)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"distribution": self.distribution, "low": self.low, "high": self.high}
        if self.value is not None:
            d["value"] = self.value
        return d

    def apply(self, p: Parameter) -> Parameter:
        """``p`` drawn from this distribution (validated against ``p``'s domain)."""
        value = self.value
        if value is None:
            if self.low <= p.value <= self.high:
                value = p.value
            elif self.distribution == "uniform":
                value = (self.low + self.high) / 2
            else:
                raise ValueError(
                    f"parameter {p.name!r}: its value {p.value:g} is outside [{self.low:g}, {self.high:g}]; "
                    f"give value = the {self.distribution} distribution's centre"
                )
        was = f"{p.distribution}" + (f" on [{p.low:g}, {p.high:g}]" if p.low is not None and p.high is not None else "")
        return replace(
            p,
            distribution=self.distribution,
            low=self.low,
            high=self.high,
            value=value,
            sample=None,
            source=f"user: redrawn {self.distribution} on [{self.low:g}, {self.high:g}] (was {was}; {p.source})",
        )


@dataclass(frozen=True)
class Scenario:
    """A named scenario: parameter overrides, lever schedules and uncertainty overrides.

    Build it in Python or read it with :func:`load_scenario` / :meth:`from_toml`; :meth:`to_toml`
    writes it back without loss (``Scenario.from_toml(s.to_toml()) == s``).

    Attributes
    ----------
    name : str
        Letters, digits, ``-`` and ``_``.
    description : str
    base : str, optional
        Scenario it inherits from (a built-in name or a .toml path).
    params : mapping
        Name -> number in the parameter's units (fixes it), or a string with units
        (``"1.5 percent/year"``).
    schedules : mapping
        Name -> :class:`~jzsim.scenarios.schedule.Schedule` (or a mapping read by
        :meth:`Schedule.from_dict`).
    uncertainty : mapping
        Name -> :class:`Uncertainty` (or a mapping, or a distribution object with low and high).
    notes : mapping
        Key -> the source of its number (``"plan ch.N LNN: ..."``, ``"public: ..."``) or
        ``"assumption: <reasoning>"``.
    plan_lines : tuple of str
        The plan lines the scenario follows (``"ch.23 L230"``).
    reasoning : str
    origin : str
        Where it was read from (not compared, not written).
    """

    name: str
    description: str = ""
    base: str | None = None
    params: Mapping[str, float | str] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)
    uncertainty: Mapping[str, Uncertainty] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    plan_lines: tuple[str, ...] = ()
    reasoning: str = ""
    origin: str = field(default="", compare=False)

    def __post_init__(self):
        where = f"scenario {self.name!r}" + (f" ({self.origin})" if self.origin else "")
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ScenarioError(
                f"{where}: name is {self.name!r}; allowed: letters, digits, - and _ (e.g. 'water-squeeze')"
            )
        for f in ("description", "reasoning"):
            if not isinstance(getattr(self, f), str):
                raise ScenarioError(f"{where}: {f} is {getattr(self, f)!r}; allowed: a string")
        if self.base is not None and (not isinstance(self.base, str) or not self.base):
            raise ScenarioError(f"{where}: base is {self.base!r}; allowed: a scenario name or a .toml path")
        lines = self.plan_lines
        if isinstance(lines, str) or not isinstance(lines, Sequence) or not all(isinstance(x, str) for x in lines):
            raise ScenarioError(f"{where}: plan_lines is {lines!r}; allowed: a list of strings such as 'ch.23 L230'")
        object.__setattr__(self, "plan_lines", tuple(lines))
        for t in TABLES:
            if not isinstance(getattr(self, t), Mapping):
                raise ScenarioError(f"{where}: [{t}] is {getattr(self, t)!r}; allowed: a table")
            for k in getattr(self, t):
                if not isinstance(k, str):
                    raise ScenarioError(f"{where}: [{t}] key {k!r} is a {type(k).__name__}; allowed: a parameter name")
        params = {}
        for k, v in self.params.items():
            if hasattr(v, "magnitude") and hasattr(v, "units"):  # a pint Quantity: kept as text with units
                v = f"{float(v.magnitude)!r} {v.units}"
            elif not isinstance(v, str):
                v = _number(v, f"{where}: [params] {k}")
            params[k] = v
        object.__setattr__(self, "params", params)
        try:
            sched = {
                k: v if isinstance(v, Schedule) else Schedule.from_dict(v, f"[schedules.{k}]")
                for k, v in self.schedules.items()
            }
        except ScheduleError as exc:
            raise ScenarioError(f"{where}: {exc}") from None
        object.__setattr__(self, "schedules", sched)
        unc = {k: Uncertainty.from_object(v, f"{where}: [uncertainty.{k}]") for k, v in self.uncertainty.items()}
        object.__setattr__(self, "uncertainty", unc)
        for k, v in self.notes.items():
            if not isinstance(v, str):
                raise ScenarioError(f"{where}: [notes] {k} is {v!r}; allowed: a string (a source or 'assumption: ...')")
        object.__setattr__(self, "notes", dict(self.notes))
        seen: dict[str, str] = {}
        for t in ("params", "schedules", "uncertainty"):
            for k in getattr(self, t):
                if k in seen:
                    raise ScenarioError(
                        f"{where}: {k!r} is in both [{seen[k]}] and [{t}]; allowed: one of them "
                        "(a number fixes it, a schedule varies it over time, [uncertainty] redraws it)"
                    )
                seen[k] = t
        for k in self.notes:
            if k not in seen:
                raise ScenarioError(
                    f"{where}: [notes] {k!r} is not set in [params], [schedules] or [uncertainty]{_hint(k, seen)}"
                )

    # ------------------------------------------------------------------ TOML
    def to_dict(self) -> dict[str, Any]:
        """The scenario as the mapping its TOML file holds."""
        d: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.base is not None:
            d["base"] = self.base
        d["plan_lines"] = list(self.plan_lines)
        d["reasoning"] = self.reasoning
        d["params"] = dict(self.params)
        d["schedules"] = {k: s.to_dict() for k, s in self.schedules.items()}
        d["uncertainty"] = {k: u.to_dict() for k, u in self.uncertainty.items()}
        d["notes"] = dict(self.notes)
        return d

    def to_toml(self) -> str:
        """TOML text that :meth:`from_toml` reads back to an equal scenario."""
        return dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_toml` to ``path`` (a ``.toml`` file)."""
        path = Path(path)
        if path.suffix != ".toml":
            raise ScenarioError(f"scenario file {str(path)!r}: allowed: a name ending in .toml")
        path.write_text(self.to_toml(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], origin: str = "") -> Scenario:
        """Read a scenario from a mapping (a parsed TOML document); unknown keys are refused."""
        where = f"scenario file {origin}" if origin else "scenario"
        if not isinstance(d, Mapping):
            raise ScenarioError(f"{where}: is {d!r}; allowed: a table")
        for k in d:
            if k not in TOP_KEYS:
                raise ScenarioError(f"{where}: unknown key {k!r}; allowed: {', '.join(TOP_KEYS)}{_hint(k, TOP_KEYS)}")
        if "name" not in d:
            raise ScenarioError(f"{where}: missing key 'name'; every scenario has a name")
        kw = {k: d[k] for k in TOP_KEYS if k in d}
        return cls(**kw, origin=origin)

    @classmethod
    def from_toml(cls, text: str, origin: str = "") -> Scenario:
        """Read a scenario from TOML text."""
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"scenario file {origin or '<text>'}: not valid TOML: {exc}") from None
        return cls.from_dict(doc, origin)

    # ------------------------------------------------------------------ meaning
    def with_params(self, values: Mapping[str, Any], note: str = "user: fixed on top of the scenario") -> Scenario:
        """This scenario resolved, with ``values`` fixed on top (each replaces the scenario's own
        number, schedule or distribution for that parameter; e.g. the CLI's ``--set``)."""
        r = resolve(self)
        if not values:
            return r
        keep = lambda d: {k: v for k, v in d.items() if k not in values}  # noqa: E731
        return replace(
            r,
            params={**keep(r.params), **values},
            schedules=keep(r.schedules),
            uncertainty=keep(r.uncertainty),
            notes={**keep(r.notes), **dict.fromkeys(values, note)},
        )

    def resolved(self) -> Scenario:
        """This scenario with its base chain merged in (see :func:`resolve`)."""
        return resolve(self)

    def apply(self, params: Mapping[str, Parameter] | None = None) -> tuple[dict[str, Parameter], dict[str, Schedule]]:
        """Parameters with the scenario applied, and the schedules (see :func:`apply_scenario`)."""
        return apply_scenario(self, params)


# ---------------------------------------------------------------------------- finding scenarios
def _builtin_dir():
    return resources.files("jzsim.scenarios").joinpath("builtin")


def builtin_names() -> list[str]:
    """Names of the built-in scenarios (files ``jzsim/scenarios/builtin/<name>.toml``)."""
    return sorted(p.name[:-5] for p in _builtin_dir().iterdir() if p.name.endswith(".toml"))


def load_scenario(ref: str | Path | Scenario, *, relative_to: Path | None = None) -> Scenario:
    """A scenario from a built-in name, a ``.toml`` path, or a :class:`Scenario` (returned as is).

    Raises
    ------
    ScenarioError
        Unknown name (with a "did you mean"), a missing or malformed file.
    """
    if isinstance(ref, Scenario):
        return ref
    if not isinstance(ref, (str, Path)):
        raise ScenarioError(f"scenario is {ref!r} ({type(ref).__name__}); allowed: a name, a .toml path or a Scenario")
    names = builtin_names()
    if isinstance(ref, str) and ref in names:
        f = _builtin_dir().joinpath(f"{ref}.toml")
        return Scenario.from_toml(f.read_text(encoding="utf-8"), origin=f"builtin {ref}.toml")
    path = Path(ref)
    if relative_to is not None and not path.is_absolute():
        path = relative_to / path
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"scenario file {str(path)!r} does not exist")
        return Scenario.from_toml(path.read_text(encoding="utf-8"), origin=str(path))
    raise ScenarioError(
        f"unknown scenario {str(ref)!r}; allowed: {', '.join(names)} or a path to a .toml file{_hint(str(ref), names)}"
    )


def resolve(sc: str | Path | Scenario) -> Scenario:
    """The scenario with its ``base`` chain merged in (``base`` None afterwards).

    Keys of a later scenario replace the same keys of its base; a parameter set in one table
    (``params``, ``schedules``, ``uncertainty``) is removed from the other two. The chain is
    refused if a base does not exist or the chain comes back to a scenario already in it.
    """
    chain = [load_scenario(sc)]
    keys = [_chain_key(chain[0])]
    while chain[-1].base is not None:
        cur = chain[-1]
        here = Path(cur.origin).parent if cur.origin and not cur.origin.startswith("builtin") else None
        try:
            nxt = load_scenario(cur.base, relative_to=here)
        except ScenarioError as exc:
            route = " -> ".join(c.name for c in chain)
            raise ScenarioError(f"scenario {cur.name!r}: base {cur.base!r} (chain {route}): {exc}") from None
        key = _chain_key(nxt)
        if key in keys:
            route = " -> ".join([*(c.name for c in chain), nxt.name])
            raise ScenarioError(f"scenario {chain[0].name!r}: its base chain comes back on itself: {route}")
        chain.append(nxt)
        keys.append(key)
    merged: dict[str, dict] = {t: {} for t in TABLES}
    for s in reversed(chain):
        for t in ("params", "schedules", "uncertainty"):
            for k, v in getattr(s, t).items():
                for other in ("params", "schedules", "uncertainty"):
                    merged[other].pop(k, None)
                merged[t][k] = v
        merged["notes"].update(s.notes)
    notes = {
        k: v for k, v in merged["notes"].items() if any(k in merged[t] for t in ("params", "schedules", "uncertainty"))
    }
    top = chain[0]
    lines = tuple(dict.fromkeys(x for s in reversed(chain) for x in s.plan_lines))
    return replace(top, base=None, plan_lines=lines, notes=notes, **{t: merged[t] for t in TABLES if t != "notes"})


def _chain_key(s: Scenario) -> str:
    return s.origin if s.origin and not s.origin.startswith("builtin") else f"builtin:{s.name}"


def apply_scenario(
    sc: str | Path | Scenario, params: Mapping[str, Parameter] | None = None
) -> tuple[dict[str, Parameter], dict[str, Schedule]]:
    """Check a scenario against the parameters and apply it.

    Parameters
    ----------
    sc : str, path or Scenario
    params : mapping, optional
        Name -> :class:`~jzsim.params.Parameter`; default :func:`~jzsim.params.load_parameters`.

    Returns
    -------
    parameters : dict
        Name -> Parameter: ``[params]`` numbers fixed (:func:`~jzsim.params.with_overrides`),
        ``[uncertainty]`` distributions replaced.
    schedules : dict
        Name -> :class:`Schedule` for the parameters that vary over time (the model declares them
        as equations of time; see :func:`jzsim.plan.plan_model`).

    Raises
    ------
    ScenarioError
        Unknown parameter names (with a "did you mean"), values outside a parameter's validity
        domain, a schedule of a calendar year, shares of one whole that can sum above 1.
    """
    s = resolve(sc)
    declared = dict(load_parameters() if params is None else params)
    where = f"scenario {s.name!r}" + (f" ({s.origin})" if s.origin else "")
    for t in ("params", "schedules", "uncertainty"):
        for k in getattr(s, t):
            if k not in declared:
                raise ScenarioError(f"{where}: [{t}] unknown parameter {k!r}{_hint(k, declared)}")
    values = {}
    for k, v in s.params.items():
        if isinstance(v, str):
            v = _quantity(v, f"{where}: [params] {k}")
        try:
            values[k] = check_value(declared[k], v, what="value")
        except ValueError as exc:
            raise ScenarioError(f"{where}: [params] {exc}") from None
    out = with_overrides(declared, values)
    for k, u in s.uncertainty.items():
        try:
            out[k] = u.apply(out[k])
        except ValueError as exc:
            raise ScenarioError(f"{where}: [uncertainty.{k}] {exc}") from None
    check = dict(out)
    for k, sch in s.schedules.items():
        p = out[k]
        if p.kind == "year":
            raise ScenarioError(
                f"{where}: [schedules.{k}] {k} is a calendar year; it cannot vary over time (set it in [params])"
            )
        for v in sch.levels():
            try:
                check_value(p, v, what="schedule value")
            except ValueError as exc:
                raise ScenarioError(f"{where}: [schedules.{k}] {exc}") from None
        lo, hi = min(sch.levels()), max(sch.levels())
        # the schedule's range stands in for a belief range in the joint checks
        check[k] = replace(p, value=hi, low=lo, high=hi, distribution="uniform" if hi > lo else "fixed")
    try:
        check_joint(check)
    except ValueError as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    return out, dict(s.schedules)


def _quantity(text: str, where: str):
    from jzsim.engine.units import ureg

    try:
        q = ureg.Quantity(text)
    except Exception as exc:  # pint raises several error types for unparsable text
        raise ScenarioError(
            f"{where} is {text!r}; allowed: a number, or a string with units such as '1.5 percent/year' ({exc})"
        ) from None
    if not hasattr(q, "units") or str(q.units) == "dimensionless" and not re.search(r"[A-Za-z%]", text):
        raise ScenarioError(
            f"{where} is {text!r}, a number in quotes; allowed: a number without quotes, or a string with units"
        )
    return q


def list_scenarios():
    """The built-in scenarios as a DataFrame: name, base, description, plan lines, overrides."""
    import pandas as pd

    rows = []
    for n in builtin_names():
        s = load_scenario(n)
        rows.append(
            dict(
                name=n,
                base=s.base or "",
                description=s.description,
                plan_lines=", ".join(s.plan_lines),
                params=len(s.params),
                schedules=len(s.schedules),
                uncertainty=len(s.uncertainty),
            )
        )
    return pd.DataFrame(rows).set_index("name")
