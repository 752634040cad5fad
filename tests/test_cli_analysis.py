"""`jzsim sensitivity | discover | report`: help, output, exit codes."""

from __future__ import annotations

import re

import pytest

from jzsim.cli.main import main, parser

COMMANDS = ("sensitivity", "discover", "report")


def _code(argv) -> int:
    """main's exit code, whether it returns it or argparse raises SystemExit with it."""
    try:
        return main(argv)
    except SystemExit as e:
        return int(e.code or 0)


def _sub(name):
    p = parser()
    action = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction")
    return action.choices[name]


@pytest.mark.parametrize("name", COMMANDS)
def test_help_documents_every_option_with_an_example(name, capsys):
    sp = _sub(name)
    for act in sp._actions:
        assert act.help, f"{name} {act.option_strings} has no help text"
    for opt in ("--seed", "--draws", "--out", "--quiet", "--scenario"):
        assert any(opt in a.option_strings for a in sp._actions), f"{name} lacks {opt}"
    assert _code([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert "examples:" in out and f"jzsim {name}" in out


def test_sensitivity_prints_ranked_indices_with_intervals(capsys, tmp_path):
    code = main(
        [
            "sensitivity",
            "--target",
            "gdp_growth_2021_2025",
            "--draws",
            "64",
            "--bootstrap",
            "30",
            "--quiet",
            "--parameters",
            "tfp_growth,investment_rate,capital_output_ratio",
            "--out",
            str(tmp_path / "si.csv"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\s+(\d)\s+(\w+)\s+([-\d.]+) \[\s*([-\d.]+),\s*([-\d.]+)\]", out, flags=re.M)
    assert [r[0] for r in rows] == ["1", "2", "3"]
    st = [float(r[2]) for r in rows]
    assert st == sorted(st, reverse=True)  # ranked by ST
    assert all(float(lo) <= float(s) + 0.05 and float(s) <= float(hi) + 0.05 for _, _, s, lo, hi in rows)
    assert "P(met) =" in out
    assert (tmp_path / "si.csv").read_text().startswith("target,measure,parameter")


def test_sensitivity_morris(capsys):
    code = main(
        [
            "sensitivity",
            "--method",
            "morris",
            "--target",
            "urbanisation_2025",
            "--draws",
            "4",
            "-q",
            "--parameters",
            "net_migration_rate,tfp_growth",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "mu*" in out and "net_migration_rate" in out


def test_discover_prints_boxes_in_words(capsys, tmp_path):
    code = main(
        [
            "discover",
            "--target",
            "gdp_growth_2021_2025",
            "--draws",
            "1500",
            "--seed",
            "2",
            "-q",
            "--out",
            str(tmp_path / "b.csv"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "gdp_growth_2021_2025: missed in" in out
    assert (
        "box 1: gdp_growth_2021_2025 (average annual growth of gdp_real over 2020-2025 >= 0.06 1/year) is missed in"
        in out
    )
    assert "of draws where" in out and "peeling trajectory" in out
    assert "coverage" in (tmp_path / "b.csv").read_text()


def test_report_writes_html(capsys, tmp_path):
    out = tmp_path / "r.html"
    assert main(["report", "--draws", "300", "--sensitivity-n", "0", "-q", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sensitivity", "--target", "gdp_growth_2021_2026", "--draws", "8"], "did you mean gdp_growth_2021_2025"),
        (["sensitivity", "--parameters", "tfp_growht", "--draws", "8"], "did you mean tfp_growth"),
        (["discover", "--draws", "5"], "draws is 5"),
        (["report", "--out", "x.pdf", "--draws", "30"], "must end in .html"),
        (["discover", "--scenario", "water-squeez", "--draws", "30"], "water-squeeze"),
        (["report", "--compare", "tfp_growth=0", "--draws", "30"], "expected LABEL:NAME=VALUE"),
        (["report", "--set", "tfp_growth=fast", "--draws", "30"], "value 'fast' is not a number"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("error:") == 1


@pytest.mark.parametrize(
    "argv", [["sensitivity", "--draws", "0"], ["discover", "--alpha", "1.5"], ["report", "--draws", "x"]]
)
def test_bad_numbers_rejected_by_the_parser(argv, capsys):
    assert _code(argv) == 2
    assert "allowed" in capsys.readouterr().err


def test_discover_under_a_scenario(capsys):
    assert (
        main(
            [
                "discover",
                "--scenario",
                "water-squeeze",
                "--target",
                "groundwater_level_rising_2025",
                "--draws",
                "400",
                "-q",
            ]
        )
        == 0
    )
    assert "groundwater_level_rising_2025: missed in" in capsys.readouterr().out
