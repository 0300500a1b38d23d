"""backward(): accumulation semantics, depth without recursion, determinism, no reference cycles."""

from __future__ import annotations

import gc
import random
import subprocess
import sys
import textwrap
import tracemalloc

import pytest

from autograd_tiny import Value, topological_order


def test_topological_order_puts_parents_first_and_root_last():
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e
    assert len(order) == len({id(n) for n in order}) == 5  # a, b, c, d, e once each
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert position[id(p)] < position[id(node)]


def test_topological_order_on_random_graphs_where_a_parent_is_also_reached_through_a_sibling():
    # r = a + b where a = b·2: b is r's parent and a's, and must come before both
    rng = random.Random(12)
    for _ in range(200):
        nodes = [Value(rng.uniform(-1, 1)) for _ in range(rng.randint(1, 4))]
        for _ in range(rng.randint(1, 30)):
            u, v = rng.choice(nodes), rng.choice(nodes)
            nodes.append(rng.choice([u + v, u * v, u.tanh(), u - 2.0]))
        root = nodes[-1]
        reachable, todo = set(), [root]  # every node root depends on, by a plain search
        while todo:
            n = todo.pop()
            if id(n) not in reachable:
                reachable.add(id(n))
                todo.extend(n.parents)
        order = topological_order(root)
        assert order[-1] is root
        assert sorted(id(n) for n in order) == sorted(reachable)  # each once
        position = {id(n): i for i, n in enumerate(order)}
        assert all(position[id(p)] < position[id(n)] for n in order for p in n.parents)


def test_topological_order_of_something_that_is_not_a_node_is_a_type_error():
    for root in (None, 3.0, "x"):
        with pytest.raises(TypeError, match="root must be a Value"):
            topological_order(root)


def test_leaves_accumulate_and_intermediates_are_recomputed():
    x, w = Value(3.0), Value(-2.0)
    h = (w * x).tanh()
    y = h * h + x
    y.backward()
    once = (x.grad, w.grad, h.grad)
    y.backward()
    assert x.grad == 2 * once[0]  # bit-exact: doubling is exact in floating point
    assert w.grad == 2 * once[1]
    assert h.grad == once[2]  # intermediate: the single-call gradient
    assert y.grad == 1.0


def test_a_leaf_gradient_that_overflows_across_calls_is_an_error_and_changes_nothing():
    x, w = Value(1.0, "x"), Value(0.5, "w")
    y = x * 1e308 + w
    y.backward()
    assert (x.grad, w.grad) == (1e308, 1.0)
    with pytest.raises(OverflowError, match=r"gradient of x overflows when added .*1e\+308 \+ 1e\+308"):
        y.backward()  # 1e308 + 1e308 is inf: no leaf may silently hold it
    assert (x.grad, w.grad) == (1e308, 1.0)  # every leaf as it was before the call
    x.grad, w.grad = 0.0, 0.0  # zeroed, the same graph is fine again
    y.backward()
    assert (x.grad, w.grad) == (1e308, 1.0)


def test_backward_from_a_leaf_accumulates_one_per_call():
    x = Value(5.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_backward_with_a_seed_gradient_scales_everything():
    x = Value(0.7)
    y = x.exp() * x
    y.backward()
    g = x.grad
    x.grad = 0.0
    y.backward(2.5)
    assert abs(x.grad - 2.5 * g) <= 1e-15 * abs(2.5 * g)


def test_shared_subexpression_sums_every_path():
    # y = u·u + u with u = 2x: dy/dx = (2u + 1)·2
    x = Value(1.5)
    u = x * 2
    y = u * u + u
    y.backward()
    assert x.grad == (2 * 3.0 + 1) * 2


def test_a_million_node_chain_at_the_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x = Value(0.5)
    y = x
    n = 1_000_000
    for _ in range(n):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 0.5 + n
    del y  # freeing a deep chain must not recurse either
    assert sys.getrecursionlimit() == limit


def test_million_chain_in_a_fresh_interpreter_with_default_limit():
    code = textwrap.dedent(
        """
        import sys
        from autograd_tiny import Value
        assert sys.getrecursionlimit() == 1000
        x = Value(1.0)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0
        y.backward()
        print(x.grad)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1.0"


def test_gradients_are_bit_identical_under_different_hash_seeds():
    code = textwrap.dedent(
        """
        from autograd_tiny import Value
        xs = [Value(0.1 * i - 0.7, label=f"x{i}") for i in range(15)]
        acc = Value(0.0)
        for i, a in enumerate(xs):
            for b in xs[i:]:
                acc = acc + (a * b).tanh() * (a - b).sigmoid()
        acc = acc.exp() if acc.data < 50 else acc
        acc.backward()
        print(",".join(x.grad.hex() for x in xs))
        """
    )
    runs = set()
    for seed in ("0", "1", "12345", "random"):
        env = {"PYTHONHASHSEED": seed, "PATH": "", "PYTHONPATH": ":".join(sys.path)}
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        runs.add(out.stdout)
    assert len(runs) == 1


def _build(n: int) -> Value:
    x = Value(0.3, label="x")
    y = x
    for i in range(n // 2):
        y = (y * 0.999 + 0.001) if i % 2 else (y + x).tanh()
    return y


def test_graph_memory_comes_back_without_the_cycle_collector():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        y = _build(20_000)
        y.backward()
        assert len(topological_order(y)) >= 20_000
        held = tracemalloc.get_traced_memory()[0] - base
        del y
        after = tracemalloc.get_traced_memory()[0] - base
        # the whole graph goes by reference counting alone (what stays is CPython's free lists
        # of small tuples and floats, a few thousand entries kept for reuse) ...
        assert held > 20_000 * 100  # it was really there: over 100 bytes a node
        assert after < 0.05 * held, (held, after)
        # ... and building it again reuses that memory instead of piling up
        y = _build(20_000)
        y.backward()
        del y
        again = tracemalloc.get_traced_memory()[0] - base
        assert again < 0.05 * held, (held, again)
        # ... and the cycle collector has nothing left to find
        assert gc.collect() == 0
    finally:
        tracemalloc.stop()
        if was_enabled:
            gc.enable()
