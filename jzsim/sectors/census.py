"""Jizhou's census age structure and the yearly flows into 65+ and 75+ it implies (not a sector:
the cohort tables sector population reads; like :mod:`jzsim.params`, it reads a packaged file
of ``jzsim/data``, ``census_age.csv``, without importing the data package's code).

``census_age.csv`` holds Jizhou's residents by 5-year age group in the 6th (2010-11-01) and 7th
(2020-11-01) censuses, each row with its source. :func:`working_age_exit_table` derives from it
the share of residents aged 15-64 who turn 65 in each year from 2010 to 2035, which sector
population reads as a table of time (a cohort-component step done once, outside the kernel):

    turning_65(y)  = N(60-64) / 5 in the 5 years after the census, N(55-59) / 5 in the next
                     5, N(50-54) / 5 in the 5 after                            [person/year]
                     between the censuses, times the cohort's own change from one census to
                     the next, geometric in time: (N_2020(g + 10) / N_2010(g)) ** (years / 10)
                     (deaths, migration and the boundary change as the cohort met them)
    turning_15(y)  = N(10-14) / 5, N(5-9) / 5, N(0-4) / 5 in the same windows  [person/year]
    W(t)           = 15-64 residents: between the two censuses, geometric interpolation from
                     one census to the next (it includes migration, as the model's stock does);
                     after 2020, W(2020) + integral of (turning_15 - turning_65) (no deaths, no
                     migration: the 2020 census's cohorts ageing in place)       [person]
    exit_rate(y)   = turning_65(y) / W(mid-year)                                [1/year]

:func:`old_ageing_table` does the same for the band 65-74 (turning 75: the groups 70-74, 65-69,
60-64 at the census; turning 65 into it as above).

Each census's window starts at its date (year + 10/12); the table gives the rate in the middle of
each year of a window. Survival from the census to age 65 is not taken out (sector population
applies its own working-age mortality to the stock the flow leaves).
"""

from __future__ import annotations

import io
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["load_census_age", "working_age_exit_table", "old_ageing_table", "CENSUS_DATE"]

#: Fraction of the year at the census moment (1 November, 00:00).
CENSUS_DATE = 10.0 / 12.0
_WORKING = ("15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64")
_TURNING_65 = ("60-64", "55-59", "50-54")  # 5-year windows after the census, in order
_TURNING_15 = ("10-14", "5-9", "0-4")
_OLD = ("65-69", "70-74")
_TURNING_75 = ("70-74", "65-69", "60-64")
_GROUPS = ("0-4", "5-9", "10-14") + _WORKING + _OLD + ("75-79", "80-84", "85+")


def _ten_years_older(group: str) -> str:
    return _GROUPS[_GROUPS.index(group) + 2]


def load_census_age(text: str | None = None) -> pd.DataFrame:
    """Jizhou residents by census year and 5-year age group, from ``data/census_age.csv``.

    Parameters
    ----------
    text : str, optional
        CSV text in the file's layout (``year,age,persons,source``) instead of the packaged file.

    Returns
    -------
    pandas.DataFrame
        Index ``year`` (2010, 2020), columns the age groups (``"0-4"`` ... ``"85+"``), persons.

    Raises
    ------
    ValueError
        If a count is not a whole non-negative number, a row has no ``public:`` source, or a
        year's groups miss one of the working ages.
    """
    if text is None:
        text = resources.files("jzsim.data").joinpath("census_age.csv").read_text(encoding="utf-8")
    df = pd.read_csv(io.StringIO(text), dtype={"age": str, "source": str, "persons": str})
    for i, r in df.iterrows():
        n = pd.to_numeric(r["persons"], errors="coerce")
        if not (np.isfinite(n) and n >= 0 and float(n).is_integer()):
            raise ValueError(
                f"census_age.csv row {i + 2}: persons={n!r} for age {r['age']!r}; allowed: a whole number >= 0"
            )
        if not str(r["source"]).startswith("public:"):
            raise ValueError(f"census_age.csv row {i + 2}: source {r['source']!r}; allowed: 'public: ...'")
    df["persons"] = df["persons"].astype(float)
    table = df.pivot(index="year", columns="age", values="persons")
    missing = [a for a in _GROUPS if a not in table.columns]
    if missing:
        raise ValueError(f"census_age.csv lacks age groups {missing}; allowed groups include {_WORKING}")
    return table


def working_age_exit_table(stop: float = 2036.0) -> tuple[np.ndarray, np.ndarray]:
    """Share of residents aged 15-64 turning 65 each year, as a table of time.

    Parameters
    ----------
    stop : float, default 2036.0
        Last year the table covers (the 2020 census's cohorts reach 65 until 2035-11).

    Returns
    -------
    years, rates : numpy.ndarray
        Mid-years of each year after the first census [year] and the exit rate there [1/year].
    """
    return _exit_table(_WORKING, _TURNING_65, _TURNING_15, stop)


def old_ageing_table(stop: float = 2036.0) -> tuple[np.ndarray, np.ndarray]:
    """Share of residents aged 65-74 turning 75 each year, as a table of time (as
    :func:`working_age_exit_table`, for the band 65-74: out of it the groups 70-74, 65-69, 60-64
    of each census, into it 60-64, 55-59, 50-54)."""
    return _exit_table(_OLD, _TURNING_75, _TURNING_65, stop)


def _exit_table(band, turning_out, turning_in, stop: float) -> tuple[np.ndarray, np.ndarray]:
    ages = load_census_age()
    censuses = sorted(int(y) for y in ages.index)
    xs: list[float] = []
    ys: list[float] = []
    for k, c in enumerate(censuses):
        start = c + CENSUS_DATE
        end = censuses[k + 1] + CENSUS_DATE if k + 1 < len(censuses) else stop
        w0 = float(ages.loc[c, list(band)].sum())
        w_next = float(ages.loc[censuses[k + 1], list(band)].sum()) if k + 1 < len(censuses) else None
        w = w0
        for j in range(int(round(end - start))):
            window = min(j // 5, len(turning_out) - 1)
            out = ages.loc[c, turning_out[window]] / 5.0
            into = ages.loc[c, turning_in[window]] / 5.0
            if w_next is not None:  # between censuses: the cohort as the next census found it
                later = ages.loc[censuses[k + 1], _ten_years_older(turning_out[window])] / 5.0
                out = out * (later / out) ** ((j + 0.5) / (censuses[k + 1] - c))
                mid = w0 * (w_next / w0) ** ((j + 0.5) / (censuses[k + 1] - c))
            else:  # after the last census: the cohorts age in place
                mid = w + 0.5 * (into - out)
                w = w + into - out
            xs.append(start + j + 0.5)
            ys.append(out / mid)
    return np.array(xs), np.array(ys)
