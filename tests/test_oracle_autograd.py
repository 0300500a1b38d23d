"""Values and gradients against the HIPS `autograd` package, an oracle no one here wrote.

Random expression graphs come from hypothesis; micrograd's own two test expressions are replayed.
"""

from __future__ import annotations

import math

import autograd
import autograd.numpy as anp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_tiny import Value

# ---- the same op in both worlds: (Value function, autograd.numpy function, domain check) ----


def _relu_np(a):
    return anp.where(a > 0, a, 0.0)  # ReLU′(0) = 0, as ours (np.maximum would split ties)


def _sigmoid_np(a):
    return 1.0 / (1.0 + anp.exp(-a))


UNARY = {
    "exp": (lambda a: a.exp(), anp.exp, lambda u: u < 30),
    "log": (lambda a: a.log(), anp.log, lambda u: u > 1e-3),
    "tanh": (lambda a: a.tanh(), anp.tanh, lambda u: True),
    "sigmoid": (lambda a: a.sigmoid(), _sigmoid_np, lambda u: abs(u) < 30),
    "relu": (lambda a: a.relu(), _relu_np, lambda u: abs(u) > 1e-9),
    "softplus": (lambda a: a.softplus(), lambda a: anp.logaddexp(0.0, a), lambda u: True),
    # kinks: the two engines may round an input near 0 to opposite sides, so keep away from them
    "abs": (lambda a: a.abs(), anp.abs, lambda u: abs(u) > 1e-9),
    "sin": (lambda a: a.sin(), anp.sin, lambda u: True),
    "cos": (lambda a: a.cos(), anp.cos, lambda u: True),
    "leaky_relu": (
        lambda a: a.leaky_relu(0.05),
        lambda a: anp.where(a > 0, a, 0.05 * a),
        lambda u: abs(u) > 1e-9,
    ),
    "neg": (lambda a: -a, lambda a: -a, lambda u: True),
    "sqrt": (lambda a: a.sqrt(), anp.sqrt, lambda u: u > 1e-3),
    "square": (lambda a: a**2, lambda a: a**2, lambda u: True),
    "cube": (lambda a: a**3, lambda a: a**3, lambda u: True),
    "inverse": (lambda a: a**-1, lambda a: a**-1.0, lambda u: abs(u) > 1e-2),
    "pow1.5": (lambda a: a**1.5, lambda a: a**1.5, lambda u: u > 1e-3),
    "2**a": (lambda a: 2**a, lambda a: 2.0**a, lambda u: u < 30),
    "3-a": (lambda a: 3 - a, lambda a: 3.0 - a, lambda u: True),
    "a/4": (lambda a: a / 4, lambda a: a / 4.0, lambda u: True),
    "1/a": (lambda a: 1 / a, lambda a: 1.0 / a, lambda u: abs(u) > 1e-2),
    "0.5*a+1": (lambda a: 0.5 * a + 1, lambda a: 0.5 * a + 1.0, lambda u: True),
}
BINARY = {
    "+": (lambda a, b: a + b, lambda a, b: a + b, lambda u, v: True),
    "-": (lambda a, b: a - b, lambda a, b: a - b, lambda u, v: True),
    "*": (lambda a, b: a * b, lambda a, b: a * b, lambda u, v: True),
    "/": (lambda a, b: a / b, lambda a, b: a / b, lambda u, v: abs(v) > 1e-2),
    "**": (lambda a, b: a**b, lambda a, b: a**b, lambda u, v: u > 1e-2 and abs(v) < 4),
}

step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 10**6), st.integers(0, 10**6)),
)


def _build(inputs, steps):
    """Build the graph with Values, falling back to tanh where an op's domain is left; return
    the graph's output and the program actually used, for replaying on autograd."""
    xs = [Value(u, label=f"x{i}") for i, u in enumerate(inputs)]
    nodes = list(xs)
    program = []
    for name, i, j in steps:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        ia, ib = i % len(nodes), j % len(nodes)
        if name in UNARY and UNARY[name][2](a.data):
            out = UNARY[name][0](a)
        elif name in BINARY and BINARY[name][2](a.data, b.data):
            out = BINARY[name][0](a, b)
        else:
            name, out = "tanh", a.tanh()
        if abs(out.data) > 1e4:  # keep magnitudes tame so 1e-9 relative is meaningful
            name, out = "tanh", a.tanh()
        program.append((name, ia, ib))
        nodes.append(out)
    total = nodes[-1]
    for n in nodes[len(xs) : -1]:
        total = total + n * 0.1  # every node reaches the output
    return xs, total, program


def _replay(program, n_inputs):
    def f(*args):
        nodes = list(args)
        for name, ia, ib in program:
            if name in UNARY:
                nodes.append(UNARY[name][1](nodes[ia]))
            else:
                nodes.append(BINARY[name][1](nodes[ia], nodes[ib]))
        total = nodes[-1]
        for n in nodes[n_inputs:-1]:
            total = total + n * 0.1
        return total

    return f


def _close(ours: float, theirs: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inputs=st.lists(st.floats(-3, 3, allow_nan=False), min_size=1, max_size=3),
    steps=st.lists(step, min_size=1, max_size=48),
)
def test_random_graphs_match_autograd(inputs, steps):
    xs, out, program = _build(inputs, steps)
    out.backward()
    f = _replay(program, len(inputs))
    # autograd differentiates tanh as 1/cosh², and cosh overflows (to a correct 0 derivative,
    # with a warning) for |u| > 710: the oracle's own business, so its warning is silenced.
    with np.errstate(over="ignore"):
        expected = f(*inputs)
        grads = [float(autograd.grad(f, k)(*inputs)) for k in range(len(xs))]
    assert _close(out.data, float(expected)), (out.data, expected)
    for k, x in enumerate(xs):
        assert _close(x.grad, grads[k]), (k, x.grad, grads[k], program)


# ---- micrograd's two test expressions (its tests check them against PyTorch) ----


def _sanity(x, relu):
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    return h + q + q * x


def _more_ops(a, b, relu):
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return g


def test_micrograd_sanity_check_expression():
    x = Value(-4.0)
    y = _sanity(x, lambda t: t.relu())
    y.backward()
    f = lambda t: _sanity(t, _relu_np)  # noqa: E731
    assert _close(y.data, float(f(-4.0)))
    assert _close(x.grad, float(autograd.grad(f)(-4.0)))


def test_micrograd_more_ops_expression():
    a, b = Value(-4.0), Value(2.0)
    g = _more_ops(a, b, lambda t: t.relu())
    g.backward()
    f = lambda s, t: _more_ops(s, t, _relu_np)  # noqa: E731
    assert _close(g.data, float(f(-4.0, 2.0)))
    assert _close(a.grad, float(autograd.grad(f, 0)(-4.0, 2.0)))
    assert _close(b.grad, float(autograd.grad(f, 1)(-4.0, 2.0)))
