"""Every walkthrough notebook runs on a real Jupyter kernel, and reproduces its stored outputs.

The stored outputs are what `run` makes. After changing a notebook, store it the same way:

    python tests/test_notebooks.py notebooks/05_training_moons.ipynb
"""

from __future__ import annotations

import base64
import copy
import re
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
# outputs a reader sees as a picture or a table: a cell that stored one must make it again
RICH = ("image/png", "image/svg+xml", "text/html")


def run(nb: nbformat.NotebookNode, cwd: Path) -> None:
    """Execute ``nb`` in place on a fresh python3 kernel whose working directory is ``cwd``."""
    # raises CellExecutionError on any exception or failed assertion in a cell
    # generous time limits: a busy or slow machine is no failure (a kernel may take a minute to start)
    NotebookClient(
        nb,
        timeout=600,
        startup_timeout=300,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(cwd)}},
    ).execute()


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _stream(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _kinds(cell) -> list[str]:
    kinds = [o.output_type + ":" + ",".join(sorted(o.get("data", {}))) for o in cell.outputs]
    # a kernel may deliver one printout as two stream messages: consecutive ones count as one
    return [k for i, k in enumerate(kinds) if not (k == "stream:" and i and kinds[i - 1] == "stream:")]


def _rich(cell) -> list[str]:
    return sorted(k for o in cell.outputs for k in o.get("data", {}) if k in RICH)


def _pngs(cell) -> list[bytes]:
    return [base64.b64decode(o.data["image/png"]) for o in cell.outputs if "image/png" in o.get("data", {})]


def test_the_walkthroughs_are_there_in_reading_order():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_backprop_by_hand.ipynb",
        "02_primer_two_layer_sigmoid.ipynb",
        "03_shapes_and_batches.ipynb",
        "04_gradient_checking.ipynb",
        "05_training_moons.ipynb",
        "06_why_reverse_mode.ipynb",
        "07_practice.ipynb",
        "08_second_derivatives.ipynb",
        "09_same_network_in_pytorch.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_reproduces_its_stored_outputs(path, tmp_path, renderer):
    stored = nbformat.read(path, as_version=4)
    # stored with outputs, so a code host shows them without running anything
    assert not any(o.output_type == "error" for c in _code_cells(stored) for o in c.outputs)
    fresh = copy.deepcopy(stored)
    for c in _code_cells(fresh):
        c.outputs = []
    run(fresh, tmp_path)
    for n, (was, now) in enumerate(zip(_code_cells(stored), _code_cells(fresh), strict=True), start=1):
        where = f"{path.name}, code cell {n}"
        # printed text is compared exactly: a notebook prints no digit that is only rounding
        # (those differ from one CPU, BLAS or maths library to the next)
        assert _stream(now) == _stream(was), f"{where}: printed output differs from the stored one"
        # a figure, drawing or table that is stored is made again (not silenced, e.g. by a backend switch)
        assert _rich(now) == _rich(was), f"{where}: stored {_rich(was)}, a fresh run made {_rich(now)}"
        # every output a fresh run makes is stored (so a code host shows it), and nothing else is
        assert _kinds(now) == _kinds(was), f"{where}: stored outputs are stale; re-run and save it"
    kinds = {k for c in _code_cells(fresh) for o in c.outputs for k in o.get("data", {})}
    if "draw_dot(" in "".join(c.source for c in _code_cells(stored)):
        assert "image/svg+xml" in kinds  # the graphs are rendered, inline
    if "plot_training(" in "".join(c.source for c in _code_cells(stored)):
        assert "image/png" in kinds  # the loss curve and decision boundary are shown


# What JupyterLab shows of an output in a notebook that is not trusted (every fresh clone's): the
# first of these forms that the output has. SVG and JavaScript are never shown untrusted; HTML is,
# through a sanitizer that drops <script> and <style> with their text and strips the tags of an
# inline SVG, leaving its text loose on the page.
UNTRUSTED_ORDER = ("text/html", "text/markdown", "text/latex", "image/png", "image/jpeg", "image/gif")


def _untrusted_view(data: dict) -> tuple[str, str]:
    """(the form an untrusted notebook shows, what is left of it): a sanitized page for HTML."""
    kind = next((k for k in UNTRUSTED_ORDER if k in data), "text/plain")
    shown = "".join(data.get(kind, ""))
    if kind == "text/html":
        shown = re.sub(r"<(script|style)\b.*?</\1>", "", shown, flags=re.S)
    return kind, shown


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_stored_picture_shows_in_an_untrusted_notebook(path):
    """A drawing, stepper or figure stored in a notebook is seen when a fresh clone opens it with
    nothing run: each carries a form that is safe untrusted, and that form is a picture (an image,
    or HTML whose drawing is an <img>, not inline SVG, and whose dead buttons are hidden)."""
    stored = nbformat.read(path, as_version=4)
    for n, cell in enumerate(_code_cells(stored), start=1):
        for out in cell.outputs:
            data = out.get("data", {})
            if not set(data) - {"text/plain"}:
                continue  # text only: shown as it is
            kind, shown = _untrusted_view(data)
            where = f"{path.name}, code cell {n}: {sorted(data)}"
            assert kind != "text/plain", f"{where}: untrusted, only its text shows"
            if kind == "text/html":
                assert "<svg" not in shown, f"{where}: an inline SVG shows as loose text untrusted"
                for button in re.finditer(r"<button\b", shown):
                    bar = shown.rfind('style="display: none"', 0, button.start())
                    assert bar != -1, f"{where}: a button that does nothing untrusted is shown"
                if "image/svg+xml" in data or "<script" in "".join(data["text/html"]):
                    assert re.search(r'<img src="data:image/(svg\+xml|png);base64,', shown), where


def test_plot_training_shows_its_figure_once_in_a_notebook_and_leaves_later_figures_alone(tmp_path):
    # a user's notebook: train, plot the run (as the cell's last line, then with plt.show() and a
    # file), then a figure of their own; the kernel's inline backend must stay in charge throughout
    cells = [
        "import matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "from autograd_tiny import MLP\n"
        "from autograd_tiny.data import make_moons\n"
        "from autograd_tiny.plot import plot_training\n"
        "from autograd_tiny.train import train\n"
        "X, y = make_moons(20, seed=0)\n"
        "model = MLP(2, [4, 1], seed=0)\n"
        "history = train(model, X, y, steps=3)\n"
        "backend = matplotlib.get_backend()",
        "plot_training(model, X, y, history)",
        "plot_training(model, X, y, history, path='run.png')\nplt.show()",
        "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nplt.show()",
        "print(matplotlib.get_backend() == backend, 'inline' in backend)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    run(nb, tmp_path)
    _, last_line, with_show, own_figure, backend = nb.cells
    for cell in (last_line, with_show, own_figure):
        pngs = _pngs(cell)
        shown = len(pngs)
        assert shown == 1, f"{cell.source!r} showed {shown} figures: {_kinds(cell)}"  # shown, once
        assert pngs[0].startswith(b"\x89PNG\r\n\x1a\n")
    assert "TrainingPlot" in last_line.outputs[0].data["text/plain"]  # the value prints as text
    assert (tmp_path / "run.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert _stream(backend) == "True True\n"


if __name__ == "__main__":
    # store each notebook named on the command line with the outputs `run` makes
    for name in sys.argv[1:]:
        nb = nbformat.read(name, as_version=4)
        for c in _code_cells(nb):
            c.outputs = []
            c.execution_count = None
        with tempfile.TemporaryDirectory() as cwd:
            run(nb, Path(cwd))
        nbformat.write(nb, name)
        print(f"stored {name} ({Path(name).stat().st_size:,} bytes)")
