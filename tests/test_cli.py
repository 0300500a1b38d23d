"""The command line, run as a user runs it: as a console script and as ``python -m``."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def test_demo_via_python_m_prints_example_1():
    out = _run(sys.executable, "-m", "autograd_tiny", "demo")
    assert out.returncode == 0, out.stderr
    assert "z2 = 7" in out.stdout and "L = 9" in out.stdout
    for key in ("∂L/∂w2 = -12", "∂L/∂b2 = -6", "∂L/∂w1 = -18", "∂L/∂b1 = -18"):
        assert key in out.stdout


def test_console_script_is_installed_and_runs():
    exe = shutil.which("autograd-tiny")
    assert exe is not None, "the autograd-tiny console script is not on PATH: pip install the package"
    out = _run(exe, "demo")
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
