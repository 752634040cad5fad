"""Parameters: declared once with unit, nominal value, range, distribution and source.

The plan model's parameters live in ``jzsim/data/parameters/<sector>.csv`` (columns
``name,units,value,low,high,distribution,source,description``). They are validated when loaded,
so every later step can trust them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources

import pandas as pd

__all__ = ["Parameter", "DISTRIBUTIONS", "load_parameters", "parameters", "with_overrides"]

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
        Plausible range, in ``units``.
    distribution : str
        One of :data:`DISTRIBUTIONS`.
    source : str
        ``"plan ch.N LNN: ..."``, ``"public: ..."`` or ``"assumption: <reasoning>"``.
    description : str
    sector : str
    sample : tuple of float, optional
        The sample behind an ``empirical`` distribution.
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

    def __post_init__(self):
        self.validate()

    @property
    def uncertain(self) -> bool:
        return self.distribution != "fixed"

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field, the value and what is allowed."""
        where = f"parameter {self.name!r}" + (f" (sector {self.sector})" if self.sector else "")
        if not str(self.name).isidentifier():
            raise ValueError(f"{where}: name is not a valid identifier; allowed: letters, digits, _")
        for f in ("value", "low", "high"):
            v = getattr(self, f)
            if f != "value" and v is None:
                continue
            if not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{where}: {f} is {v!r}; allowed: a finite number")
        if self.distribution not in DISTRIBUTIONS:
            close = difflib.get_close_matches(str(self.distribution), list(DISTRIBUTIONS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"{where}: distribution is {self.distribution!r}; allowed: {', '.join(DISTRIBUTIONS)}{hint}"
            )
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"{where}: low {self.low} is above high {self.high}")
        if self.low is not None and self.value < self.low or self.high is not None and self.value > self.high:
            raise ValueError(f"{where}: value {self.value} is outside its range [{self.low}, {self.high}]")
        if self.distribution not in ("fixed", "empirical") and (self.low is None or self.high is None):
            raise ValueError(f"{where}: distribution {self.distribution!r} needs low and high")
        if self.distribution == "lognormal" and (self.low is None or self.low <= 0):
            raise ValueError(f"{where}: a lognormal distribution needs low > 0; got low = {self.low}")
        if self.distribution == "empirical" and not self.sample:
            raise ValueError(f"{where}: an empirical distribution needs a non-empty sample")
        if self.source and not str(self.source).startswith(SOURCE_PREFIXES):
            raise ValueError(f"{where}: source {self.source!r} must start with one of {SOURCE_PREFIXES}")
        from jzsim.engine.units import parse_units

        try:
            parse_units(self.units)
        except ValueError as exc:
            raise ValueError(f"{where}: units: {exc}") from None


def _opt(v) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) or v == "" else float(v)


def _read_csv(text: str, sector: str, origin: str) -> list[Parameter]:
    import io

    df = pd.read_csv(
        io.StringIO(text), dtype={"name": str, "units": str, "distribution": str, "source": str, "description": str}
    )
    need = ["name", "units", "value", "low", "high", "distribution", "source", "description"]
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
                    description=str(row["description"]) if pd.notna(row["description"]) else "",
                    sector=sector,
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
            distribution=p.distribution,
            source_kind=p.source.split(":")[0].split(" ch")[0] if p.source else "",
            source=p.source,
            description=p.description,
        )
        for p in params.values()
    ]
    return pd.DataFrame(rows).set_index("name")


def with_overrides(params: Mapping[str, Parameter], overrides: Mapping[str, object] | None) -> dict[str, Parameter]:
    """A copy of ``params`` with new nominal values or whole :class:`Parameter` objects.

    A number replaces the nominal value (the range widens to include it, and the source says it
    came from the user); a :class:`Parameter` replaces the declaration. Unknown names raise
    ``KeyError`` with the closest known names.
    """
    out = dict(params)
    for k, v in (overrides or {}).items():
        if k not in out:
            close = difflib.get_close_matches(k, list(out), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown parameter {k!r}{hint}")
        if isinstance(v, Parameter):
            out[k] = v
            continue
        p = out[k]
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {k!r}: override {v!r}; allowed: a finite number in {p.units}") from None
        if not math.isfinite(f):
            raise ValueError(f"parameter {k!r}: override {v!r}; allowed: a finite number in {p.units}")
        low = None if p.low is None else min(p.low, f)
        high = None if p.high is None else max(p.high, f)
        out[k] = replace(p, value=f, low=low, high=high, source=f"user: override of {p.value} ({p.source})")
    return out
