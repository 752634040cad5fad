"""`jzsim report`: the HTML file parsed with a real HTML parser; every section and image there."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from jzsim.analysis.report import SECTIONS, build_report, report_outputs, write_report


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sections, self.images, self.tags, self.stack, self.text = [], [], [], [], {}
        self.current = None
        self.links = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "section":
            self.sections.append(a.get("id"))
            self.current = a.get("id")
            self.text[self.current] = ""
        if tag == "img":
            self.images.append((self.current, a))
        if tag in ("a", "link", "script") and (a.get("href") or a.get("src")):
            self.links.append(a.get("href") or a.get("src"))

    def handle_data(self, data):
        if self.current:
            self.text[self.current] += data


@pytest.fixture(scope="module")
def page():
    import jzsim

    outputs = report_outputs()
    mc = jzsim.monte_carlo(600, seed=3, outputs=outputs, progress=False)
    slow = jzsim.monte_carlo(600, seed=3, params={"tfp_growth": 0.0}, outputs=outputs, progress=False)
    text = build_report(mc, variants={"no TFP growth": slow}, sensitivity_n=16, discovery_draws=600)
    p = Collect()
    p.feed(text)
    p.close()
    return text, p


def test_every_section_in_order(page):
    _, p = page
    assert p.sections == list(SECTIONS)


def test_every_image_is_an_embedded_png(page):
    _, p = page
    assert len(p.images) >= 7  # four figures, two comparisons, the Sobol bars
    assert {sec for sec, _ in p.images} == {"figures", "sensitivity"}
    for _, a in p.images:
        assert a["src"].startswith("data:image/png;base64,")
        raw = base64.b64decode(a["src"].split(",", 1)[1])
        assert raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) > 5000
        assert a.get("alt")


def test_self_contained(page):
    _, p = page
    assert all(link.startswith("#") for link in p.links)  # only in-page anchors, nothing to fetch
    assert "script" not in p.tags


def test_section_contents(page):
    _, p = page
    assert "600 Monte Carlo draws, seed 3" in p.text["scenario"]
    assert "tfp_growth" in p.text["scenario"]  # uncertain parameters listed
    assert "gdp_growth_2021_2025" in p.text["targets"] and "P(met)" in p.text["targets"]
    assert "not modelled" in p.text["targets"]  # targets outside the model are listed, not dropped
    assert "P(met), no TFP growth" in p.text["targets"] and "Compared with no TFP growth" in p.text["scenario"]
    assert "Sobol" in p.text["sensitivity"] and "investment_rate" in p.text["sensitivity"]
    assert "is missed in" in p.text["discovery"] and "of draws where" in p.text["discovery"]
    assert "data hash" in p.text["provenance"] and "assumption" in p.text["provenance"]


def test_write_report(tmp_path):
    with pytest.raises(ValueError, match="must end in .html"):
        write_report(tmp_path / "r.pdf", None)


def test_report_needs_the_figures_outputs():
    import jzsim

    with pytest.raises(ValueError, match="outputs=report_outputs"):
        build_report(jzsim.monte_carlo(100, progress=False))


def test_report_of_a_scenario():
    p = Collect()
    import jzsim

    mc = jzsim.monte_carlo(
        300, seed=1, scenario="water-squeeze", outputs=report_outputs(scenario="water-squeeze"), progress=False
    )
    p.feed(build_report(mc, sensitivity_n=0, scenario="water-squeeze"))
    assert "Scenario water-squeeze" in p.text["scenario"]
    assert "scenario's numbers, schedules and uncertainty" in p.text["scenario"]
    assert p.sections == list(SECTIONS)
