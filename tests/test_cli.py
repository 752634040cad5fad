"""The ``jzsim`` command: what a user sees first."""

from __future__ import annotations

import subprocess
import sys

import pytest

from jzsim.cli.main import main


def test_run_prints_the_target_table_and_key_figures(capsys):
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert "gdp_growth_2021_2025" in out and "health_cluster_output_2025" in out
    assert "not modelled" in out and "Key figures" in out and "2035" in out


def test_run_with_draws_prints_probabilities_with_intervals(capsys):
    assert main(["run", "--draws", "3000", "--seed", "3", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "3,000 draws, seed 3" in out and "P(met)" in out and "95% interval" in out
    assert "Median path" in out


def test_bad_override_is_one_clear_error(capsys):
    assert main(["run", "--set", "tfp_grwth=0.02"]) == 2
    err = capsys.readouterr().err
    assert "tfp_grwth" in err and "did you mean tfp_growth" in err
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        main(["run", "--set", "tfp_growth"])


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
