"""An exercise's question in LaTeX compiles with plain pdflatex and fits an A4/Letter page."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from autograd_tiny.practice import KINDS, exercise

PDFLATEX_INSTALL = "apt-get install texlive-latex-base"


@pytest.fixture(scope="module")
def pdflatex() -> str:
    path = shutil.which("pdflatex")
    if path is None:
        pytest.skip(f"no pdflatex to compile the questions with: install it with `{PDFLATEX_INSTALL}`")
    return path


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("level", [1, 2, 3])
def test_question_latex_compiles_and_fits_the_page(kind, level, pdflatex, tmp_path):
    """Every kind at every level, two seeds: pdflatex (article class, amsmath only) makes a PDF with
    no error and no line wider than the text block (no "Overfull \\hbox"), so nothing runs off."""
    body = "\n\n".join(exercise(kind, seed, level=level).question_latex for seed in (0, 1))
    doc = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n" + body + "\n\\end{document}\n"
    )
    (tmp_path / "q.tex").write_text(doc, encoding="utf-8")
    done = subprocess.run(
        [pdflatex, "-interaction=nonstopmode", "-halt-on-error", "q.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    problems = [line for line in done.stdout.splitlines() if line.startswith("!") or "Overfull" in line]
    assert done.returncode == 0 and not problems, (problems, doc)
    assert (tmp_path / "q.pdf").read_bytes().startswith(b"%PDF")
