"""This engine against an earlier version of itself, both against micrograd, in one process run.

    python benchmarks/versions.py [--before REV] [--quick]

The earlier version is read from git (``git show REV:autograd_tiny/...``) into a temporary package
``autograd_tiny_before``, so both run in the same interpreter, alternately, on the same work. It
prints each library's median and the ratios micrograd/before and micrograd/now: the figures that
say whether a change to the engine made its first-order path slower.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import micrograd.engine as mg_engine  # noqa: E402
from run import chain, demo_setups, timed, tiny_graph, wide_neuron  # noqa: E402 (after the path is set)

from autograd_tiny.data import make_moons  # noqa: E402


def load_before(rev: str) -> object:
    """The package as it was at ``rev``, importable as ``autograd_tiny_before``."""
    root = Path(tempfile.mkdtemp(prefix="autograd_tiny_before_"))
    pkg = root / "autograd_tiny_before"
    pkg.mkdir()
    files = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{rev}:autograd_tiny"],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent,
    ).stdout.split()
    for name in files:
        if name.endswith(".py"):
            text = subprocess.run(
                ["git", "show", f"{rev}:autograd_tiny/{name}"],
                capture_output=True,
                text=True,
                check=True,
                cwd=HERE.parent,
            ).stdout
            (pkg / name).write_text(text.replace("autograd_tiny", "autograd_tiny_before"), encoding="utf-8")
    sys.path.insert(0, str(root))
    return importlib.import_module("autograd_tiny_before")


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", default="d7c73d9", help="the git revision to compare with")
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    rep = 3 if args.quick else 9
    before = load_before(args.before)
    import autograd_tiny as now

    def demo(lib: object) -> object:
        _, theirs, _ = demo_setups()  # micrograd's step, as run.py makes it
        X, y = make_moons(100, 0.1, seed=0)
        model = lib.nn.MLP(2, [16, 16, 1], seed=0)
        params = model.parameters()
        loss_and_accuracy = importlib.import_module(f"{lib.__name__}.train").loss_and_accuracy

        def ours() -> None:
            total, _ = loss_and_accuracy(model, X, y)
            model.zero_grad()
            total.backward()
            for p in params:
                p.data -= 0.5 * p.grad

        return ours, theirs

    work = {
        "(a) demo training step": lambda lib: demo(lib),
        "(b) chain of 100,000 ops": lambda lib: (chain(lib.Value, 100_000), chain(mg_engine.Value, 100_000)),
        "(c) neuron, 10,000 inputs": lambda lib: wide_neuron_for(lib),
        "tiny graph × 20,000": lambda lib: (
            tiny_graph(lib.Value, 20_000),
            tiny_graph(mg_engine.Value, 20_000),
        ),
    }

    def wide_neuron_for(lib: object) -> object:
        ours = lib.nn.Neuron(10_000, activation="relu", rng=random.Random(0))
        xs = [((i * 7919) % 1000) / 1000 - 0.5 for i in range(10_000)]
        _, theirs = wide_neuron(10_000)
        return (lambda: ours(xs).backward()), theirs

    print(f"before = {args.before}, now = the working tree; median of {rep}, order rotated each round\n")
    print("| measurement | before | now | micrograd | micrograd/before | micrograd/now | now vs before |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, make in work.items():
        b_run, mg_run = make(before)
        n_run, _ = make(now)
        for f in (b_run, n_run, mg_run):
            f()  # warm up
        times: dict[str, list[float]] = {"b": [], "n": [], "m": []}
        runs = [("b", b_run), ("n", n_run), ("m", mg_run)]
        for r in range(rep):
            for key, f in runs[r % 3 :] + runs[: r % 3]:
                times[key].append(timed(f))
        tb, tn, tm = (statistics.median(times[k]) for k in "bnm")
        print(
            f"| {name} | {tb * 1e3:.1f} ms | {tn * 1e3:.1f} ms | {tm * 1e3:.1f} ms | {tm / tb:.2f}× | "
            f"{tm / tn:.2f}× | {(tm / tn) / (tm / tb) - 1:+.1%} |"
        )


if __name__ == "__main__":
    main()
