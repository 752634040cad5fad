"""The ``jzsim`` command: what a user sees first."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from jzsim.cli.main import main


def test_run_prints_the_target_table_and_key_figures(capsys):
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "gdp_growth_2021_2025" in out and "health_cluster_output_2025" in out
    assert "not modelled" in out and "Key figures" in out and "2035" in out


@pytest.mark.slow
def test_run_with_draws_prints_probabilities_with_intervals(capsys):
    assert main(["run", "--draws", "3000", "--seed", "3", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "3,000 draws, seed 3" in out and "P(met)" in out and "95% interval" in out
    assert "Median path" in out


def test_bad_override_is_one_clear_error(capsys):
    assert main(["run", "--set", "tfp_grwth=0.02"]) == 2
    err = capsys.readouterr().err
    assert "tfp_grwth" in err and "did you mean tfp_growth" in err
    assert main(["run", "--set", "tfp_growth"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_listing_commands(capsys):
    for cmd, expect in (
        ("params", "assumption:"),
        ("targets", "plan ch.9 L86"),
        ("describe", "## Sector `water`"),
        ("check-data", "2.1"),
    ):
        assert main([cmd]) == 0
        assert expect in capsys.readouterr().out, cmd


def test_console_script_is_installed():
    r = subprocess.run([sys.executable, "-m", "jzsim.cli.main", "targets"], capture_output=True, text=True)
    assert r.returncode == 0 and "urbanisation_2025" in r.stdout


def test_a_target_without_a_number_is_not_given_a_probability(capsys):
    assert main(["run", "--draws", "2000", "--no-progress"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith("water_per_gdp_2025"))
    assert "threshold unknown" in line


def test_bad_thread_count_is_one_clear_error(capsys):
    assert main(["run", "--draws", "100", "--threads", "0", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "threads is 0; allowed: an integer >= 1" in err


# ------------------------------------------------------------------ issue #20 item 9
def test_version(capsys):
    import jzsim

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"jzsim {jzsim.__version__}"


BAD = [
    (["run", "--set", "investment_rate=-0.5"], "investment_rate"),
    (["run", "--set", "reuse_rate_target=35"], "looks like a percent: 35 -> 0.35"),
    (["run", "--set", "tfp_growth=true"], "not a number"),
    (["run", "--set", "tfp_growth=nan"], "not finite"),
    (["run", "--set", "transfer_switch_year=25"], "two-digit year"),
    (["run", "--set", "cluster_investment_share_health=0.8"], "can sum to 1.4"),
    (["run", "-o", "/nonexistent/dir/x.nc"], "does not exist"),
    (["run", "-o", "out.txt"], "unknown format '.txt'"),
    (["run", "-o", "out"], "unknown format '(no suffix)'"),
    (["run", "--draws", str(10**15)], "estimated"),
    (["run", "--draws", "0"], "allowed: an integer >= 1"),
    (["run", "--draws", "1e3"], "not an integer"),
    (["run", "--scenario", "water-sqeeze"], "did you mean 'water-squeeze'"),
    (["run", "--scenario", "missing.toml"], "does not exist"),
    (["run", "--backend", "cuda"], "invalid choice"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize("argv, fragment", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_code_2(capsys, argv, fragment):
    assert main(argv) == 2
    cap = capsys.readouterr()
    assert cap.err.count("\n") == 1 and cap.err.startswith("jzsim: error: ")
    assert fragment in cap.err
    assert "Traceback" not in cap.err and cap.out == ""  # refused before any run started


def test_a_malformed_scenario_file_is_one_line(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text('name = "bad"\n[params]\ntfp_grwth = 0.01\n', encoding="utf-8")
    assert main(["run", "--scenario", str(f)]) == 2
    assert "did you mean 'tfp_growth'" in capsys.readouterr().err


def test_an_internal_error_is_one_line_and_exit_code_1(capsys, monkeypatch):
    import jzsim.cli.main as cli

    def boom(a):
        raise RuntimeError("something broke\ninside")

    monkeypatch.setattr(cli, "cmd_targets", boom)
    assert cli.main(["targets"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error: RuntimeError: something broke inside" in err


def test_scenarios_lists_the_builtins(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    for name in ("plan", "trend", "water-squeeze", "cluster-push", "shock"):
        assert name in out


@pytest.mark.parametrize("suffix", [".nc", ".csv", ".zarr"])
def test_run_a_scenario_and_write_by_suffix(tmp_path, capsys, suffix):
    import pandas as pd
    import xarray as xr

    if suffix == ".zarr":
        pytest.importorskip("zarr")
    out = tmp_path / f"r{suffix}"
    assert main(["run", "--scenario", "water-squeeze", "--set", "tfp_growth=0", "-o", str(out)]) == 0
    assert "scenario 'water-squeeze'" in capsys.readouterr().out
    if suffix == ".csv":
        t = pd.read_csv(out)
        assert list(t.columns[:3]) == ["variable", "units", "draw"] and "value" in t
        assert set(t.variable) >= {"gdp_real", "surface_water_available"}  # the schedule is an output
    else:
        ds = xr.open_zarr(out) if suffix == ".zarr" else xr.open_dataset(out)
        assert ds.attrs["scenario"] == "water-squeeze"
        np.testing.assert_allclose(ds["surface_water_available"].sel(year=2025).values, 0.1)


def test_run_a_scenario_file_under_monte_carlo(tmp_path, capsys):
    from jzsim.scenarios import Scenario, Schedule

    f = Scenario("mine", base="plan", schedules={"attracted_investment": Schedule.step(2022, 10, 0)}).save(
        tmp_path / "mine.toml"
    )
    assert main(["run", "--scenario", str(f), "--draws", "500", "--no-progress"]) == 0
    assert "scenario 'mine': 500 draws" in capsys.readouterr().out
