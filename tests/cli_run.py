"""Running the autograd-tiny command in tests: in-process through main() (fast, for many inputs) or
as the installed console script in a subprocess (as a user runs it: pipes, warnings, exit status)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

from autograd_tiny.cli import main


def run_main(*argv: str) -> tuple[int, str, str]:
    """main(argv) with stdout and stderr captured: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as e:  # argparse's --help, --version and usage errors exit
            status = 0 if e.code is None else e.code
    return status, out.getvalue(), err.getvalue()


def console_script() -> str:
    """The installed autograd-tiny script: beside this Python first (an un-activated venv), else on PATH."""
    here = Path(sys.executable).parent / "autograd-tiny"
    exe = str(here) if here.exists() else shutil.which("autograd-tiny")
    assert exe, "the autograd-tiny console script is not installed: pip install -e '.[test]'"
    return exe


def run_script(*args: str, cwd=None, env=None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The console script run with ``args`` as a user runs it, output captured as text."""
    return subprocess.run(
        [console_script(), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
    )


def is_one_line_error(status: int, out: str, err: str) -> bool:
    """The contract for every refused input: status 2, nothing on stdout, one 'autograd-tiny: error:' line."""
    lines = err.splitlines()
    return (
        status == 2
        and out == ""
        and len(lines) == 1
        and err.endswith("\n")
        and lines[0].startswith("autograd-tiny: error: ")
        and "Traceback" not in err
    )


_GRADIENT_LINE = re.compile(r"∂(?P<root>\S+?)/∂(?P<name>\S+) = (?P<value>\S+)")


def printed_gradients(out: str) -> tuple[set[str], dict[str, float]]:
    """From `autograd-tiny trace` output: the root names used and {variable: ∂root/∂variable}."""
    roots, grads = set(), {}
    for line in out.splitlines():
        m = _GRADIENT_LINE.fullmatch(line)
        if m:
            roots.add(m["root"])
            grads[m["name"]] = float(m["value"].replace("−", "-"))
    return roots, grads
