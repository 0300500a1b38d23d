"""autograd_tiny against micrograd, side by side in one process: medians and ratios.

    pip install -e ".[bench]"      # brings micrograd 0.1.0 from PyPI
    python benchmarks/run.py       # about two minutes; --quick for a rough run, --huge adds 10^6 compiled

Each measurement runs the same work on both libraries, alternating which goes first, with a full
garbage collection before every timed run, and reports the median over the repeats. "ratio" is
micrograd's median divided by autograd_tiny's: how many times faster autograd_tiny is.
micrograd's recursive topological sort needs a raised recursion limit for deep graphs; it is
raised here for micrograd's sake (autograd_tiny does not need it).
"""

from __future__ import annotations

import argparse
import ast
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
from autograd_tiny.compile import compile
from autograd_tiny.data import make_moons
from autograd_tiny.nn import MLP, Neuron
from autograd_tiny.train import CompiledStep, loss_and_accuracy

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


def compiled_demo_setup() -> tuple[Callable[[], object], CompiledStep, float]:
    """The same demo step as compiled code (train(..., compiled=True)), and the seconds compiling took."""
    X, y = make_moons(100, 0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    t0 = time.perf_counter()
    step = CompiledStep(model, X, y)  # the engine records the graph once, then it is compiled
    seconds = time.perf_counter() - t0

    def run() -> None:
        step()  # loss, accuracy and every parameter's .grad
        for p in params:
            p.data -= 0.5 * p.grad

    return run, step, seconds


# ---- (f) a tiny graph, many times -----------------------------------------------------------------


def tiny_graph(V: type, n: int) -> Callable[[], object]:
    """c = a + b; d = a·b + b³; e = c − d; f = e²; g = f / 2; g.backward(), n times over."""

    def run() -> None:
        for _ in range(n):
            a, b = V(-4.0), V(2.0)
            c = a + b
            d = a * b + b**3
            e = c - d
            f = e**2
            g = f / 2.0
            g.backward()

    return run


def tiny_graph_compiled(n: int) -> list[Callable[[], object]]:
    """The tiny graph compiled once, then called n times with the same two numbers, three ways: the
    Compiled call (input checks, engine fallback), the generated function alone, and the same
    arithmetic written by hand without any check."""
    a, b = Value(-4.0, "a"), Value(2.0, "b")
    g = (((a + b) - (a * b + b**3)) ** 2) / 2.0
    g.backward()
    f = compile(g, [a, b])

    def by_hand(a: float, b: float) -> tuple[float, list[float]]:
        e = (a + b) - (a * b + b**3.0)
        de = 2.0 * e * 0.5
        return e**2.0 / 2.0, [de - b * de, de - a * de - 3.0 * b**2.0 * de]

    runners = []
    for fn in (f, f._fn, by_hand):
        assert fn(-4.0, 2.0) == (g.data, [a.grad, b.grad])  # the engine's numbers

        def run(fn: Callable[[float, float], object] = fn) -> None:
            for _ in range(n):
                fn(-4.0, 2.0)

        runners.append(run)
    return runners


def compiled_chain_per_node(n: int, repeats: int) -> tuple[float, float]:
    """Seconds per node of the compiled chain of n ops (one call), and seconds compiling it took.

    Warmed up first: CPython 3.11 specialises a function's instructions only after it has run
    about 8 times, and a straight-line function runs each of them once a call. Each timed run
    makes calls for 10^6 nodes in all (100 calls at 10^4): a single call of 10^4 nodes, 0.4 ms
    right after a full collection, measured the cold caches more than the code (40–100 ns a node
    from run to run)."""
    x = Value(0.5, "x")
    y = grow_chain(x, n)
    t0 = time.perf_counter()
    f = compile(y, [x])
    seconds = time.perf_counter() - t0
    del y
    for _ in range(10):
        f(0.5)
    calls = max(1, 1_000_000 // n)

    def run() -> None:
        for _ in range(calls):
            f(0.5)

    return statistics.median(timed(run) for _ in range(repeats)) / (n * calls), seconds


# ---- (g) the compiled step against bare float arithmetic ------------------------------------------


def _ops(statements: list[ast.stmt]) -> int:
    """Float operations in these statements: each +, −, ×, ÷, +=, negation and comparison (a relu
    or its step) is one, a call of dot on n pairs 2n − 1; the finite check is not arithmetic."""
    k = 0
    for stmt in statements:
        if isinstance(stmt, ast.If):  # the check that every number is finite
            continue
        for node in ast.walk(stmt):
            if isinstance(node, (ast.BinOp, ast.AugAssign, ast.Compare)):
                k += 1
            elif isinstance(node, ast.UnaryOp) and not isinstance(node.operand, ast.Constant):
                k += 1
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dot":
                k += 2 * len(node.args[0].elts) - 1
    return k


def float_ops(source: str, examples_per_structure: list[int]) -> int:
    """Float operations in one call of a compiled batch: the loss function's, and for each example
    its structure's branch of the forward and the backward loop."""
    functions = {f.name: f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef)}
    total = _ops(functions["loss"].body)
    for name in ("forward", "backward"):
        loop = next(s for s in functions[name].body if isinstance(s, ast.For))
        branches, body = [], loop.body
        if len(body) == 1 and isinstance(body[0], ast.If):  # if structure == 1: … elif structure == 2: …
            node: ast.stmt = body[0]
            while isinstance(node, ast.If):
                branches.append(node.body)
                node = node.orelse[0] if node.orelse else None
        else:
            branches = [body]
        total += sum(k * _ops(b) for k, b in zip(examples_per_structure, branches, strict=True))
    return total


def bare_float_seconds(n_ops: int, repeats: int) -> float:
    """Seconds for n_ops float operations as bare Python: ``s += a * b`` on local variables, 500
    lines to a function (1,000 operations a call), without any other work."""
    body = "\n".join(f"    s{i % 8} += a * b" for i in range(500))
    source = (
        "def kernel(a, b):\n    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0\n"
        f"{body}\n    return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7\n"
    )
    namespace: dict[str, object] = {}
    exec(source, namespace)
    kernel = namespace["kernel"]
    calls = max(1, round(n_ops / 1000))

    def run() -> None:
        for _ in range(calls):
            kernel(0.5, 1.5)  # type: ignore[operator]

    return statistics.median(timed(run) for _ in range(repeats))


# ---- (b), (e) chains of binary operations ----------------------------------------------------------


def grow_chain(y: object, n: int) -> object:
    """y, then ((y + c) * c + c) * c …: n binary operations on y (a Value of either library)."""
    for i in range(n):
        y = y * 1.0000001 if i % 2 else y + 0.1
    return y


def chain(V: type, n: int) -> Callable[[], object]:
    """Forward and backward through y = ((x + c) * c + c) * c …: n binary operations."""

    def run() -> float:
        x = V(0.5)
        grow_chain(x, n).backward()
        return x.grad

    return run


def chain_split(n: int) -> tuple[float, float]:
    """Seconds for the forward and for the backward pass of autograd_tiny's chain of n operations."""
    gc.collect()
    x = Value(0.5)
    t0 = time.perf_counter()
    y = grow_chain(x, n)
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
    parser.add_argument(
        "--huge", action="store_true", help="also compile a chain of 10^6 ops (a minute to compile, 6 GB)"
    )
    args = parser.parse_args()
    rep = 3 if args.quick else 7
    rows: list[tuple[str, str, str, str, str]] = []

    def row(name: str, ours: float, theirs: float, unit: str = "s", compiled: float | None = None) -> None:
        scale, u = (1e3, "ms") if unit == "s" else (1.0, unit)
        fast = ""
        if compiled:
            times = f"{ours / compiled:.1f}× ours, {theirs / compiled:.0f}× micrograd"
            fast = f"{compiled * scale:.1f} {u} ({times})"
        rows.append(
            (name, f"{ours * scale:.1f} {u}", f"{theirs * scale:.1f} {u}", f"{theirs / ours:.1f}×", fast)
        )

    ours_step, mg_step, ours_split = demo_setups()
    fast_step, compiled_step, compile_seconds = compiled_demo_setup()
    ours_step(), mg_step(), fast_step()  # warm up
    o, m = side_by_side(ours_step, mg_step, rep)
    c = statistics.median(timed(fast_step) for _ in range(rep))
    row("(a) demo training step, default GC", o, m, compiled=c)
    gc.disable()
    try:
        o2, m2 = side_by_side(ours_step, mg_step, rep)
        c2 = statistics.median(timed(fast_step) for _ in range(rep))
    finally:
        gc.enable()
    row("(a) demo training step, GC off for both", o2, m2, compiled=c2)

    n_tiny = 100_000
    fast_tiny, raw, by_hand = tiny_graph_compiled(n_tiny)
    o, m = side_by_side(tiny_graph(Value, n_tiny), tiny_graph(mg_engine.Value, n_tiny), rep)
    c_tiny = statistics.median(timed(fast_tiny) for _ in range(rep))
    row(f"(f) tiny graph (c = a + b, …, g = f / 2), fwd+bwd ×{n_tiny:,}", o, m, compiled=c_tiny)
    raw_tiny, hand_tiny = (statistics.median(timed(f) for _ in range(rep)) for f in (raw, by_hand))
    tiny_mg = m

    o, m = side_by_side(chain(Value, 100_000), chain(mg_engine.Value, 100_000), rep)
    row("(b) chain of 100,000 binary ops, fwd+bwd", o, m)

    ro, rt = wide_neuron(10_000)
    o, m = side_by_side(ro, rt, rep)
    row("(c) one neuron, 10,000 inputs, fwd+bwd", o, m)

    bo, bm = bytes_per_node(Value), bytes_per_node(mg_engine.Value)
    rows.append(("(d) bytes per node (binary ops)", f"{bo:.0f} B", f"{bm:.0f} B", f"{bm / bo:.1f}×", ""))

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
        rows.append((f"(e) chain of {n:,}: time per node", f"{o / n * 1e6:.2f} µs", theirs, ratio, ""))
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

    # (h) compiled chains: time per node as the generated function grows
    chain_sizes = [10_000, 100_000] + ([1_000_000] if args.huge else [])
    compiled_chain = {n: compiled_chain_per_node(n, rep) for n in chain_sizes}

    # (g) the compiled step's arithmetic, counted, against the same count done as bare floats
    batch = compiled_step.batch
    n_ops = float_ops(batch.source, batch.examples_per_structure)
    bare = bare_float_seconds(n_ops, rep)

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
    print("| measurement | autograd_tiny | micrograd 0.1.0 | ratio | compiled (compile.py) |")
    print("| --- | --- | --- | --- | --- |")
    for name, a, b, r, fast in rows:
        print(f"| {name} | {a} | {b} | {r} | {fast} |")
    print(
        f"\n(a) compiled: the engine records the demo's graph once and it is compiled in "
        f"{compile_seconds * 1e3:.0f} ms (one loop over all 100 examples, {batch.structures} structure)"
    )
    print(
        f"(g) the compiled demo step does {n_ops:,} float operations in {c2 * 1e3:.1f} ms (GC off); the "
        f"same count as bare `s += a * b` lines takes {bare * 1e3:.1f} ms: "
        f"{c2 / bare:.1f}× the cost of bare arithmetic"
    )
    print(
        f"(f) compiled tiny graph, {c_tiny / n_tiny * 1e9:.0f} ns a call "
        f"({tiny_mg / c_tiny:.1f}× micrograd): the generated function alone "
        f"{raw_tiny / n_tiny * 1e9:.0f} ns ({tiny_mg / raw_tiny:.1f}×), the rest is Compiled's input "
        f"checks; the same arithmetic by hand, no checks, {hand_tiny / n_tiny * 1e9:.0f} ns "
        f"({tiny_mg / hand_tiny:.1f}×)"
    )
    first, last = compiled_chain[chain_sizes[0]][0], compiled_chain[chain_sizes[-1]][0]
    print(
        "(h) compiled chain, ns a node (compile time): "
        + ", ".join(f"{n:,}: {t * 1e9:.1f} ({c:.1f} s)" for n, (t, c) in compiled_chain.items())
        + f"; {last / first:.2f}× from {chain_sizes[0]:,} to {chain_sizes[-1]:,}"
    )
    print(f"(e) autograd_tiny's time per node at {sizes[-1]:,} nodes is {growth:.2f}× that at {sizes[0]:,}")
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
