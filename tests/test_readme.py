"""The README's examples print exactly what the README says they print."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
# a ```python block followed (after some prose) by the ```text block that shows its output
# (a python block with no text block after it is not paired with a later one)
PAIR = re.compile(r"```python\n((?:(?!```).)*?)```\n(?:(?!```).)*?```text\n(.*?)```", re.S)


def _pairs():
    return PAIR.findall(README.read_text(encoding="utf-8"))


def test_readme_has_examples_with_output():
    assert len(_pairs()) >= 3


@pytest.mark.parametrize("code, expected", _pairs())
def test_readme_example_prints_what_it_claims(code, expected):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
    assert out.getvalue() == expected


def test_ci_runs_the_readme_test_command():
    text = README.read_text(encoding="utf-8")
    m = re.search(r"<!-- test-command[^>]*-->\n```bash\n(.+)\n```", text)
    assert m, "README must mark its test command for .ci/run"
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci  # .ci/run reads the marked line rather than keeping a copy
    # PyTorch, an oracle of the tests, is installed first (its CPU build) and is in the test extra
    command = m.group(1)
    assert command.startswith('pip install torch==2.13.0 && pip install -e ".[test]"'), command
    pyproject = (README.parent / "pyproject.toml").read_text(encoding="utf-8")
    test_extra = re.search(r"^test = \[(.*?)^\]", pyproject, re.S | re.M)
    assert test_extra and '"torch==2.13.0"' in test_extra.group(1)
    assert 'torch = ["torch==2.13.0"]' in pyproject  # the torch extra: torch and nothing else


def test_the_readme_shows_the_rule_table_as_the_engine_has_it():
    from autograd_tiny.rules import table_markdown

    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- rule-table")
    shown = text[text.index("\n", start) + 1 :].split("\n\n", 1)[0]
    assert shown == table_markdown()


def _unpaired():
    text = README.read_text(encoding="utf-8")
    paired = {code for code, _ in _pairs()}
    return [code for code in re.findall(r"```python\n(.*?)```", text, re.S) if code not in paired]


@pytest.mark.parametrize("code", _unpaired())
def test_readme_examples_without_output_run(code, tmp_path, monkeypatch, renderer):
    """A README example that shows no output still runs as written (in a fresh folder, where any
    file it writes lands)."""
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})
