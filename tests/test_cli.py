"""The command line, run as a user runs it: as a console script and as ``python -m``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest


def _run(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def test_demo_via_python_m_prints_traces_and_draws_example_1(tmp_path, dot_program):
    out = _run(sys.executable, "-m", "autograd_tiny", "demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "z2 = 7" in out.stdout and "L = 9" in out.stdout
    for key in ("∂L/∂w2 = -12", "∂L/∂b2 = -6", "∂L/∂w1 = -18", "∂L/∂b1 = -18"):
        assert key in out.stdout
    assert "∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12" in out.stdout  # traced node by node
    assert "the engine agrees with the answer key" in out.stdout
    svg = (tmp_path / "example1.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "grad −12" in svg
    assert "wrote the graph of Example 1 to example1.svg" in out.stdout


def test_demo_without_graphviz_says_how_to_get_it(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on this PATH
    out = _run(sys.executable, "-m", "autograd_tiny", "demo", "--svg", "g.svg", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    assert "no drawing" in out.stdout and "apt-get install graphviz" in out.stdout
    assert not (tmp_path / "g.svg").exists()


def test_console_script_is_installed_and_runs(tmp_path):
    exe = shutil.which("autograd-tiny")
    assert exe is not None, "the autograd-tiny console script is not on PATH: pip install the package"
    out = _run(exe, "demo", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "∂L/∂w1 = -18" in out.stdout


def test_unknown_command_exits_2():
    out = _run(sys.executable, "-m", "autograd_tiny", "nonsense")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help(flag):
    out = _run(sys.executable, "-m", "autograd_tiny", flag)
    assert out.returncode == 0 and "demo" in out.stdout
