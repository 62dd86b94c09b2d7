"""The course's house rules, checked on the committed notebooks (their outputs are what readers see).

* every formula in markdown is LaTeX ($…$ or $$…$$): no Greek letters, √, ∏, ∇, ≤ … or x_t-style
  subscripts left in plain text;
* notebook 01 holds the conventions box, and every other notebook links to it;
* figures at ≥ 110 dpi (``dp.use_style()`` in the imports cell), tables rendered, never printed as
  raw markdown on stdout;
* at least two exercises per notebook, each with a checker call in its stub cell.
"""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MATH = re.compile(r"[\u0391-\u03a9\u03b1-\u03c9ᾱ√∏∑∫∇≤≥≈∝∞ε]|\b[A-Za-z]_(\{|[A-Za-z0-9])")
CONVENTIONS = "01_forward_process.ipynb#conventions"


def _cells(path, kind):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == kind]


def _text(cell):
    return "".join(cell["source"])


def _prose(markdown: str) -> str:
    """Markdown without its math, code and link targets: what must hold no formula."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$.+?(?<!\\)\$", " ", text)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    return re.sub(r"<[^>]+>", " ", text)      # html tags (their attributes)


def test_there_is_a_course():
    assert len(NOTEBOOKS) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_formula_outside_latex(path):
    for cell in _cells(path, "markdown"):
        prose = _prose(_text(cell))
        hits = sorted({m.group(0) for m in MATH.finditer(prose)})
        assert not hits, f"plain-text math {hits} in: {prose.strip()[:160]!r}"


def test_the_conventions_box_is_in_01_and_linked_from_every_other_notebook():
    first = " ".join(_text(c) for c in _cells(NOTEBOOKS[0], "markdown"))
    assert 'id="conventions"' in first and "Conventions" in first
    for path in NOTEBOOKS[1:]:
        assert any(CONVENTIONS in _text(c) for c in _cells(path, "markdown")), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_figures_use_the_course_style_and_tables_are_rendered(path):
    code = _cells(path, "code")
    assert re.search(r"dp\.use_style\(\)", _text(code[0])), "the imports cell calls dp.use_style() (110 dpi)"
    assert "hide-input" in code[0].get("metadata", {}).get("tags", []), "the imports cell is tagged hide-input"
    for cell in code:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                text = "".join(out["text"])
                assert not re.search(r"^\|.*\|\s*$", text, flags=re.M), f"a printed table in {_text(cell)[:80]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_at_least_two_self_checking_exercises(path):
    checks = [c for c in _cells(path, "code") if re.search(r"\bcheck_\w+\(", _text(c))]
    stubs = [c for c in checks if "NotImplementedError" in _text(c)]
    assert len(stubs) >= 2, f"{len(stubs)} exercise stubs with a checker"
