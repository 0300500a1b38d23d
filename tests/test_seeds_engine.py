"""The course's worked examples written with plain Value arithmetic, against their answer keys
(the keys as autograd_tiny/examples.py states them; numbers the texts give to 4 decimals are
checked to that rounding)."""

from __future__ import annotations

import math

import pytest

from autograd_tiny import Value


def test_chapter_example_1_two_layer_relu_mse():
    x = Value(1.0, "x")
    w1, b1, w2, b2 = Value(2.0, "w1"), Value(0.0, "b1"), Value(3.0, "w2"), Value(1.0, "b2")
    y = 10.0
    z1 = w1 * x + b1
    a1 = z1.relu()
    z2 = w2 * a1 + b2
    loss = (z2 - y) ** 2
    loss.backward()
    # forward: z₁ = 2, a₁ = 2, z₂ = ŷ = 7, L = 9
    assert (z1.data, a1.data, z2.data, loss.data) == (2.0, 2.0, 7.0, 9.0)
    # backward: ∂L/∂z₂ = −6, ∂L/∂w₂ = −12, ∂L/∂b₂ = −6, δ₁ = −18, ∂L/∂w₁ = −18, ∂L/∂b₁ = −18
    assert (z2.grad, w2.grad, b2.grad) == (-6.0, -12.0, -6.0)
    assert (z1.grad, w1.grad, b1.grad) == (-18.0, -18.0, -18.0)


def test_chapter_example_2_sigmoid_bce():
    x, w, b, y = Value(2.0, "x"), Value(1.0, "w"), Value(-1.0, "b"), 0.0
    z = w * x + b
    y_hat = z.sigmoid()
    loss = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())
    loss.backward()
    assert z.data == 1.0
    assert y_hat.data == pytest.approx(0.7311, abs=5e-5)
    assert loss.data == pytest.approx(1.313, abs=5e-4)
    assert z.grad == pytest.approx(0.7311, abs=5e-5)
    # the key's 1.4622 is 2 × 0.7311, doubled after rounding; the exact value is 1.462117…
    assert w.grad == pytest.approx(1.4622, abs=1e-4)
    assert w.grad == pytest.approx(2 * z.grad, rel=1e-15)
    assert b.grad == pytest.approx(0.7311, abs=5e-5)
    # the chapter's "clean" gradient ∂L/∂z = ŷ − y, up to rounding: the graph reaches it through
    # log and σ′, whose last bits depend on the maths library
    assert z.grad == pytest.approx(1 / (1 + math.exp(-1.0)) - y, rel=1e-12)


def test_chapter_practice_problem_4_relu_prime_at_zero():
    z2 = [Value(1.0, "z2[0]"), Value(-2.0, "z2[1]"), Value(0.0, "z2[2]")]
    a2 = [z.relu() for z in z2]
    W3 = [[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]]
    z3 = [sum((W3[i][j] * a2[j] for j in range(3)), Value(0.0)) for i in range(2)]
    delta3 = [0.5, -0.3]  # given ∂L/∂z⁽³⁾: make L = Σᵢ δᵢ z⁽³⁾ᵢ so that exactly this arrives
    loss = z3[0] * delta3[0] + z3[1] * delta3[1]
    loss.backward()
    assert [z.grad for z in z2] == pytest.approx([0.8, 0.0, 0.0], abs=1e-15)
    assert z2[1].grad == 0.0 and z2[2].grad == 0.0  # ReLU′(−2) = 0 and ReLU′(0) = 0 exactly
