"""The notebooks run: their code cells are executed in order in one namespace.

(The notebooks issue adds execution through a Jupyter kernel in CI; this keeps them honest today.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_code_cells_run(path, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cells"
    ns: dict = {"__name__": "__notebook__"}
    for i, src in enumerate(code):
        exec(compile(src, f"{path.name}[cell {i}]", "exec"), ns)


def test_there_are_notebooks():
    assert NOTEBOOKS
