"""``jzsim compare`` and ``jzsim sweep``: what they print agrees with the Python API, and bad input
is one line with exit code 2."""

from __future__ import annotations

import numpy as np
import pytest

import jzsim
from jzsim.cli.main import main

DRAWS = 600


def test_compare_prints_each_scenarios_probability_and_the_paired_difference(capsys, tmp_path):
    out = tmp_path / "cmp.nc"
    code = main(["compare", "plan", "trend", "--draws", str(DRAWS), "--no-progress", "-o", str(out)])
    text = capsys.readouterr().out
    assert code == 0
    ds = jzsim.compare(["plan", "trend"], draws=DRAWS, seed=0, progress=False)
    p_plan = float(ds["p_met"].sel(scenario="plan", target="gdp_growth_2021_2025"))
    p_trend = float(ds["p_met"].sel(scenario="trend", target="gdp_growth_2021_2025"))
    line = next(ln for ln in text.splitlines() if ln.startswith("gdp_growth_2021_2025"))
    assert f"{p_plan:.3f}" in line and f"{p_trend:.3f}" in line
    assert f"{p_trend - p_plan:+.3f}" in line  # paired difference, same draws
    assert "paired" in text and out.exists()


def test_sweep_prints_one_column_per_lever_value_from_one_run(capsys):
    values = ["0.05", "0.25"]
    code = main(
        ["sweep", "cluster_investment_share_health", *values, "--draws", str(DRAWS), "--no-progress"]
        + ["--target", "gdp_growth_2021_2025"]
    )
    text = capsys.readouterr().out
    assert code == 0
    sw = jzsim.sweep("cluster_investment_share_health", [0.05, 0.25], draws=DRAWS, seed=0, progress=False)
    p = sw["p_met"].sel(target="gdp_growth_2021_2025").values
    row = next(ln for ln in text.splitlines() if ln.startswith("gdp_growth_2021_2025"))
    assert all(f"{x:.3f}" in row for x in p)
    assert np.isfinite(p).all() and "health_cluster_output_2025" not in text  # only the asked target


@pytest.mark.parametrize(
    "argv, field",
    [
        (["compare", "plan", "no-such-scenario", "--draws", "10"], "no-such-scenario"),
        (["sweep", "cluster_investment_sharehealth", "0.1", "--draws", "10"], "cluster_investment_sharehealth"),
        (["sweep", "cluster_investment_share_health", "35", "--draws", "10"], "cluster_investment_share_health"),
        (["sweep", "cluster_investment_share_health", "0.1", "--target", "nope", "--draws", "10"], "nope"),
        (["compare", "plan", "--draws", "0"], "--draws"),
        (["compare", "plan", "-o", "/nonexistent/dir/x.nc", "--draws", "10"], "/nonexistent/dir"),
    ],
)
def test_bad_input_is_one_line_naming_the_field_with_exit_code_2(capsys, argv, field):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and field in err and err.startswith("jzsim: error:")


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["compare", "plan"],
        ["sweep", "tfp_growth", "0.01"],
        ["sensitivity"],
        ["discover"],
        ["report"],
    ],
)
def test_commands_that_run_draws_share_seed_draws_out_and_quiet(argv):
    """The same option names mean the same thing across commands (#17 item 8)."""
    from jzsim.cli.main import parser

    a = parser().parse_args([*argv, "--seed", "3", "--draws", "10", "--out", "x.nc", "--quiet"])
    assert a.seed == 3 and a.draws == 10
    assert "x.nc" in {getattr(a, k, None) for k in ("output", "out")}
