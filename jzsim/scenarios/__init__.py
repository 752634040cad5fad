"""Scenarios and policy levers: TOML files of parameter overrides, lever schedules over time and
uncertainty overrides, with inheritance; the built-in scenarios live in ``builtin/*.toml``.

>>> from jzsim.scenarios import load_scenario, builtin_names
>>> "plan" in builtin_names()
True
>>> s = load_scenario("water-squeeze")
>>> Scenario.from_toml(s.to_toml()) == s
True
"""

from jzsim.scenarios.scenario import (
    Scenario,
    ScenarioError,
    Uncertainty,
    apply_scenario,
    builtin_names,
    list_scenarios,
    load_scenario,
    resolve,
)
from jzsim.scenarios.schedule import KINDS, YEARS, Schedule, ScheduleError

__all__ = [
    "Scenario",
    "ScenarioError",
    "Schedule",
    "ScheduleError",
    "Uncertainty",
    "apply_scenario",
    "builtin_names",
    "list_scenarios",
    "load_scenario",
    "resolve",
    "KINDS",
    "YEARS",
]
