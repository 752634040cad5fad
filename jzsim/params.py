"""Parameters: declared once with unit, nominal value, belief range, validity domain and source.

The plan model's parameters live in ``jzsim/data/parameters/<sector>.csv``, one row per parameter,
with the columns ``name,units,value,low,high,valid,whole,above,distribution,source,description``.
They are validated when loaded, so every later step can trust them.

Belief range and validity domain
--------------------------------
``low, high`` is the **belief range**: where Monte Carlo draws the parameter from (what we think
is likely). ``valid`` is the **validity domain**: every value that makes physical sense, whatever
we believe. A scenario or an override may set any valid value, including one outside the belief
range; an invalid value is refused with one error naming the parameter, the value and what is
allowed. The columns:

``valid``
    An interval in mathematical notation, ``[`` / ``]`` closed and ``(`` / ``)`` open, ``inf``
    allowed: ``"[0, 1]"``, ``"(0, inf)"``, ``"[2010, 2050]"``. Required on every row. The classes
    used for the plan's parameters, and why:

    - ``[0, 1]``: a share or fraction of a whole (``units`` ``1``). A value in ``(1, 100]`` whose
      hundredth is valid is refused as "looks like a percent: 35 -> 0.35".
    - ``(0, 1)`` / ``(0, 1]`` / ``[0, 1)``: a share that an equation divides by, or that must leave
      something over (a Cobb-Douglas exponent, the tertiary share, the participation rate).
    - ``[0, inf)``: a stock's start, a flow, an area, a quota: a quantity that cannot be negative.
    - ``(0, inf)``: a start-year level that indexes are divided by (GDP, population, incomes, the
      base yield) and a time constant an equation divides by in closed form (the reuse rate's).
    - ``[0.25, inf)`` (``year``): a time constant integrated by the Euler step (adoption,
      structural adjustment, demand lag, the aquifer's drain time): one shorter than the default
      step of a quarter year overshoots (the step moves past the target it adjusts to) and is
      below the yearly resolution of every figure the model uses.
    - ``[0, 1)``: the start-year urbanisation (the rural population divides), ``[0.3, 1]`` the
      working-age share and the participation rate, ``[0, 0.5]`` the unemployment rate: below
      (above) these the start year's farm labour alone exceeds the labour force, and no recorded
      population comes near (the lowest working-age shares are near 0.47, unemployment peaked
      near 0.25 in the 1930s).
    - ``[-0.2, 0.2]`` (``1/year``): a long-run growth rate (TFP, yields, markets, quota declines).
      Sustained for the 15 years to 2035 it multiplies a level by 15 or divides it by 28, beyond
      any district's record; a larger number is almost surely a percent typed for a share
      (``tfp_growth=5``). Population rates are bounded by demography (births or deaths above 10%
      of residents a year have never been recorded anywhere); the working-age share's yearly
      change by ``[-0.02, 0.02]`` (30 points over 15 years, twice the fastest ageing on record).
    - ``[0, 3]``, ``[0, 5]``: elasticities, non-negative by the sign the equations assume, bounded
      well above any estimate in the literature.
    - ``[2010, 2050]`` (``units`` ``year``): a calendar year inside or near the horizon (the
      back-cast starts in 2010; the outlook ends in 2035). A two-digit year (``25``) is refused.

``whole``
    A group name shared by shares of one whole (the three clusters' shares of industrial
    investment, ``cluster_investment``). Their largest possible values (the fixed value, or
    ``high`` for an uncertain one) must sum to at most 1, so no draw can exceed the whole.

``above``
    The name of a parameter this one must be strictly greater than: a policy's end year above its
    start year (the equations divide by the difference), GDP above primary value added (non-farm
    value added is their difference and enters a logarithm).

A :class:`Parameter` built in Python defaults to ``valid="(-inf, inf)"`` (any finite number).

Overrides
---------
:func:`with_overrides` is the edge every override passes (``simulate``, ``monte_carlo``,
scenarios, the CLI). A number **fixes** the parameter: distribution ``"fixed"`` in every draw, at
that value, which may lie outside the belief range. Shifting or replacing a distribution is a
separate request (a whole :class:`Parameter`, or a scenario's ``[uncertainty]`` table).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Parameter",
    "Domain",
    "DISTRIBUTIONS",
    "load_parameters",
    "parameters",
    "with_overrides",
    "check_value",
    "check_joint",
]

#: Distributions a parameter may declare, and what they mean (all within [low, high]).
DISTRIBUTIONS = {
    "fixed": "not varied in Monte Carlo; always the nominal value",
    "uniform": "uniform on [low, high]",
    "triangular": "triangular on [low, high] with mode at the nominal value",
    "truncnormal": "normal with mean = value and sd = (high - low) / 4, truncated to [low, high]",
    "lognormal": "lognormal with median = value and sigma = ln(high / low) / 4, truncated to [low, high]",
    "empirical": "resampled from a given sample (e.g. a calibration result)",
}
SOURCE_PREFIXES = ("plan ch", "public:", "assumption:", "calibrated:", "user:")
_INTERVAL = re.compile(r"^\s*([\[(])\s*([^,\s]+)\s*,\s*([^,\s\])]+)\s*([\])])\s*$")


def _fmt(x: float) -> str:
    return "inf" if x == math.inf else "-inf" if x == -math.inf else f"{x:g}"


@dataclass(frozen=True)
class Domain:
    """An interval of valid values, ``low`` and ``high`` each closed or open.

    Examples
    --------
    >>> d = Domain.parse("(0, inf)")
    >>> d.contains(0.0), d.contains(3.0), str(d)
    (False, True, '(0, inf)')
    """

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = True
    high_open: bool = True

    @classmethod
    def parse(cls, text: str) -> Domain:
        """Read ``"[0, 1]"``, ``"(0, inf)"``, ``"[2010, 2050]"``; raise ``ValueError`` otherwise."""
        if isinstance(text, Domain):
            return text
        m = _INTERVAL.match(str(text))
        try:
            if not m:
                raise ValueError
            lo, hi = float(m.group(2)), float(m.group(3))
        except ValueError:
            raise ValueError(
                f"valid is {text!r}; allowed: an interval such as '[0, 1]', '(0, inf)' or '[2010, 2050]'"
            ) from None
        if math.isnan(lo) or math.isnan(hi) or lo > hi or lo == math.inf or hi == -math.inf:
            raise ValueError(f"valid is {text!r}; allowed: an interval with low <= high")
        return cls(lo, hi, m.group(1) == "(" or lo == -math.inf, m.group(4) == ")" or hi == math.inf)

    def contains(self, x):
        """Whether ``x`` lies in the interval (elementwise for an array)."""
        lo_ok = x > self.low if self.low_open else x >= self.low
        hi_ok = x < self.high if self.high_open else x <= self.high
        return lo_ok & hi_ok if isinstance(x, np.ndarray) else bool(lo_ok and hi_ok)

    def __str__(self) -> str:
        return f"{'(' if self.low_open else '['}{_fmt(self.low)}, {_fmt(self.high)}{')' if self.high_open else ']'}"


ANY = Domain()


@dataclass(frozen=True)
class Parameter:
    """A model parameter with its provenance.

    Attributes
    ----------
    name : str
    units : str
        pint-compatible unit string (jzsim's units included, e.g. ``"yiyuan/year"``).
    value : float
        Nominal value, in ``units``.
    low, high : float, optional
        Belief range, in ``units``: where Monte Carlo draws it from.
    distribution : str
        One of :data:`DISTRIBUTIONS`.
    source : str
        Starts with one of :data:`SOURCE_PREFIXES`: ``"plan ch.N LNN: ..."``, ``"public: ..."``,
        ``"assumption: <reasoning>"``, ``"calibrated: ..."`` or ``"user: ..."``.
    description : str
    sector : str
    sample : tuple of float, optional
        The sample behind an ``empirical`` distribution.
    valid : Domain or str, default ``"(-inf, inf)"``
        Validity domain (see the module docstring); a string is parsed by :meth:`Domain.parse`.
    whole : str, default ""
        Group of shares of one whole whose largest values must sum to at most 1.
    above : str, default ""
        Name of a (year) parameter this one must be strictly greater than.
    stream : str, optional
        Name of the random stream the parameter is drawn from (default: its own name). Parameters
        sharing a stream get the same uniform in every draw: ``empirical`` ones with samples of
        equal length then take the same row of their samples (a joint sample, e.g. a posterior).
    """

    name: str
    units: str
    value: float
    low: float | None = None
    high: float | None = None
    distribution: str = "fixed"
    source: str = ""
    description: str = ""
    sector: str = ""
    sample: tuple[float, ...] | None = field(default=None, repr=False)
    valid: Domain = ANY
    whole: str = ""
    above: str = ""
    stream: str | None = None

    def __post_init__(self):
        if not isinstance(self.valid, Domain):
            try:
                object.__setattr__(self, "valid", Domain.parse(self.valid))
            except ValueError as exc:
                raise ValueError(f"parameter {self.name!r}: {exc}") from None
        self.validate()

    @property
    def uncertain(self) -> bool:
        """Whether Monte Carlo varies this parameter (any distribution but ``fixed``)."""
        return self.distribution != "fixed"

    @property
    def kind(self) -> str:
        """``"share"`` (dimensionless within [0, 1]), ``"year"`` (a calendar year) or ``""``."""
        if str(self.units).strip() in ("1", "", "dimensionless") and self.valid.low >= 0 and self.valid.high <= 1:
            return "share"
        if str(self.units).strip() == "year" and self.valid.low >= 1000:
            return "year"
        return ""

    def allowed(self) -> str:
        """What values are allowed, in words: ``"a share in [0, 1]"``, ``"a number in (0, inf) year"``."""
        what = {"share": "a share", "year": "a calendar year"}.get(self.kind, "a number")
        units = "" if self.kind else f" {self.units}"
        return f"{what} in {self.valid}{units}"

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field, the value and what is allowed."""
        where = f"parameter {self.name!r}" + (f" (sector {self.sector})" if self.sector else "")
        if not str(self.name).isidentifier():
            raise ValueError(f"{where}: name is not a valid identifier; allowed: letters, digits, _")
        if self.name == "time":
            raise ValueError(f"{where}: the name 'time' is reserved for simulation time; choose another name")
        for f in ("value", "low", "high"):
            v = getattr(self, f)
            if f != "value" and v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{where}: {f} is {v!r}; allowed: a finite number")
        if self.distribution not in DISTRIBUTIONS:
            close = difflib.get_close_matches(str(self.distribution), list(DISTRIBUTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"{where}: distribution is {self.distribution!r}; allowed: {', '.join(DISTRIBUTIONS)}{hint}"
            )
        if not self.valid.contains(self.value):
            raise ValueError(f"{where}: value is {self.value!r}; allowed: {self.allowed()}{_hint(self, self.value)}")
        for f in ("low", "high"):
            v = getattr(self, f)
            if v is not None and not self.valid.contains(v):
                raise ValueError(f"{where}: {f} is {v!r}, outside the validity domain; allowed: {self.allowed()}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"{where}: low {self.low} is above high {self.high}")
        if self.uncertain and (
            self.low is not None and self.value < self.low or self.high is not None and self.value > self.high
        ):
            raise ValueError(
                f"{where}: value {self.value} is outside its range [{self.low}, {self.high}] (the belief range its "
                f"{self.distribution} distribution draws from); fix it with an override, or widen low/high"
            )
        if self.distribution not in ("fixed", "empirical") and (self.low is None or self.high is None):
            raise ValueError(f"{where}: distribution {self.distribution!r} needs low and high")
        if self.distribution == "lognormal" and (self.low is None or self.low <= 0):
            raise ValueError(f"{where}: a lognormal distribution needs low > 0; got low = {self.low}")
        if self.distribution == "empirical" and not self.sample:
            raise ValueError(f"{where}: an empirical distribution needs a non-empty sample")
        if self.sample and not all(self.valid.contains(float(x)) for x in self.sample):
            bad = next(x for x in self.sample if not self.valid.contains(float(x)))
            raise ValueError(f"{where}: sample value {bad!r} is outside the validity domain; allowed: {self.allowed()}")
        if self.source and not str(self.source).startswith(SOURCE_PREFIXES):
            raise ValueError(f"{where}: source {self.source!r} must start with one of {SOURCE_PREFIXES}")
        if self.above and not str(self.above).isidentifier():
            raise ValueError(f"{where}: above is {self.above!r}; allowed: the name of another parameter")
        from jzsim.engine.units import parse_units

        try:
            parse_units(self.units)
        except ValueError as exc:
            raise ValueError(f"{where}: units: {exc}") from None


def _hint(p: Parameter, x: float) -> str:
    """A guess at what was meant by an invalid ``x``: a percent for a share, a two-digit year."""
    if p.valid.contains(x):
        return ""
    if p.valid.high <= 1 and 1 < abs(x) <= 100 and p.valid.contains(x / 100):
        return f" ({_fmt(x)} looks like a percent: {_fmt(x)} -> {_fmt(x / 100)})"
    if p.kind == "year" and 0 <= x < 100 and x == int(x):
        return f" ({_fmt(x)} looks like a two-digit year: write {2000 + int(x)})"
    return ""


def _show(v: Any) -> str:
    """A one-line repr of ``v``, at most 60 characters."""
    if isinstance(v, np.ndarray) and v.ndim > 0:
        return f"<{type(v).__name__} of shape {v.shape}, dtype {v.dtype}>"
    r = " ".join(repr(v).split())
    return r if len(r) <= 60 else r[:57] + "..."


def _is_quantity(v: Any) -> bool:
    return hasattr(v, "magnitude") and hasattr(v, "units") and hasattr(v, "to")


def check_value(p: Parameter, v: Any, *, what: str = "value") -> float | np.ndarray:
    """Validate one value given for parameter ``p``, at the edge (an override, a scenario).

    Parameters
    ----------
    p : Parameter
    v : number, numpy array of numbers, or pint Quantity
        In ``p.units`` unless a Quantity (converted to ``p.units``). An array (one value per draw)
        is checked elementwise.
    what : str
        How the value is called in messages (``"override"``, ``"scenario value"``).

    Returns
    -------
    float or numpy.ndarray
        The value in ``p.units``.

    Raises
    ------
    ValueError
        One message naming the parameter, the value and what is allowed: bools, strings, dates,
        masked arrays, ranges and other non-numbers, NaN or infinity, values outside the domain
        (with a hint for a percent typed for a share and for a two-digit year), Quantities in
        units of another dimension.
    """
    where = f"parameter {p.name!r}: {what} {_show(v)}"
    allowed = f"allowed: {p.allowed()}"
    if _is_quantity(v):
        from jzsim.engine.units import parse_units, ureg

        try:
            q = ureg.Quantity(v.magnitude, str(v.units))
            v = q.to(parse_units(p.units)).magnitude
        except Exception as exc:  # pint raises DimensionalityError or UndefinedUnitError
            raise ValueError(f"{where} is in units {str(v.units)!r}, not convertible to {p.units!r} ({exc})") from None
    if isinstance(v, (bool, np.bool_)):
        raise ValueError(f"{where} is a bool; {allowed} (False and True are not numbers here)")
    if isinstance(v, np.ma.MaskedArray):
        raise ValueError(f"{where} is a masked array; allowed: a plain number or numpy array (fill masked values)")
    if isinstance(v, np.ndarray) and v.ndim > 0:
        if v.dtype.kind not in "iuf":
            raise ValueError(f"parameter {p.name!r}: {what} is an array of {v.dtype}; {allowed}")
        a = v.astype(float)
        bad = ~np.isfinite(a)
        bad[~bad] = ~p.valid.contains(a[~bad])
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"parameter {p.name!r}: {what} has {float(a[i])!r} at index {i} ({int(bad.sum())} bad of {a.size}); "
                f"{allowed}{_hint(p, float(a[i])) if np.isfinite(a[i]) else ''}"
            )
        return a
    if isinstance(v, np.ndarray) and v.dtype.kind in "iuf":
        v = v.item()
    if isinstance(v, (np.datetime64, np.timedelta64)) or not isinstance(v, numbers.Real):
        kind = type(v).__name__
        raise ValueError(f"{where} is a {kind}, not a number; {allowed}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"{where} is not finite; {allowed}")
    if not p.valid.contains(f):
        raise ValueError(f"{where} is outside the validity domain; {allowed}{_hint(p, f)}")
    return f


def _largest(p: Parameter) -> float:
    return p.value if not p.uncertain or p.high is None else max(p.value, p.high)


def check_joint(params: Mapping[str, Parameter]) -> None:
    """Check constraints between parameters; raise one ``ValueError`` naming them.

    Shares of one ``whole`` sum to at most 1 (their largest possible values), and a parameter
    declared ``above`` another is strictly greater (its smallest value above the other's largest).
    """
    wholes: dict[str, list[Parameter]] = {}
    for p in params.values():
        if p.whole:
            wholes.setdefault(p.whole, []).append(p)
        if p.above:
            if p.above not in params:
                close = difflib.get_close_matches(p.above, list(params), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"parameter {p.name!r}: above names {p.above!r}, which is not a parameter{hint}")
            q = params[p.above]
            lo = p.value if not p.uncertain or p.low is None else min(p.value, p.low)
            if not lo > _largest(q):
                raise ValueError(
                    f"parameter {p.name!r} is {_fmt(lo)}, not above {q.name!r} ({_fmt(_largest(q))}); "
                    f"allowed: {p.name} > {q.name} (the equations divide by the difference)"
                )
    for group, ps in wholes.items():
        total = sum(_largest(p) for p in ps)
        if total > 1 + 1e-12:
            parts = " + ".join(f"{p.name} {_fmt(_largest(p))}" for p in ps)
            raise ValueError(
                f"shares of the whole {group!r} can sum to {total:.4g} > 1 ({parts}; the highest value of an "
                "uncertain share counts); allowed: a sum <= 1 (lower a share, or fix the others)"
            )


def _opt(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else float(v)


def _read_csv(text: str, sector: str, origin: str) -> list[Parameter]:
    import io

    df = pd.read_csv(
        io.StringIO(text),
        dtype={c: str for c in ("name", "units", "valid", "whole", "above", "distribution", "source", "description")},
        keep_default_na=False,
        na_values={"value": [""], "low": [""], "high": [""]},
    )
    need = ["name", "units", "value", "low", "high", "valid", "whole", "above", "distribution", "source", "description"]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{origin}: missing columns {missing}; required: {need}")
    out = []
    for i, row in df.iterrows():
        try:
            value = float(row["value"])
        except (TypeError, ValueError):
            raise ValueError(
                f"{origin} row {i + 2} ({row['name']}): value is {row['value']!r}; allowed: a finite number"
            ) from None
        if not str(row["valid"]).strip():
            raise ValueError(
                f"{origin} row {i + 2} ({row['name']}): valid is empty; allowed: an interval such as '[0, 1]' "
                "(every parameter declares its validity domain)"
            )
        try:
            out.append(
                Parameter(
                    name=str(row["name"]).strip(),
                    units=str(row["units"]).strip(),
                    value=value,
                    low=_opt(row["low"]),
                    high=_opt(row["high"]),
                    distribution=str(row["distribution"]).strip(),
                    source=str(row["source"]).strip(),
                    description=str(row["description"]),
                    sector=sector,
                    valid=str(row["valid"]).strip(),
                    whole=str(row["whole"]).strip(),
                    above=str(row["above"]).strip(),
                )
            )
        except ValueError as exc:
            raise ValueError(f"{origin} row {i + 2}: {exc}") from None
    return out


def load_parameters() -> dict[str, Parameter]:
    """All of the plan model's parameters, from the packaged ``data/parameters/*.csv``.

    Returns
    -------
    dict
        Name -> :class:`Parameter`, in file order, sectors alphabetically.
    """
    root = resources.files("jzsim.data").joinpath("parameters")
    params: dict[str, Parameter] = {}
    for f in sorted((p for p in root.iterdir() if p.name.endswith(".csv")), key=lambda p: p.name):
        sector = f.name[:-4]
        for p in _read_csv(f.read_text(encoding="utf-8"), sector, f"data/parameters/{f.name}"):
            if p.name in params:
                raise ValueError(
                    f"parameter {p.name!r} is declared in both {params[p.name].sector}.csv and {sector}.csv"
                )
            params[p.name] = p
    check_joint(params)
    return params


def parameters(params: Mapping[str, Parameter] | None = None) -> pd.DataFrame:
    """Every parameter with unit, value, range, distribution and source, as a DataFrame.

    Examples
    --------
    >>> import jzsim
    >>> df = jzsim.parameters()
    >>> set(["units", "value", "source"]) <= set(df.columns)
    True
    """
    params = load_parameters() if params is None else params
    rows = [
        dict(
            name=p.name,
            sector=p.sector,
            units=p.units,
            value=p.value,
            low=p.low,
            high=p.high,
            valid=str(p.valid),
            whole=p.whole,
            above=p.above,
            distribution=p.distribution,
            source_kind=p.source.split(":")[0].split(" ch")[0] if p.source else "",
            source=p.source,
            description=p.description,
        )
        for p in params.values()
    ]
    return pd.DataFrame(rows).set_index("name")


def with_overrides(params: Mapping[str, Parameter], overrides: Mapping[str, object] | None) -> dict[str, Parameter]:
    """A copy of ``params`` with some parameters fixed at new values or replaced.

    Parameters
    ----------
    params : mapping
        Name -> :class:`Parameter`.
    overrides : mapping, optional
        Name -> a number (in the parameter's units), a pint Quantity (converted), or a whole
        :class:`Parameter`. A number **fixes** the parameter: distribution ``"fixed"`` at that value
        in every draw; any value in its validity domain is allowed, also one outside the belief
        range (the belief range is dropped; the source records the fix and the old declaration).
        A :class:`Parameter` replaces the declaration (e.g. to shift or replace its distribution).
        ``0`` and ``False``-like zeros are applied like any other number (a bool is refused).

    Returns
    -------
    dict
        Name -> :class:`Parameter`.

    Raises
    ------
    KeyError
        Unknown name, with the closest known names; a name that is not a string.
    ValueError
        An invalid value (see :func:`check_value`), or overrides that break a joint constraint
        (shares of one whole summing above 1, a policy year not after its start, GDP not above primary value added).

    Examples
    --------
    >>> from jzsim.params import load_parameters, with_overrides
    >>> p = with_overrides(load_parameters(), {"cluster_investment_share_health": 0.3})
    >>> p["cluster_investment_share_health"].distribution, p["cluster_investment_share_health"].value
    ('fixed', 0.3)
    """
    out = dict(params)
    if overrides is None:
        return out
    if not isinstance(overrides, Mapping):
        raise ValueError(f"overrides are {type(overrides).__name__} {overrides!r}; allowed: a mapping name -> value")
    for k, v in overrides.items():
        if not isinstance(k, str):
            raise KeyError(f"parameter names are strings; got {k!r} ({type(k).__name__}) with value {v!r}")
        if k not in out:
            close = difflib.get_close_matches(k, list(out), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown parameter {k!r}{hint}")
        p = out[k]
        if isinstance(v, Parameter):
            if v.name != k:
                raise ValueError(f"parameter {k!r}: override is a Parameter named {v.name!r}; the names must agree")
            out[k] = v
            continue
        if isinstance(v, np.ndarray) and v.ndim > 0 or isinstance(v, (list, tuple, range, set, dict)):
            raise ValueError(
                f"parameter {k!r}: override {_show(v)} is a {type(v).__name__}; allowed: {p.allowed()} "
                "(one value per draw belongs in simulate(params=...); a distribution in uncertainty=)"
            )
        f = check_value(p, v, what="override")
        was = f"{p.value:g}" + (f", {p.distribution} on [{p.low:g}, {p.high:g}]" if p.uncertain else "")
        out[k] = replace(
            p,
            value=f,
            distribution="fixed",
            low=None,
            high=None,
            sample=None,
            source=f"user: fixed at {f:g} (was {was}; {p.source})",
        )
    check_joint(out)
    return out
