"""No NaN or infinity leaves the engine without an error naming the op; numerically right where cheap.

Each case is what a user ran into (issue: reliability): the oracle is the exact value of the
derivative, computed here in closed form with Python's float math, or the mathematical limit.
"""

from __future__ import annotations

import math

import pytest

from autograd_tiny import Value
from autograd_tiny import functional as F


def test_a_gradient_that_overflows_is_an_error_naming_the_op():
    x = Value(2.0, "x")
    y = x**1023  # 2^1023 is a float, but d/dx = 1023·2^1022 is not
    assert y.data == 2.0**1023
    with pytest.raises(OverflowError, match=r"pow\(2\.0, 1023\.0\)"):
        y.backward()
    assert x.grad == 0.0  # a refused pass leaves the leaves as they were


def test_zero_times_infinity_is_not_a_silent_nan():
    x = Value(-1.0, "x")
    y = x.relu() * 1e300 * 1e300  # forward: 0; backward: 0 · (1e300 · 1e300 = inf) would be NaN
    assert y.data == 0.0
    with pytest.raises(OverflowError, match=r"mul\(0\.0, 1e\+300\)"):
        y.backward()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_exponents_and_operands_are_refused(bad):
    with pytest.raises(ValueError, match="the operand of \\*\\* must be finite"):
        Value(1.0) ** bad
    with pytest.raises(ValueError, match="must be finite"):
        bad ** Value(1.0)
    with pytest.raises(ValueError, match="must be finite"):
        Value(1.0) * bad


def test_the_sign_of_a_huge_integer_power_is_exact():
    # v = 2^54 is even, so (−1)^v = 1; v − 1 is odd (though 2^54 − 1 rounds to 2^54 as a float),
    # so d/du u^v = v·u^(v−1) = −2^54 at u = −1
    x = Value(-1.0)
    y = x ** (2.0**54)
    assert y.data == 1.0
    y.backward()
    assert x.grad == -(2.0**54)


@pytest.mark.parametrize("u", [20.0, 25.0, 30.0, 40.0, -40.0])
def test_sigmoid_and_tanh_derivatives_do_not_round_to_zero_far_out(u):
    x = Value(u)
    x.sigmoid().backward()
    e = math.exp(-abs(u))
    assert x.grad == pytest.approx(e / (1 + e) ** 2, rel=1e-12)  # σ(u)σ(−u)
    x = Value(u)
    x.tanh().backward()
    e2 = math.exp(-2 * abs(u))
    assert x.grad == pytest.approx(4 * e2 / (1 + e2) ** 2, rel=1e-12)  # sech²(u) = 1 − tanh²(u)
    assert x.grad > 0.0


def test_a_derivative_never_used_does_not_raise():
    x = Value(1.0, "x")
    y = x / 1e-160  # ∂y/∂(1e-160) = −1e320 is not a float, but nobody asks for it
    y.backward()
    assert (y.data, x.grad) == (1e160, 1e160)
    v = Value(0.3, "v")
    z = 0.0**v  # ∂z/∂u = 0.3·0^−0.7 is infinite, but the base is a constant
    z.backward()
    assert (z.data, v.grad) == (0.0, 0.0)  # ∂(0ᵛ)/∂v = 0ᵛ·ln 0 → 0, as HIPS autograd and JAX give


def test_an_infinite_derivative_that_is_used_is_refused():
    u = Value(0.0, "u")
    with pytest.raises(OverflowError, match=r"pow\(0\.0, 0\.5\) with respect to u is inf"):
        u.sqrt().backward()


@pytest.mark.parametrize("big", [1e16, 1e100, 1e300])
def test_the_softmax_family_is_right_for_huge_logits(big):
    zs = [Value(big), Value(big)]
    lse = F.logsumexp(zs)
    lse.backward()
    assert [z.grad for z in zs] == [0.5, 0.5]  # softmax of two equal logits, whatever their size
    assert [v.data for v in F.log_softmax([big, big])] == pytest.approx([-math.log(2)] * 2, rel=1e-15)
    assert [v.data for v in F.softmax([big, big])] == pytest.approx([0.5, 0.5], rel=1e-15)
    assert [v.data for v in F.log_softmax([big, -big])] == pytest.approx([0.0, -2 * big], rel=1e-15)


def test_backward_twice_gives_exactly_twice_the_leaf_gradient():
    x = Value(0.37)
    y = (x * x).tanh() + x.sigmoid() * x
    y.backward()
    once = x.grad
    y.backward()
    assert x.grad == 2 * once
