"""autograd_tiny against micrograd, side by side in one process: medians and ratios.

    pip install -e ".[bench]"      # brings micrograd 0.1.0 from PyPI
    python benchmarks/run.py       # about two minutes; --quick for a rough run

Each measurement runs the same work on both libraries, alternating which goes first, with a full
garbage collection before every timed run, and reports the median over the repeats. "ratio" is
micrograd's median divided by autograd_tiny's: how many times faster autograd_tiny is.
micrograd's recursive topological sort needs a raised recursion limit for deep graphs; it is
raised here for micrograd's sake (autograd_tiny does not need it).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:
    sys.exit(
        "benchmarks/run.py compares with micrograd: pip install -e '.[bench]' (or pip install micrograd)"
    )

from autograd_tiny import Value
from autograd_tiny.data import make_moons
from autograd_tiny.nn import MLP, Neuron
from autograd_tiny.train import loss_and_accuracy

sys.setrecursionlimit(1_000_000)  # for micrograd's recursive build_topo on deep chains


def timed(fn: Callable[[], object]) -> float:
    """Seconds for one call of fn, after a full collection so earlier garbage is not billed to it."""
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def side_by_side(
    ours: Callable[[], object], theirs: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Median seconds of each, alternating which one runs first."""
    a, b = [], []
    for r in range(repeats):
        if r % 2 == 0:
            a.append(timed(ours))
            b.append(timed(theirs))
        else:
            b.append(timed(theirs))
            a.append(timed(ours))
    return statistics.median(a), statistics.median(b)


# ---- (a) micrograd's demo training step, each library used the way its README shows --------------


def demo_setups() -> tuple[Callable[[], object], Callable[[], object], Callable[[], tuple[float, float]]]:
    """One training step of micrograd's demo for each library, on the same 100 moons points."""
    X, y = make_moons(100, 0.1, seed=0)
    ys = [2.0 * float(v) - 1.0 for v in y]

    ours_model = MLP(2, [16, 16, 1], seed=0)
    ours_params = ours_model.parameters()

    def ours_step() -> None:
        total, _ = loss_and_accuracy(ours_model, X, y)  # forward: data loss + α Σ p²
        ours_model.zero_grad()
        total.backward()
        for p in ours_params:
            p.data -= 0.5 * p.grad

    def ours_split() -> tuple[float, float]:
        t0 = time.perf_counter()
        total, _ = loss_and_accuracy(ours_model, X, y)
        t1 = time.perf_counter()
        ours_model.zero_grad()
        total.backward()
        return t1 - t0, time.perf_counter() - t1

    mg_model = mg_nn.MLP(2, [16, 16, 1])
    MV = mg_engine.Value

    def mg_step() -> None:  # the loss and update of micrograd's demo notebook
        inputs = [list(map(MV, row)) for row in X]
        scores = list(map(mg_model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in mg_model.parameters())
        total = data_loss + reg_loss
        _ = [(yi > 0) == (si.data > 0) for yi, si in zip(ys, scores, strict=True)]
        mg_model.zero_grad()
        total.backward()
        for p in mg_model.parameters():
            p.data -= 0.5 * p.grad

    return ours_step, mg_step, ours_split


# ---- (b), (e) chains of binary operations ----------------------------------------------------------


def chain(V: type, n: int) -> Callable[[], object]:
    """Forward and backward through y = ((x + c) * c + c) * c …: n binary operations."""

    def run() -> float:
        x = V(0.5)
        y = x
        for i in range(n):
            y = y * 1.0000001 if i % 2 else y + 0.1
        y.backward()
        return x.grad

    return run


def chain_split(n: int) -> tuple[float, float]:
    """Seconds for the forward and for the backward pass of autograd_tiny's chain of n operations."""
    gc.collect()
    x = Value(0.5)
    y = x
    t0 = time.perf_counter()
    for i in range(n):
        y = y * 1.0000001 if i % 2 else y + 0.1
    t1 = time.perf_counter()
    y.backward()
    return t1 - t0, time.perf_counter() - t1


# ---- (c) one neuron with a wide input --------------------------------------------------------------


def wide_neuron(n: int) -> tuple[Callable[[], object], Callable[[], object]]:
    """One neuron with n inputs, forward and backward, in each library."""
    ours = Neuron(n, activation="relu", rng=__import__("random").Random(0))
    theirs = mg_nn.Neuron(n)
    xs = [((i * 7919) % 1000) / 1000 - 0.5 for i in range(n)]

    def run_ours() -> None:
        ours(xs).backward()

    def run_theirs() -> None:
        theirs([mg_engine.Value(v) for v in xs]).backward()

    return run_ours, run_theirs


# ---- (d) memory -------------------------------------------------------------------------------------


def bytes_per_node(V: type, n: int = 20_000) -> float:
    """Bytes held per node of a chain of binary ops whose operands are all Values (tracemalloc)."""
    gc.collect()
    a, b = V(0.3), V(0.7)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    y = a
    for i in range(n):
        y = y * b if i % 2 else y + b
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del y
    return held / n


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats and no 10^6 chain")
    args = parser.parse_args()
    rep = 3 if args.quick else 7
    rows: list[tuple[str, str, str, str]] = []

    def row(name: str, ours: float, theirs: float, unit: str = "s") -> None:
        scale, u = (1e3, "ms") if unit == "s" else (1.0, unit)
        rows.append((name, f"{ours * scale:.1f} {u}", f"{theirs * scale:.1f} {u}", f"{theirs / ours:.1f}×"))

    ours_step, mg_step, ours_split = demo_setups()
    ours_step(), mg_step()  # warm up
    o, m = side_by_side(ours_step, mg_step, rep)
    row("(a) demo training step, default GC", o, m)
    gc.disable()
    try:
        o2, m2 = side_by_side(ours_step, mg_step, rep)
    finally:
        gc.enable()
    row("(a) demo training step, GC off for both", o2, m2)

    o, m = side_by_side(chain(Value, 100_000), chain(mg_engine.Value, 100_000), rep)
    row("(b) chain of 100,000 binary ops, fwd+bwd", o, m)

    ro, rt = wide_neuron(10_000)
    o, m = side_by_side(ro, rt, rep)
    row("(c) one neuron, 10,000 inputs, fwd+bwd", o, m)

    bo, bm = bytes_per_node(Value), bytes_per_node(mg_engine.Value)
    rows.append(("(d) bytes per node (binary ops)", f"{bo:.0f} B", f"{bm:.0f} B", f"{bm / bo:.1f}×"))

    # micrograd is left out at 10^6: its recursive sort would need millions of Python frames
    sizes = [10_000, 100_000] + ([] if args.quick else [1_000_000])
    per_node = {}
    for n in sizes:
        if n < 1_000_000:
            o, m = side_by_side(chain(Value, n), chain(mg_engine.Value, n), rep)
            theirs, ratio = f"{m / n * 1e6:.2f} µs", f"{m / o:.1f}×"
        else:
            o = statistics.median(timed(chain(Value, n)) for _ in range(3))
            theirs, ratio = "not run", ""
        per_node[n] = o / n
        rows.append((f"(e) chain of {n:,}: time per node", f"{o / n * 1e6:.2f} µs", theirs, ratio))
    growth = per_node[sizes[-1]] / per_node[sizes[0]]
    # the same chains with the cycle collector paused: what is left is the engine's own cost
    gc.disable()
    try:
        no_gc = {
            n: statistics.median(timed(chain(Value, n)) for _ in range(3)) / n for n in (sizes[0], sizes[-1])
        }
    finally:
        gc.enable()
    growth_no_gc = no_gc[sizes[-1]] / no_gc[sizes[0]]

    splits = [ours_split() for _ in range(rep)]
    fwd = statistics.median(s[0] for s in splits)
    bwd = statistics.median(s[1] for s in splits)
    # forward and backward apart, per node, for each chain length
    split = {n: [chain_split(n) for _ in range(3)] for n in sizes}
    split = {
        n: (statistics.median(f for f, _ in v) / n, statistics.median(b for _, b in v) / n)
        for n, v in split.items()
    }

    cpu = "unknown CPU"
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    print(
        f"machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.system()} {platform.machine()}"
    )
    print(f"repeats: median of {rep} (alternating order, gc.collect() before each run)\n")
    print("| measurement | autograd_tiny | micrograd 0.1.0 | ratio |")
    print("| --- | --- | --- | --- |")
    for name, a, b, c in rows:
        print(f"| {name} | {a} | {b} | {c} |")
    print(f"\n(e) autograd_tiny's time per node at {sizes[-1]:,} nodes is {growth:.2f}× that at {sizes[0]:,}")
    print(
        f"    with the cycle collector paused: {no_gc[sizes[0]] * 1e6:.2f} µs → "
        f"{no_gc[sizes[-1]] * 1e6:.2f} µs a node, {growth_no_gc:.2f}× "
        "(the rest of the growth is CPython's collector re-scanning the live graph)"
    )
    print(
        "    forward / backward alone, µs a node: "
        + ", ".join(f"{n:,}: {f * 1e6:.2f} / {b * 1e6:.2f}" for n, (f, b) in split.items())
    )
    f100, b100 = split[100_000]
    print(
        f"backward/forward time, autograd_tiny: demo step {bwd / fwd:.2f} "
        f"(forward {fwd * 1e3:.1f} ms, backward {bwd * 1e3:.1f} ms); "
        f"chain of 100,000 {b100 / f100:.2f} (the chapter says 2 to 3)"
    )


if __name__ == "__main__":
    main()
