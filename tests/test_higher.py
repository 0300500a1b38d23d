"""Derivatives of derivatives, forward mode and Jacobians (higher.py), against oracles no one here wrote.

- The HIPS ``autograd`` package: first, second and third derivatives and Hessians of random
  expression graphs over every op of the rule table; Jacobians (its ``jacobian``) and
  directional derivatives (its forward-mode ``make_jvp``); Hessians of small MLP losses written
  again in ``autograd.numpy``; the nested-differentiation cases of its own test suite.
- The chapter's Example 1: its 4×4 Hessian derived by hand (in the comments below) and by finite
  differences of the engine's first-order gradients.
- Finite differences for ops made by ``Value.from_op`` with a ``rule``.

Closeness is |ours − theirs| ≤ tol·max(1, |theirs|): relative for large numbers, absolute near 0.
"""

from __future__ import annotations

import math
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd_tiny import MLP, Value, binary_cross_entropy_with_logits, mse_loss, rules
from autograd_tiny import functional as F
from autograd_tiny.engine import OPS as ENGINE_OPS
from autograd_tiny.graph import topological_order
from autograd_tiny.higher import grad, gradients, hessian, jacobian, jvp, local_derivatives, tangents


def _close(ours: float, theirs: float, tol: float = 1e-8) -> bool:
    """|ours − theirs| ≤ tol·max(1, |theirs|)."""
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


def _oracle(f, *args):
    """Run autograd, whose tanh rule overflows cosh (harmlessly) far out: that warning is its own."""
    with np.errstate(over="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Output seems independent of input", UserWarning)
        return f(*args)


# ---------------------------------------------------------------------------------------------
# Every op of the rule table, in both worlds: (arity, on Values, on autograd.numpy, where it is
# used). The last column keeps each op on its domain and away from its kinks: log and a real
# power need a positive base; relu, leaky_relu and abs are not differentiable at exactly 0 (their
# derivatives there are checked separately, at the end of this file).
# ---------------------------------------------------------------------------------------------


def _relu_np(a):
    return anp.where(a > 0, a, 0.0)


def _leaky_np(a):
    return anp.where(a > 0, a, 0.05 * a)


def _sigmoid_np(a):
    return 1.0 / (1.0 + anp.exp(-a))


def _away_from_kink(u: float) -> bool:
    # not 1e-6: autograd's own |u|‴ is a difference of terms of size 1/u², noise of 1e-16/u² there
    return abs(u) > 1e-2


def _fractional(v: float) -> bool:
    return abs(v - round(v)) > 1e-6


def _always(*_: float) -> bool:
    return True


OPS = {
    "add": (2, lambda a, b: a + b, lambda a, b: a + b, _always),
    "sub": (2, lambda a, b: a - b, lambda a, b: a - b, _always),
    "mul": (2, lambda a, b: a * b, lambda a, b: a * b, _always),
    "div": (2, lambda a, b: a / b, lambda a, b: a / b, lambda u, v: abs(v) > 0.2),
    "neg": (1, lambda a: -a, lambda a: -a, _always),
    # pow with a number exponent (a constant parent) ...
    "square": (1, lambda a: a**2, lambda a: a**2, _always),
    "cube": (1, lambda a: a**3, lambda a: a**3, _always),
    "inverse": (1, lambda a: a**-1, lambda a: a**-1.0, lambda u: abs(u) > 0.2),
    "pow1.5": (1, lambda a: a**1.5, lambda a: a**1.5, lambda u: u > 0.1),
    "sqrt": (1, lambda a: a.sqrt(), anp.sqrt, lambda u: u > 0.1),
    "2**a": (1, lambda a: 2**a, lambda a: 2.0**a, lambda u: u < 5),
    # ... and with a Value exponent
    # (v not an integer: autograd's rule for x**y takes x**1 for x**(y − 1) where y = 1 − 1 = 0,
    # right for x**y's first derivative in x and wrong for its derivatives in y from the second on:
    # see test_pow_with_a_value_exponent_at_integers)
    "pow": (2, lambda a, b: a**b, lambda a, b: a**b, lambda u, v: u > 0.1 and abs(v) < 3 and _fractional(v)),
    "exp": (1, lambda a: a.exp(), anp.exp, lambda u: u < 5),
    "log": (1, lambda a: a.log(), anp.log, lambda u: u > 0.1),
    "tanh": (1, lambda a: a.tanh(), anp.tanh, _always),
    "sigmoid": (1, lambda a: a.sigmoid(), _sigmoid_np, _always),
    "relu": (1, lambda a: a.relu(), _relu_np, _away_from_kink),
    "leaky_relu": (1, lambda a: a.leaky_relu(0.05), _leaky_np, _away_from_kink),
    "softplus": (1, lambda a: a.softplus(), lambda a: anp.logaddexp(0.0, a), _always),
    "abs": (1, lambda a: a.abs(), anp.abs, _away_from_kink),
    "sin": (1, lambda a: a.sin(), anp.sin, _always),
    "cos": (1, lambda a: a.cos(), anp.cos, _always),
    # the n-ary ops: one node each on our side, written out term by term for autograd
    "sum": (3, lambda a, b, c: F.sum([a, b, c]), lambda a, b, c: a + b + c, _always),
    "dot": (4, lambda a, b, c, d: F.dot([a, b], [c, d]), lambda a, b, c, d: a * c + b * d, _always),
    "affine": (
        5,
        lambda a, b, c, d, e: F.affine([a, b], [c, d], e),
        lambda a, b, c, d, e: a * c + b * d + e,
        _always,
    ),
    "logsumexp": (
        3,
        lambda a, b, c: F.logsumexp([a, b, c]),
        lambda a, b, c: anp.log(anp.exp(a) + anp.exp(b) + anp.exp(c)),
        _always,
    ),
    # the losses that are one node each, made by the table's generated functions
    "squared_error": (2, ENGINE_OPS["squared_error"], lambda a, b: (a - b) ** 2, _always),
    "bce": (  # of a probability u, for a target t (a Value here, so ∂/∂t is checked too)
        2,
        ENGINE_OPS["bce"],
        lambda u, t: -(t * anp.log(u) + (1.0 - t) * anp.log(1.0 - u)),
        lambda u, t: 0.05 < u < 0.95,
    ),
    "bce_with_logits": (
        2,
        ENGINE_OPS["bce_with_logits"],
        lambda z, t: anp.logaddexp(0.0, z) - t * z,  # softplus(z) − t·z, for a Value target t too
        _always,
    ),
    "cross_entropy": (  # three logits, the target class 1 (a constant)
        3,
        lambda a, b, c: ENGINE_OPS["cross_entropy"]([a, b, c], 1),
        lambda a, b, c: anp.log(anp.exp(a) + anp.exp(b) + anp.exp(c)) - b,
        _always,
    ),
}
BOUND = 50.0  # every node of a random graph stays within ±BOUND (else it is replaced by a tanh)


def test_the_generated_ops_cover_every_row_of_the_rule_table():
    # a new row in rules.TABLE must get a line in OPS above, or this fails
    seen = set()
    for arity, ours, _, _ in OPS.values():
        xs = [Value(0.5 + 0.25 * i) for i in range(arity)]
        seen |= {node.op for node in topological_order(ours(*xs))}
    assert {r.name for r in rules.TABLE} <= seen - {""}


def _replay(program, n_inputs: int, side: int):
    """The function of n_inputs scalars that runs ``program`` with side 1 (ours) or 2 (autograd).

    Every node is also added, times 0.1, into the output, so that all of them matter.
    """

    def f(*args):
        nodes = list(args)
        for name, idx in program:
            op = OPS[name]
            nodes.append(op[side](*(nodes[i] for i in idx)))
        total = nodes[-1]
        for node in nodes[n_inputs:-1]:
            total = total + node * 0.1
        return total

    return f


def _resolve(inputs, steps):
    """The program actually run at ``inputs``: each step's operands picked among the nodes so far,
    and a step whose operands are off its op's domain (or whose result leaves ±BOUND) replaced
    by tanh of its first operand."""
    nodes = [Value(u) for u in inputs]
    program = []
    for name, picks in steps:
        arity, ours, _, ok = OPS[name]
        idx = tuple(p % len(nodes) for p in picks[:arity])
        out = None
        if ok(*(nodes[i].data for i in idx)):
            out = ours(*(nodes[i] for i in idx))
            if abs(out.data) > BOUND:
                out = None
        if out is None:
            name, idx = "tanh", idx[:1]
            out = nodes[idx[0]].tanh()
        program.append((name, idx))
        nodes.append(out)
    return program


step = st.tuples(st.sampled_from(sorted(OPS)), st.lists(st.integers(0, 10**6), min_size=5, max_size=5))
coordinate = st.floats(-3, 3, allow_nan=False)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ---- (a) each op alone: its Hessian and its third derivatives ----


def _args(name: str):
    """Points on the op's domain: one coordinate per operand."""
    arity, _, _, ok = OPS[name]
    return st.lists(coordinate, min_size=arity, max_size=arity).filter(lambda xs: ok(*xs))


@pytest.mark.parametrize("name", sorted(OPS))
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_each_op_second_and_third_derivatives_match_autograd(name, data):
    xs = data.draw(_args(name))
    arity, ours, theirs, _ = OPS[name]
    H = hessian(ours)(*xs)
    for i in range(arity):
        for j in range(arity):
            expected = _oracle(autograd.grad(autograd.grad(theirs, i), j), *xs)
            assert _close(H[i][j], float(expected)), (name, xs, i, j, H[i][j], expected)
    # third partials ∂³/∂xᵢ∂xⱼ∂xₖ: all of them for up to 3 operands, a drawn one for more
    triples = [(i, j, k) for i in range(arity) for j in range(i, arity) for k in range(j, arity)]
    if arity > 3:
        triples = [data.draw(st.sampled_from(triples))]
    for i, j, k in triples:
        got = grad(grad(grad(ours, i), j), k)(*xs)
        expected = _oracle(autograd.grad(autograd.grad(autograd.grad(theirs, i), j), k), *xs)
        assert _close(got, float(expected)), (name, xs, (i, j, k), got, expected)


# ---- (a) random graphs over all the ops ----


@settings(FAST, max_examples=150)
@given(x=coordinate, steps=st.lists(step, min_size=1, max_size=20))
def test_random_graphs_first_second_third_derivatives_match_autograd(x, steps):
    program = _resolve([x], steps)
    ours, theirs = _replay(program, 1, 1), _replay(program, 1, 2)
    d1, d2, d3 = grad(ours), grad(grad(ours)), grad(grad(grad(ours)))
    t1 = autograd.grad(theirs)
    t2 = autograd.grad(t1)
    t3 = autograd.grad(t2)
    for got, expected in ((d1(x), t1), (d2(x), t2), (d3(x), t3)):
        expected = float(_oracle(expected, x))
        assert _close(got, expected), (got, expected, program)


@settings(FAST, max_examples=150)
@given(xs=st.lists(coordinate, min_size=2, max_size=3), steps=st.lists(step, min_size=1, max_size=24))
def test_random_graphs_hessians_match_autograd(xs, steps):
    n = len(xs)
    program = _resolve(xs, steps)
    ours, theirs = _replay(program, n, 1), _replay(program, n, 2)
    H = hessian(ours)(*xs)
    for i in range(n):
        for j in range(n):
            expected = float(_oracle(autograd.grad(autograd.grad(theirs, i), j), *xs))
            assert _close(H[i][j], expected), (i, j, H[i][j], expected, program)
    # grad nested by argument gives the same entries as hessian (one way through the graph or another)
    i, j = n - 1, 0
    assert _close(grad(grad(ours, i), j)(*xs), H[i][j], 1e-12)


# ---- (b) Jacobians by both modes, and jvp, against autograd's jacobian and make_jvp ----


def _vector(program, n: int, k: int, side: int):
    """The function returning the last k nodes of the program (a list, or an array for autograd)."""

    def f(*args):
        nodes = list(args)
        for name, idx in program:
            nodes.append(OPS[name][side](*(nodes[i] for i in idx)))
        outs = nodes[-k:]
        return outs if side == 1 else anp.array(outs)

    return f


@settings(FAST, max_examples=150)
@given(
    xs=st.lists(coordinate, min_size=1, max_size=3),
    steps=st.lists(step, min_size=3, max_size=24),
    k=st.integers(1, 3),
    direction=st.lists(coordinate, min_size=3, max_size=3),
)
def test_jacobians_forward_and_reverse_and_jvp_match_autograd(xs, steps, k, direction):
    n = len(xs)
    program = _resolve(xs, steps)
    ours = _vector(program, n, k, 1)
    theirs = _vector(program, n, k, 2)
    array = lambda v: theirs(*(v[i] for i in range(n)))  # noqa: E731 (autograd's jacobian wants one array)
    reverse = jacobian(ours, mode="reverse")(*xs)
    forward = jacobian(ours, mode="forward")(*xs)
    expected = _oracle(autograd.jacobian(array), np.array(xs))
    assert len(reverse) == len(forward) == k and all(len(row) == n for row in reverse + forward)
    for r in range(k):
        for c in range(n):
            assert _close(reverse[r][c], float(expected[r, c])), (r, c, reverse, expected, program)
            # the same local derivatives summed in another order: agreement up to rounding
            assert _close(forward[r][c], reverse[r][c], 1e-12), (r, c, forward, reverse)
    v = direction[:n]
    value, dot = jvp(ours, xs, v)
    their_value, their_dot = _oracle(autograd.make_jvp(array), np.array(xs))(np.array(v))
    assert len(value) == len(dot) == k
    for r in range(k):
        assert _close(value[r], float(their_value[r]), 1e-12)
        assert _close(dot[r], float(their_dot[r])), (r, dot, their_dot, program)
        assert _close(dot[r], math.fsum(forward[r][c] * v[c] for c in range(n)), 1e-10)


def test_jvp_of_a_scalar_function_returns_floats():
    value, dot = jvp(lambda a, b: a * b.sin(), [2.0, 0.5], [1.0, -1.0])
    assert isinstance(value, float) and isinstance(dot, float)
    f = lambda a, b: a * anp.sin(b)  # noqa: E731
    assert _close(value, f(2.0, 0.5), 1e-15)
    assert _close(dot, autograd.grad(f, 0)(2.0, 0.5) - autograd.grad(f, 1)(2.0, 0.5), 1e-12)


def test_tangents_carry_one_sweep_to_all_outputs_of_a_recorded_graph():
    x, y = Value(0.3), Value(-1.2)
    outs = [x * y, (x + y).tanh(), F.logsumexp([x, y, x * y])]
    theirs = lambda v: anp.array(  # noqa: E731
        [v[0] * v[1], anp.tanh(v[0] + v[1]), anp.log(anp.exp(v[0]) + anp.exp(v[1]) + anp.exp(v[0] * v[1]))]
    )
    got = tangents(outs, [x, y], [0.5, 2.0])
    _, expected = autograd.make_jvp(theirs)(np.array([0.3, -1.2]))(np.array([0.5, 2.0]))
    assert all(_close(g, float(e), 1e-12) for g, e in zip(got, expected, strict=True))


def test_forward_mode_refuses_what_reverse_mode_refuses_and_no_more():
    # √a at 0: an infinite local derivative, refused when a tangent (a gradient) flows through it
    for mode in ("forward", "reverse"):
        with pytest.raises(OverflowError, match=r"local derivative of pow\(0\.0, 0\.5\).* is inf"):
            jacobian(lambda a: [a.sqrt()], mode=mode)(0.0)
    with pytest.raises(OverflowError, match="forward mode: the local derivative of pow"):
        jvp(lambda a: a.sqrt(), [0.0], [1.0])
    # ... and not when the direction leaves that input still: ∂/∂b of √a + b·b is 2b, whatever a
    f = lambda a, b: a.sqrt() + b * b  # noqa: E731
    value, dot = jvp(f, [0.0, 1.5], [0.0, 1.0])
    h = 1e-6
    central = (f(Value(0.0), Value(1.5 + h)).data - f(Value(0.0), Value(1.5 - h)).data) / (2 * h)
    assert value == 2.25 and _close(dot, central, 1e-8)
    assert dot == 3.0  # 2b, not NaN (inf · 0)
    # a derivative that no tangent reaches is the float 0.0, as reverse mode's
    assert jacobian(lambda a, b: [a * 2, b * 3], mode="forward")(1.0, 2.0) == [[2.0, 0.0], [0.0, 3.0]]
    assert all(
        type(d) is float for row in jacobian(lambda a, b: [a * 2, b], mode="forward")(1.0, 2.0) for d in row
    )
    assert type(jvp(lambda a: a * 2, [1.0], [0.0])[1]) is float
    # a tangent that overflows is an error naming the op, as backward()'s gradient is
    with pytest.raises(OverflowError, match=r"forward mode: the tangent overflows at mul"):
        jvp(lambda a: a * 1e300, [1.0], [1e300])
    with pytest.raises(OverflowError, match=r"backward: the gradient overflows at mul"):
        x = Value(1.0)
        (x * 1e300).backward(1e300)


# ---- (c) Hessians of small MLP losses with respect to all their parameters ----

X_DATA = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.8], [0.1, 2.0]]
Y_REAL = [0.3, -0.8, 1.1, 0.0]
Y_01 = [1.0, 0.0, 1.0, 0.0]


def _mlp_oracle(state, activation: str, loss: str):
    """The same network and loss in autograd.numpy, as a function of one flat parameter vector
    laid out W1 (row by row), b1, W2, b2, and that vector read from the state_dict."""
    W1, b1, W2, b2 = (np.array(state[k], dtype=float) for k in ("W1", "b1", "W2", "b2"))
    shapes = [W1.shape, b1.shape, W2.shape, b2.shape]
    theta0 = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    X, y = np.array(X_DATA), np.array(Y_REAL if loss == "mse" else Y_01)
    f = anp.tanh if activation == "tanh" else _sigmoid_np

    def unpack(theta):
        out, i = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            out.append(anp.reshape(theta[i : i + size], shape))
            i += size
        return out

    def L(theta):
        W1, b1, W2, b2 = unpack(theta)
        a1 = f(anp.dot(X, W1.T) + b1)  # (4, 3)
        z2 = anp.dot(a1, W2.T)[:, 0] + b2[0]  # (4,), linear output
        if loss == "mse":
            return anp.mean((z2 - y) ** 2)
        return anp.mean(anp.logaddexp(0.0, z2) - y * z2)  # BCE with logits

    # where each of our parameters sits in theta, from its label W1[i,j], b1[i], ...
    offsets = {"W1": 0, "b1": W1.size, "W2": W1.size + b1.size, "b2": W1.size + b1.size + W2.size}

    def position(label: str) -> int:
        key, index = label.split("[")
        index = [int(t) for t in index.rstrip("]").split(",")]
        flat = index[0] if len(index) == 1 else index[0] * shapes[0 if key == "W1" else 2][1] + index[1]
        return offsets[key] + flat

    return L, theta0, position


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
@pytest.mark.parametrize("loss", ["mse", "bce_with_logits"])
def test_mlp_loss_hessian_matches_autograd(activation, loss):
    model = MLP(2, [3, 1], activation=activation, seed=7)
    preds = [model(x)[0] for x in X_DATA]
    L = mse_loss(preds, Y_REAL) if loss == "mse" else binary_cross_entropy_with_logits(preds, Y_01)
    params = model.parameters()
    assert len(params) == 13
    first = gradients(L, params, create_graph=True)
    H = [gradients(g, params) for g in first]

    L_np, theta0, position = _mlp_oracle(model.state_dict(), activation, loss)
    assert _close(L.data, float(L_np(theta0)), 1e-12)
    expected = _oracle(autograd.hessian(L_np), theta0)
    order = [position(p.label) for p in params]
    assert sorted(order) == list(range(13))
    for i, pi in enumerate(order):
        assert _close(float(first[i].data), float(autograd.grad(L_np)(theta0)[pi]), 1e-10)
        for j, pj in enumerate(order):
            assert _close(H[i][j], float(expected[pi, pj])), (params[i].label, params[j].label)
    # a real curvature, not a matrix of zeros: the loss is not linear in the output weights
    assert max(abs(h) for row in H for h in row) > 1e-2


# ---- (d) the chapter's Example 1 ----
#
#   x = 1, w1 = 2, b1 = 0, w2 = 3, b2 = 1, y = 10
#   z1 = w1·x + b1 = 2,  a1 = ReLU(z1) = 2,  z2 = ŷ = w2·a1 + b2 = 7,  L = (ŷ − y)² = 9
#
# With z1 > 0, ReLU is the identity near this point, so L = (w2(w1x + b1) + b2 − y)² = r² with the
# residual r = ŷ − y = −3. Its first derivatives are ∂L/∂θ = 2r·∂r/∂θ, where
#
#   ∂r/∂w1 = w2·x = 3,   ∂r/∂b1 = w2 = 3,   ∂r/∂w2 = a1 = 2,   ∂r/∂b2 = 1,
#
# and its second derivatives ∂²L/∂θ∂φ = 2·(∂r/∂θ)(∂r/∂φ) + 2r·∂²r/∂θ∂φ, where the only non-zero
# second derivatives of r are ∂²r/∂w1∂w2 = x = 1 and ∂²r/∂b1∂w2 = 1. So
#
#   ∂²L/∂w1²    = 2(w2x)²                  = 2·9       = 18
#   ∂²L/∂w1∂b1  = 2(w2x)(w2)               = 2·3·3     = 18
#   ∂²L/∂w1∂w2  = 2(w2x)(a1) + 2r·x        = 12 − 6    = 6     (= 2(x·w2·a1 + (ŷ − y)·x))
#   ∂²L/∂w1∂b2  = 2(w2x)                   = 2·3       = 6
#   ∂²L/∂b1²    = 2w2²                     = 2·9       = 18
#   ∂²L/∂b1∂w2  = 2(w2)(a1) + 2r           = 12 − 6    = 6
#   ∂²L/∂b1∂b2  = 2w2                      = 6
#   ∂²L/∂w2²    = 2a1²                     = 2·4       = 8
#   ∂²L/∂w2∂b2  = 2a1                      = 4
#   ∂²L/∂b2²    = 2                        = 2
#
# The Hessian with respect to (w1, b1, w2, b2) is symmetric; the w1 and b1 rows are equal because
# x = 1 (w1 and b1 enter only through w1·x + b1).

EXAMPLE1_HESSIAN = [
    [18.0, 18.0, 6.0, 6.0],
    [18.0, 18.0, 6.0, 6.0],
    [6.0, 6.0, 8.0, 4.0],
    [6.0, 6.0, 4.0, 2.0],
]
EXAMPLE1_POINT = [2.0, 0.0, 3.0, 1.0]  # w1, b1, w2, b2


def _example1(w1, b1, w2, b2):
    x, y = 1.0, 10.0
    a1 = (w1 * x + b1).relu()
    return (w2 * a1 + b2 - y) ** 2


def test_example1_hessian_by_hand_by_the_engine_and_by_finite_differences():
    H = hessian(_example1)(*EXAMPLE1_POINT)
    assert H == EXAMPLE1_HESSIAN  # small integers: exact in floating point

    def engine_gradient(theta):  # the first-order gradient, by backward()
        ps = [Value(t) for t in theta]
        _example1(*ps).backward()
        return [p.grad for p in ps]

    assert engine_gradient(EXAMPLE1_POINT) == [-18.0, -18.0, -12.0, -6.0]  # 2r·∂r/∂θ with r = −3
    h = 1e-5
    for j in range(4):
        hi, lo = list(EXAMPLE1_POINT), list(EXAMPLE1_POINT)
        hi[j] += h
        lo[j] -= h
        g_hi, g_lo = engine_gradient(hi), engine_gradient(lo)
        for i in range(4):
            fd = (g_hi[i] - g_lo[i]) / (2 * h)
            assert abs(fd - EXAMPLE1_HESSIAN[i][j]) < 1e-6 * max(1.0, abs(fd)), (i, j, fd)


# ---- (e) nested differentiation ----


def test_perturbation_confusion_inner_variable_is_not_the_outer_one():
    # d/dx [x · d/dy (x·y)] = d/dx [x·x] = 2x: 6 at x = 3 (a confused engine differentiates x·y by x too)
    assert grad(lambda x: x * grad(lambda y: x * y)(2.0))(3.0) == 6.0
    assert autograd.grad(lambda x: x * autograd.grad(lambda y: x * y)(2.0))(3.0) == 6.0
    # Siskind & Pearlmutter's example: d/dx [x · d/dy (x + y)] = d/dx [x] = 1, not 2
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(1.0) == 1.0
    # the inner function called at the outer variable itself: d/dx [∂(x·y)/∂y at y = x] = d/dx x = 1
    assert grad(lambda x: grad(lambda y: x * y)(x))(3.0) == 1.0
    assert autograd.grad(lambda x: autograd.grad(lambda y: x * y)(x))(3.0) == 1.0


@pytest.mark.parametrize("x", [1.0, -0.7, 2.3])
def test_autograd_enclosing_scope_cases(x):
    # autograd's tests/test_graphs.py: test_enclosing_scope_ref and test_enclosing_scope_ref_2
    for inner in (lambda x: lambda y: x * y, lambda x: lambda y: y * x):
        ours = lambda x, inner=inner: x * grad(inner(x))(2.0)  # noqa: E731
        theirs = lambda x, inner=inner: x * autograd.grad(inner(x))(2.0)  # noqa: E731
        assert _close(grad(ours)(x), autograd.grad(theirs)(x), 1e-12)
        assert _close(grad(grad(ours))(x), autograd.grad(autograd.grad(theirs))(x), 1e-12)


@pytest.mark.parametrize("x, y", [(0.3, -1.1), (1.7, 0.4)])
def test_autograd_third_derivative_cases(x, y):
    # autograd's test_third_derivative, _other_args and _other_args2: sin(sin(x) + sin(y))
    ours = lambda x, y: (x.sin() + y.sin()).sin()  # noqa: E731
    theirs = lambda x, y: anp.sin(anp.sin(x) + anp.sin(y))  # noqa: E731
    for a1, a2, a3 in [(0, 0, 0), (0, 1, 0), (1, 0, 1), (1, 1, 1)]:
        got = grad(grad(grad(ours, a1), a2), a3)(x, y)
        expected = autograd.grad(autograd.grad(autograd.grad(theirs, a1), a2), a3)(x, y)
        assert _close(got, expected, 1e-10), (a1, a2, a3, got, expected)


def test_autograd_hessian_vector_product_case():
    # autograd's test_hess_vector_prod: v·∇f(x) for f(x) = sin(x·r), differentiated again by x
    rng = np.random.default_rng(1)
    r, A, B = rng.normal(size=4), rng.normal(size=4), rng.normal(size=4)

    def vector_product_np(x, v):
        df = autograd.grad(lambda x: anp.sin(anp.dot(x, r)))
        return anp.sin(anp.dot(v, df(x)))

    X = [Value(float(a)) for a in A]
    g = gradients(F.dot(X, r.tolist()).sin(), X, create_graph=True)
    ours = gradients(F.dot(B.tolist(), g).sin(), X)
    expected = autograd.grad(vector_product_np)(A, B)
    assert all(_close(a, float(b), 1e-12) for a, b in zip(ours, expected, strict=True))


def test_an_inner_backward_does_not_change_the_outer_derivatives():
    def ours(x):
        y = (2 * x).sin()
        y.backward()  # writes .grad of y's graph, including the variable grad() made for x
        return x**3 + y * x

    theirs = lambda x: x**3 + anp.sin(2 * x) * x  # noqa: E731
    for x in (0.4, -1.3):
        assert _close(grad(ours)(x), autograd.grad(theirs)(x), 1e-12)
        assert _close(grad(grad(ours))(x), autograd.grad(autograd.grad(theirs))(x), 1e-12)
        assert _close(hessian(ours)(x)[0][0], autograd.grad(autograd.grad(theirs))(x), 1e-12)


def test_gradients_never_touches_grad():
    x, y = Value(0.7, "x"), Value(-0.4, "y")
    L = (x * y).tanh() + F.logsumexp([x, y, x * x]) + (x / (1 + y * y)).sigmoid()
    L.backward()
    nodes = topological_order(L)
    for k, node in enumerate(nodes):
        node.grad = 0.125 * k - 1.0  # anything, as long as gradients() leaves it alone
    before = [node.grad for node in nodes]
    plain = gradients(L, [x, y])
    first = gradients(L, [x, y], create_graph=True)
    second = [gradients(g, [x, y]) for g in first]
    hessian(lambda a, b: (a * b).tanh())(x, y)
    jacobian(lambda a: [a * x, a + y], mode="forward")(x)
    jacobian(lambda a: [a * x, a + y])(x)
    assert [node.grad for node in nodes] == before
    # and the results do not depend on what .grad held
    for node in nodes:
        node.grad = 0.0
    assert gradients(L, [x, y]) == plain
    assert [gradients(g, [x, y]) for g in gradients(L, [x, y], create_graph=True)] == second


def _cube(u: Value, with_rule: bool) -> Value:
    """u³ as a custom primitive: local derivative 3u², and (optionally) that rule on Values."""
    rule = (lambda p: (3 * p * p,)) if with_rule else None
    return Value.from_op(u.data**3, "cube", (u,), (3 * u.data**2,), rule=rule)


def _bump(u: Value, v: Value) -> Value:
    """u·sin(v) as a custom primitive of two parents, with its rule."""
    return Value.from_op(
        u.data * math.sin(v.data),
        "bump",
        (u, v),
        (math.sin(v.data), u.data * math.cos(v.data)),
        rule=lambda u, v: (v.sin(), u * v.cos()),
    )


def _fd(f, xs, i, h=1e-5):
    hi, lo = list(xs), list(xs)
    hi[i] += h
    lo[i] -= h
    return (f(*hi) - f(*lo)) / (2 * h)


def test_custom_op_with_a_rule_has_second_derivatives_matching_finite_differences():
    f = lambda x: _cube(x.sin(), True) * x  # noqa: E731
    df = grad(f)
    for x in (0.3, -1.2, 2.0):
        assert _close(grad(df)(x), _fd(df, [x], 0), 1e-7)
        assert _close(grad(grad(df))(x), _fd(grad(df), [x], 0), 1e-7)
    g = lambda a, b: _bump(a * b, a.exp()) + _cube(b, True)  # noqa: E731
    point = [0.4, -0.9]
    H = hessian(g)(*point)
    for j in range(2):
        column = [_fd(lambda *xs, i=i: grad(g, i)(*xs), point, j) for i in range(2)]
        assert all(_close(H[i][j], column[i], 1e-7) for i in range(2)), (H, column)
    # the rule's derivatives, as Values over the parents
    u = Value(1.5)
    (d,) = local_derivatives(_cube(u, True))
    assert isinstance(d, Value) and d.data == 3 * 1.5**2


def test_custom_op_without_a_rule_first_order_only():
    f = lambda x: _cube(x, False) + x  # noqa: E731
    assert grad(f)(2.0) == 13.0  # 3x² + 1, from the stored local derivative
    for second in (grad(grad(f)), lambda x: hessian(f)(x)):
        with pytest.raises(ValueError, match=r"cube.*rule"):
            second(2.0)
    with pytest.raises(ValueError, match="cube"):
        local_derivatives(_cube(Value(1.0), False))


def test_custom_rule_giving_the_wrong_number_of_derivatives_is_a_clear_error():
    bad = lambda u: Value.from_op(u.data * 2, "twice", (u,), (2.0,), rule=lambda p: (2.0, 2.0))  # noqa: E731
    with pytest.raises(ValueError, match=r"twice.*2 derivatives for 1 parent"):
        grad(grad(bad))(1.0)


# ---- (f) errors, and derivatives at the kinks ----


def test_grad_takes_the_other_arguments_as_constants_whatever_their_number_type():
    # np.float32 and np.int64 are real numbers but not Python floats: constants like 1.0 and 1
    f = lambda a, b: a * b.exp()  # noqa: E731
    for b in (1.0, 1, np.float64(1.0), np.float32(1.0), np.int64(1)):
        assert grad(f)(2.0, b) == math.e == autograd.grad(lambda a: a * anp.exp(1.0))(2.0)


def test_errors_are_clear():
    f = lambda x: x * x  # noqa: E731
    for transform in (grad, hessian, jacobian):
        with pytest.raises(TypeError, match="f must be a function"):
            transform(3.0)
    with pytest.raises(TypeError, match="f must be a function"):
        jvp("f", [1.0], [1.0])
    with pytest.raises(ValueError, match="argnum 1 is out of range for 1 argument"):
        grad(f, argnum=1)(2.0)
    with pytest.raises(ValueError, match="argnum -3 is out of range"):
        grad(lambda a, b: a * b, argnum=-3)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnum must be an int"):
        grad(f, argnum=0.5)
    with pytest.raises(ValueError, match="mode must be 'reverse' or 'forward', got 'sideways'"):
        jacobian(f, mode="sideways")
    with pytest.raises(ValueError, match="2 inputs but 1 tangents"):
        jvp(lambda a, b: a * b, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match="inputs must be a list"):
        jvp(f, 1.0, [1.0])
    for returns in ("text", None, [Value(1.0), Value(2.0)]):
        g = lambda x, r=returns: r  # noqa: E731
        with pytest.raises(TypeError, match="must return a scalar Value"):
            grad(g)(1.0)
        with pytest.raises(TypeError, match="must return a scalar Value"):
            hessian(g)(1.0)
    with pytest.raises(TypeError, match="must return a scalar Value"):
        jacobian(lambda x: "text")(1.0)
    with pytest.raises(TypeError, match="must return a scalar Value"):
        jvp(lambda x: None, [1.0], [1.0])
    with pytest.raises(ValueError, match="give at least one input"):
        hessian(f)()
    with pytest.raises(ValueError, match="finite"):
        grad(f)(math.nan)
    with pytest.raises(TypeError, match="real number"):
        grad(f)("2")
    with pytest.raises(TypeError, match="output must be a Value"):
        gradients(3.0, [Value(1.0)])
    with pytest.raises(TypeError, match="inputs must be a list of Values"):
        gradients(Value(1.0), "x")


def test_second_derivatives_at_the_kinks_are_zero_like_autograd():
    cases = [
        (lambda a: a.relu(), _relu_np),
        (lambda a: a.abs(), anp.abs),
        (lambda a: a.leaky_relu(0.05), _leaky_np),
        (lambda a: a.relu() * 3 + 1, lambda a: _relu_np(a) * 3 + 1),
    ]
    for ours, theirs in cases:
        for derivative in (grad(grad(ours)), grad(grad(grad(ours)))):
            assert derivative(0.0) == 0.0
        # the first derivative at 0 is the engine's convention (ReLU′(0) = 0 …), also autograd's
        assert grad(ours)(0.0) == float(_oracle(autograd.grad(theirs), 0.0))
        assert float(_oracle(autograd.grad(autograd.grad(theirs)), 0.0)) == 0.0
    assert hessian(lambda a, b: (a * b).relu())(0.0, 0.0) == [[0.0, 0.0], [0.0, 0.0]]


def test_pow_at_exponent_zero_is_flat():
    # u⁰ = 1 is flat in u, even at u = 0: every u-derivative of it is 0 (autograd agrees)
    for u in (0.0, 2.0, -1.5):
        for order in (1, 2, 3):
            d = lambda x: x**0  # noqa: E731
            for _ in range(order):
                d = grad(d)
            assert d(u) == 0.0
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0 == autograd.grad(lambda t: t**0.0)(0.0)
    # x², x³ at 0 through their third and fourth derivatives: 2 → 0, and 6 → 0
    assert [grad(grad(lambda x: x**2))(0.0), grad(grad(grad(lambda x: x**2)))(0.0)] == [2.0, 0.0]
    assert [grad(grad(grad(lambda x: x**3)))(0.0), grad(grad(grad(grad(lambda x: x**3))))(0.0)] == [6.0, 0.0]


def test_pow_with_a_value_exponent_at_integers():
    # f = uᵛ with both Values, at v = 0, 1, 2, where autograd's rule (x**where(y, y − 1, 1)) is off.
    # By hand: ∂²f/∂u∂v = uᵛ⁻¹(1 + v ln u) and ∂³f/∂u²∂v = uᵛ⁻²((2v − 1) + v(v − 1) ln u); both
    # are also checked by finite differences of the engine's lower derivatives.
    f = lambda a, b: a**b  # noqa: E731
    for u in (2.0, 0.5):
        for v in (0.0, 1.0, 2.0):
            H = hessian(f)(u, v)
            assert _close(H[0][1], u ** (v - 1) * (1 + v * math.log(u)), 1e-12) and H[0][1] == H[1][0]
            assert _close(H[0][1], _fd(grad(f, 0), [u, v], 1), 1e-7)
            third = grad(grad(grad(f, 0), 0), 1)(u, v)
            assert _close(third, u ** (v - 2) * ((2 * v - 1) + v * (v - 1) * math.log(u)), 1e-12)
            assert _close(third, _fd(grad(grad(f, 0), 0), [u, v], 1), 1e-7)


def test_a_function_that_ignores_its_input_has_zero_derivatives():
    assert grad(lambda x: 5.0)(1.0) == 0.0
    assert grad(grad(lambda x: Value(2.0)))(1.0) == 0.0
    assert hessian(lambda a, b: a * 2.0)(1.0, 3.0) == [[0.0, 0.0], [0.0, 0.0]]
    assert jacobian(lambda a, b: [a, 1.0], mode="forward")(1.0, 2.0) == [[1.0, 0.0], [0.0, 0.0]]
