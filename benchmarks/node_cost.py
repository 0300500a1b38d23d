"""Where the time of one op goes: ``a + b`` on two Values, built up piece by piece.

    python benchmarks/node_cost.py

Each row runs the same loop of N additions, adding one piece of what the engine's ``a + b`` does
(the rule table's generated ``add``, ``rules.float_source(rules.RULES["add"])`` prints it), so the
difference between rows is that piece's cost. The last rows are the whole engine op and
micrograd's. Then the same for the backward pass of a tiny graph: the graph walk against the
chain-rule arithmetic. Medians of several runs, in nanoseconds per op.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable

import micrograd.engine as mg_engine

from autograd_tiny import Value
from autograd_tiny.graph import topological_order

N = 200_000
new = object.__new__
isfinite = math.isfinite


def per_op(fn: Callable[[], object], repeats: int = 9) -> float:
    """Nanoseconds per op of fn (which does N ops), median of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / N * 1e9


a, b = Value(0.5), Value(0.25)
ma, mb = mg_engine.Value(0.5), mg_engine.Value(0.25)


def loop_only() -> None:
    for _ in range(N):
        pass


def float_add() -> None:  # the arithmetic, reading the operands from the nodes
    for _ in range(N):
        a.data + b.data


def plus_finite_check() -> None:  # an op refuses a result that overflowed
    for _ in range(N):
        y = a.data + b.data
        if not isfinite(y):
            raise OverflowError


def plus_empty_node() -> None:  # an object with six slots, none of them set
    for _ in range(N):
        y = a.data + b.data
        if not isfinite(y):
            raise OverflowError
        new(Value)


def plus_fields() -> None:  # its six fields filled: data, grad, label, op, parents, local derivatives
    for _ in range(N):
        y = a.data + b.data
        if not isfinite(y):
            raise OverflowError
        out = new(Value)
        out.data = y
        out.grad = 0.0
        out.label = ""
        out.op = "add"
        out.parents = (a, b)
        out.local_grads = (1.0, 1.0)


def engine_op() -> None:  # the engine's a + b: the above, in a function, with the operand checks
    for _ in range(N):
        a + b


def micrograd_op() -> None:
    for _ in range(N):
        ma + mb


def main() -> None:
    """Measure each row and print the table."""
    rows = [
        ("loop (for _ in range(N))", loop_only),
        ("+ the float addition, operands read from two nodes", float_add),
        ("+ the check that the result is finite", plus_finite_check),
        ("+ making a node (object.__new__, six empty slots)", plus_empty_node),
        ("+ filling its six fields (parents and derivatives as tuples)", plus_fields),
        ("autograd_tiny a + b (the table's generated add: call, operand checks)", engine_op),
        ("micrograd a + b", micrograd_op),
    ]
    print("| what one op does, cumulatively | ns per op |")
    print("| --- | --- |")
    base = None
    for name, fn in rows:
        ns = per_op(fn)
        if base is None:
            base = ns
            print(f"| {name} | {ns:.0f} |")
        else:
            print(f"| {name} | {ns - base:.0f} |")

    # the backward pass of the tiny graph, split into its graph walk and its arithmetic
    def tiny() -> Value:
        x, y = Value(-4.0), Value(2.0)
        return (((x + y) - (x * y + y**3)) ** 2) / 2.0

    roots = [tiny() for _ in range(N // 10)]
    walk = per_op(lambda: [topological_order(r) for r in roots]) * 10
    roots = [tiny() for _ in range(N // 10)]
    whole = per_op(lambda: [r.backward() for r in roots]) * 10
    mroots = []
    for _ in range(N // 10):
        x, y = mg_engine.Value(-4.0), mg_engine.Value(2.0)
        mroots.append((((x + y) - (x * y + y**3)) ** 2) / 2.0)
    theirs = per_op(lambda: [r.backward() for r in mroots], repeats=3) * 10
    n_nodes = len(topological_order(roots[0]))
    print(
        f"\nbackward of the tiny graph ({n_nodes} nodes, constants included): {whole:.0f} ns, of which "
        f"the topological sort {walk:.0f} ns; micrograd's backward {theirs:.0f} ns"
    )


if __name__ == "__main__":
    main()
