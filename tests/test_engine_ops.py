"""Each primitive and derived op of Value: values, local derivatives against central differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import central_difference, rel_err

from autograd_tiny import Value

# (name, Value function, the same function on floats, input points away from kinks/poles)
UNARY = [
    ("exp", lambda u: u.exp(), math.exp, [-3.0, 0.0, 0.5, 4.0]),
    ("log", lambda u: u.log(), math.log, [0.1, 1.0, 7.5]),
    ("tanh", lambda u: u.tanh(), math.tanh, [-2.0, 0.0, 0.3, 3.0]),
    ("sigmoid", lambda u: u.sigmoid(), lambda u: 1 / (1 + math.exp(-u)), [-4.0, -0.5, 0.0, 2.0]),
    ("relu", lambda u: u.relu(), lambda u: max(u, 0.0), [-2.0, -0.1, 0.1, 3.0]),
    ("leaky_relu", lambda u: u.leaky_relu(0.1), lambda u: u if u > 0 else 0.1 * u, [-2.0, -0.1, 0.1, 3.0]),
    ("softplus", lambda u: u.softplus(), lambda u: math.log(1 + math.exp(u)), [-5.0, 0.0, 0.3, 4.0]),
    ("abs", lambda u: u.abs(), abs, [-2.0, 0.5]),
    ("sin", lambda u: u.sin(), math.sin, [-2.0, 0.0, 1.0]),
    ("cos", lambda u: u.cos(), math.cos, [-2.0, 0.0, 1.0]),
    ("neg", lambda u: -u, lambda u: -u, [-2.0, 1.5]),
    ("sqrt", lambda u: u.sqrt(), math.sqrt, [0.25, 2.0, 9.0]),
    ("square", lambda u: u**2, lambda u: u**2, [-3.0, 0.0, 1.5]),
    ("cube", lambda u: u**3, lambda u: u**3, [-2.0, 0.7]),
    ("inverse", lambda u: u**-1, lambda u: u**-1, [-2.0, 0.5, 3.0]),
    ("power 1.5", lambda u: u**1.5, lambda u: u**1.5, [0.3, 2.0]),
    ("2 ** u", lambda u: 2**u, lambda u: 2**u, [-1.0, 0.0, 3.5]),
    ("1 / u", lambda u: 1 / u, lambda u: 1 / u, [-4.0, 0.25]),
    ("5 - u", lambda u: 5 - u, lambda u: 5 - u, [1.0]),
    ("u / 4", lambda u: u / 4, lambda u: u / 4, [3.0]),
    ("3 + u", lambda u: 3 + u, lambda u: 3 + u, [1.0]),
    ("3 * u", lambda u: 3 * u, lambda u: 3 * u, [-1.0]),
]

BINARY = [
    ("+", lambda u, v: u + v),
    ("-", lambda u, v: u - v),
    ("*", lambda u, v: u * v),
    ("/", lambda u, v: u / v),
    ("**", lambda u, v: u**v),
]


@pytest.mark.parametrize("name, f_value, f_float, points", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_derivative(name, f_value, f_float, points):
    for u in points:
        x = Value(u)
        y = f_value(x)
        assert y.data == pytest.approx(f_float(u), rel=1e-13, abs=1e-300)
        y.backward()
        assert isinstance(x.grad, float)
        fd = central_difference(f_float, [u], 0)
        assert rel_err(x.grad, fd) < 1e-7 or abs(x.grad - fd) < 1e-9, (name, u, x.grad, fd)


@pytest.mark.parametrize("name, f", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("u, v", [(1.5, 2.5), (0.7, -1.3), (3.0, 0.5)])
def test_binary_value_and_both_derivatives(name, f, u, v):
    a, b = Value(u), Value(v)
    y = f(a, b)
    assert y.data == pytest.approx(f(u, v), rel=1e-15)
    y.backward()
    for i, got in enumerate((a.grad, b.grad)):
        fd = central_difference(f, [u, v], i)
        assert rel_err(got, fd) < 1e-7, (name, i, got, fd)


def test_attributes_of_a_leaf_and_a_node():
    x = Value(3, label="x")
    assert x.data == 3.0 and type(x.data) is float
    assert x.grad == 0.0 and type(x.grad) is float
    assert (x.label, x.op, x.parents) == ("x", "", ())
    y = x * 2
    assert y.op == "mul" and y.parents[0] is x and y.parents[1].data == 2.0
    assert y.label == ""


def test_parents_keep_order_and_duplicates():
    x, w = Value(2.0), Value(5.0)
    assert (x + x).parents == (x, x)
    assert (w * x).parents == (w, x)
    s = x + x
    s.backward()
    assert x.grad == 2.0  # both edges count


def test_integer_inputs_give_float_grads():
    x = Value(2)
    y = x * 3 + x**2
    y.backward()
    assert type(x.grad) is float and x.grad == 7.0


def test_numpy_scalars_are_accepted():
    x = Value(np.float64(1.5))
    y = x * np.int64(2)
    assert type(x.data) is float and y.data == 3.0


def test_value_exponent_matches_log_rule():
    a, b = Value(2.0), Value(3.0)
    y = a**b
    y.backward()
    assert y.data == 8.0
    assert a.grad == pytest.approx(3 * 2.0**2)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


def test_zero_base_with_value_exponent_has_zero_exponent_derivative():
    a, b = Value(0.0), Value(2.0)
    y = a**b
    y.backward()
    assert (y.data, a.grad, b.grad) == (0.0, 0.0, 0.0)


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0


@pytest.mark.parametrize("z", [1000.0, -1000.0, 800.0, -800.0])
def test_sigmoid_is_exactly_zero_or_one_far_out(z):
    x = Value(z)
    y = x.sigmoid()
    y.backward()
    assert y.data == (1.0 if z > 0 else 0.0)
    assert x.grad == 0.0


@pytest.mark.parametrize("z", [700.0, -700.0, 40.0, -40.0, 5.0, -5.0])
def test_sigmoid_is_accurate_in_the_tails(z):
    x = Value(z)
    y = x.sigmoid()
    y.backward()
    # independent reference: log σ(z) = −log(1 + e⁻ᶻ) = z − log(1 + eᶻ), each side finite for its sign
    ref = math.exp(-math.log1p(math.exp(-z))) if z >= 0 else math.exp(z - math.log1p(math.exp(z)))
    assert y.data == pytest.approx(ref, rel=1e-12)
    # σ′(z) = σ(z)·σ(−z) = e^−|z| / (1 + e^−|z|)², computed here without σ: no 1 − σ that rounds to 0
    e = math.exp(-abs(z))
    assert x.grad == pytest.approx(e / (1 + e) ** 2, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("z", [-1000.0, -40.0, 0.0, 40.0, 1000.0])
def test_softplus_is_stable_far_out(z):
    x = Value(z)
    y = x.softplus()
    y.backward()
    # independent references: softplus(z) = z + softplus(−z) and softplus(z) ≈ e^z for z ≪ 0
    ref = z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))
    assert y.data == pytest.approx(ref, rel=1e-15, abs=1e-300)
    assert x.grad == pytest.approx(1 / (1 + math.exp(-z)) if z > -700 else 0.0, rel=1e-12, abs=1e-300)


def test_kinks_use_the_zero_subgradient():
    for f in (lambda u: u.abs(), lambda u: u.relu()):
        x = Value(0.0)
        f(x).backward()
        assert x.grad == 0.0
    x = Value(0.0)
    x.leaky_relu(0.2).backward()
    assert x.grad == 0.2


def test_repr_is_readable():
    assert repr(Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(Value(1)) == "Value(data=1.0, grad=0.0)"


def test_from_op_defines_a_new_primitive():
    # a user-defined primitive: y = sin(u) with its own local derivative cos(u)
    u = Value(0.4)
    y = Value.from_op(math.sin(u.data), "sin", (u,), (math.cos(u.data),))
    (y * y).backward()
    assert u.grad == pytest.approx(2 * math.sin(0.4) * math.cos(0.4), rel=1e-15)
