"""The documentation runs: the ```python blocks of the README and of docs/engine_api.md are executed
in order, in one namespace per file, as a reader would paste them one after the other.

A block that fails reports the document and the line of the failing statement in its traceback
(each block is compiled with its own line numbers in the file).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "docs" / "engine_api.md"]
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """The ```python fenced blocks of a markdown text: (line of the block's first code line, code)."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def test_python_blocks_are_found_with_their_line_numbers():
    text = "# t\n\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python\ny = x + 1\nz = 2\n```\n"
    assert python_blocks(text) == [(4, "x = 1\n"), (11, "y = x + 1\nz = 2\n")]


@pytest.mark.slow  # the README runs the plan model and a Monte Carlo of 4096 draws
@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_python_blocks_of_the_docs_run(doc, monkeypatch):
    monkeypatch.chdir(ROOT)  # paths in the docs are relative to the repository root
    blocks = python_blocks(doc.read_text(encoding="utf-8"))
    assert blocks, f"{doc.name} has no ```python blocks"
    ns: dict = {"__name__": "__doc_example__"}
    for line, src in blocks:
        # blank lines in front so the traceback gives the line in the document
        exec(compile("\n" * (line - 1) + src, str(doc), "exec"), ns)
