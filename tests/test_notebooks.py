"""Every walkthrough notebook runs on a real Jupyter kernel, and reproduces its stored outputs."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


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
    ]


def _streams(nb) -> list[str]:
    return [
        "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
        for c in nb.cells
        if c.cell_type == "code"
    ]


def _kinds(nb) -> list[list[str]]:
    return [
        [o.output_type + ":" + ",".join(sorted(o.get("data", {}))) for o in c.outputs]
        for c in nb.cells
        if c.cell_type == "code"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_reproduces_its_stored_outputs(path, tmp_path, dot_program):
    stored = nbformat.read(path, as_version=4)
    # stored with outputs, so a code host shows them without running anything
    code_cells = [c for c in stored.cells if c.cell_type == "code"]
    assert not any(o.output_type == "error" for c in code_cells for o in c.outputs)
    fresh = copy.deepcopy(stored)
    for c in fresh.cells:
        if c.cell_type == "code":
            c.outputs = []
    # raises CellExecutionError on any exception or failed assertion in a cell
    NotebookClient(
        fresh, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert _streams(fresh) == _streams(stored), f"{path.name}: printed output differs from the stored one"
    # every output a fresh run makes is stored (so a code host shows it), and nothing else is
    assert _kinds(fresh) == _kinds(stored), f"{path.name}: stored outputs are stale; re-run and save it"
    kinds = {k for c in fresh.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    if "draw_dot(" in "".join(c.source for c in code_cells):
        assert "image/svg+xml" in kinds  # the graphs are rendered, inline
