"""Budget: the district's own revenue, transfers from higher government, public debt, and the
public investment left once current spending and debt service are paid.

Money in 亿元 a year (``yiyuan/year``) at start-year prices; debt in 亿元. Parameters:
``data/parameters/budget.csv``. Equations (t0 = the run's first year)::

    fiscal_revenue   = fiscal_revenue_share * gdp_real                              [yiyuan/year]
    transfers        = transfer_ratio * fiscal_revenue_share * gdp_base
                       * exp(transfer_growth * (t - t0))                            [yiyuan/year]
    budget_resources = fiscal_revenue + transfers                                   [yiyuan/year]
    current_spending_planned = (1 - public_investment_share) * budget_resources    [yiyuan/year]
    interest         = interest_rate * public_debt                                  [yiyuan/year]
    repayment        = debt_repayment_rate * public_debt                            [yiyuan/year]
    debt_room        = max(debt_limit * budget_resources - public_debt, 0)          [yiyuan]
    borrowing        = min(borrowing_ratio * public_investment_share * budget_resources,
                           debt_room / 1 year)                                      [yiyuan/year]
    public_investment = max(public_investment_share * budget_resources - interest - repayment
                            + borrowing, 0)                                          [yiyuan/year]
    current_spending = budget_resources + borrowing - interest - repayment - public_investment
    d(public_debt)/dt = borrowing - repayment,  public_debt(t0) = debt_ratio_base * budget_resources(t0)
    debt_ratio       = public_debt / budget_resources                               [year]

Closure (T21's government sector: revenue and transfers given, the balance closed by one
residual): the budget balances every year, revenue + transfers + borrowing = current spending +
public investment + interest + repayment. Current spending is the plan's share of resources
(ch.1 L17: livelihood spending at least 82.5% of general budget spending); debt service and new
borrowing fall on public investment, the residual, which cannot go below zero (debt service
beyond the investment envelope cuts current spending instead). Borrowing finances public
investment (special-purpose bonds) up to a ceiling on debt over one year's resources
(``debt_limit``, a lever; the Ministry of Finance's warning line is 100-120%); repayment
amortises the stock (``debt_repayment_rate`` = 1 / average maturity). Transfers from higher
government are exogenous and grow at ``transfer_growth``: county budgets in China are largely
transfer-funded, so transfers do not follow local revenue.

``public_investment_base`` is the same equations at t0 written from parameters only (without
``gdp_real``), for the start-year fixed-asset investment sector economy needs before GDP exists;
a stock without flows, so it is computed once, not every step.
"""

from __future__ import annotations

from jzsim.engine import Model, Sector
from jzsim.engine import functions as F
from jzsim.sectors import start_year, trend

YEAR = F.const(1.0, "year")


def _investment(p, resources, debt):
    """Interest, repayment, borrowing and public investment for given resources and debt."""
    interest = p.interest_rate * debt
    repayment = p.debt_repayment_rate * debt
    room = F.maximum(p.debt_limit * resources - debt, F.const(0.0, "yiyuan"))
    borrowing = F.minimum(p.borrowing_ratio * p.public_investment_share * resources, room / YEAR)
    invest = F.maximum(
        p.public_investment_share * resources - interest - repayment + borrowing, F.const(0.0, "yiyuan/year")
    )
    return interest, repayment, borrowing, invest


class Budget(Sector):
    __doc__ = __doc__  # the module docstring: equations with units and sources
    name = "budget"
    inputs = ("gdp_real", "start_year")

    def declare(self, m: Model) -> None:
        p = m.params
        t0 = start_year(m)
        revenue = m.aux(
            "fiscal_revenue",
            p.fiscal_revenue_share * m.ref("gdp_real"),
            "yiyuan/year",
            description="the district's own fiscal revenue",
        )
        transfers0 = p.transfer_ratio * p.fiscal_revenue_share * p.gdp_base
        transfers = m.aux(
            "transfers",
            transfers0 * trend(p.transfer_growth, m.time, t0),
            "yiyuan/year",
            description="transfers from higher levels of government",
        )
        res = m.aux("budget_resources", revenue + transfers, "yiyuan/year", description="own revenue plus transfers")
        res0 = p.fiscal_revenue_share * p.gdp_base + transfers0
        debt0 = p.debt_ratio_base * res0
        debt = m.stock("public_debt", debt0, "yiyuan", nonnegative=True, description="local government debt")
        interest, repayment, borrowing, invest = _investment(p, res, debt)
        m.aux("interest", interest, "yiyuan/year", description="interest on public debt")
        m.flow("borrowing", borrowing, "yiyuan/year", into="public_debt", description="new debt for public investment")
        m.flow("repayment", repayment, "yiyuan/year", out_of="public_debt", description="debt repaid")
        pi = m.aux("public_investment", invest, "yiyuan/year", description="public fixed-asset investment")
        m.stock(
            "public_investment_base",
            _investment(p, res0, debt0)[3],
            "yiyuan/year",
            description="start-year public investment, from parameters only (a stock without flows)",
        )
        m.aux(
            "current_spending",
            res + m.ref("borrowing") - m.ref("interest") - m.ref("repayment") - pi,
            "yiyuan/year",
            description="current (livelihood and administration) spending: the budget's residual after investment",
        )
        m.aux("debt_ratio", debt / res, "year", description="public debt over one year's budget resources")
