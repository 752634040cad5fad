"""Budget sector alone: GDP is a stand-in growing at a given rate; the budget must close every
step, the debt must be the integral of borrowing less repayment, and the ceiling must bind."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jzsim.engine import Model
from jzsim.engine import functions as F
from jzsim.params import load_parameters
from jzsim.sectors.budget import Budget

ALL = load_parameters()
PARAMS = {k: p for k, p in ALL.items() if p.sector == "budget" or k == "gdp_base"}
DT = 0.25


def budget_model():
    m = Model("budget_alone", start=2020.0, stop=2035.0, dt=DT)
    for p in PARAMS.values():
        m.add_parameter(p)
    m.param("gdp_growth_in", 0.05, "1/year")
    m.aux(
        "gdp_real",
        m.ref("gdp_base") * F.exp(m.ref("gdp_growth_in") * (m.time - F.const(2020.0, "year"))),
        "yiyuan/year",
    )
    m.add_sector(Budget())
    return m


MODEL = budget_model()


def v(name):
    return PARAMS[name].value


def test_the_budget_closes_every_step():
    ds = MODEL.run(save_every=DT)
    uses = ds["current_spending"] + ds["public_investment"] + ds["interest"] + ds["repayment"]
    np.testing.assert_allclose(ds["budget_resources"] + ds["borrowing"], uses, rtol=1e-12)
    np.testing.assert_allclose(ds["budget_resources"], ds["fiscal_revenue"] + ds["transfers"], rtol=1e-12)
    # plan ch.1 L17: livelihood (current) spending at least 82.5% of resources while debt service fits
    assert (ds["current_spending"] >= (1 - v("public_investment_share")) * ds["budget_resources"] - 1e-12).all()


def test_debt_is_the_integral_of_borrowing_less_repayment():
    ds = MODEL.run(save_every=DT)
    step = ds["public_debt"].diff("time").values
    np.testing.assert_allclose(step, DT * (ds["borrowing"] - ds["repayment"]).values[:, :-1], rtol=1e-9)
    first = ds.isel(time=0)
    resources0 = v("fiscal_revenue_share") * v("gdp_base") * (1 + v("transfer_ratio"))
    assert float(first["public_debt"][0]) == pytest.approx(v("debt_ratio_base") * resources0, rel=1e-12)
    assert float(first["public_investment"][0]) == pytest.approx(float(first["public_investment_base"][0]), rel=1e-12)


def test_the_debt_ceiling_stops_borrowing_and_the_debt_is_repaid():
    capped = MODEL.run({"debt_limit": 0.5}, save_every=DT)  # below the start-year debt (0.9 year)
    np.testing.assert_allclose(capped["borrowing"].isel(time=0), 0.0, atol=1e-12)
    free = MODEL.run(save_every=DT)
    assert float(capped["public_debt"].sel(time=2025.0)[0]) < float(free["public_debt"].sel(time=2025.0)[0])
    assert (capped["debt_ratio"] <= np.maximum(0.5, capped["debt_ratio"].isel(time=0)) + 1e-9).all()
    # without borrowing the debt service comes out of public investment
    assert float(capped["public_investment"].sel(time=2021.0)[0]) < float(free["public_investment"].sel(time=2021.0)[0])


def test_transfers_do_not_follow_local_revenue_but_fund_investment():
    slow = MODEL.run({"gdp_growth_in": 0.0}).sel(time=2030.0)
    fast = MODEL.run({"gdp_growth_in": 0.08}).sel(time=2030.0)
    assert float(slow["transfers"][0]) == pytest.approx(float(fast["transfers"][0]), rel=1e-12)
    more = MODEL.run({"transfer_ratio": 2.0}).sel(time=2030.0)
    assert float(more["public_investment"][0]) > float(MODEL.run().sel(time=2030.0)["public_investment"][0])


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_budget_closes_and_debt_stays_non_negative_for_random_parameters(seed):
    rng = np.random.default_rng(seed)
    draws = {k: rng.uniform(p.low, p.high, 32) for k, p in PARAMS.items() if p.distribution != "fixed"}
    ds = MODEL.run({**draws, "gdp_growth_in": rng.uniform(-0.05, 0.1, 32)})
    assert (ds["public_debt"] >= 0).all() and (ds["public_investment"] >= 0).all()
    uses = ds["current_spending"] + ds["public_investment"] + ds["interest"] + ds["repayment"]
    np.testing.assert_allclose(ds["budget_resources"] + ds["borrowing"], uses, rtol=1e-9)
