"""Losses: values and gradients against independent numpy/autograd formulas; clear errors."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from autograd_tiny import Value, nn


def _vals(xs):
    return [Value(float(v)) for v in xs]


def test_mse_loss_mean_and_sum():
    p, t = np.array([1.0, 2.0, -0.5]), np.array([0.5, 2.5, 0.0])
    ps = _vals(p)
    loss = nn.mse_loss(ps, list(t))
    loss.backward()
    assert loss.data == pytest.approx(np.mean((p - t) ** 2), rel=1e-15)
    assert [v.grad for v in ps] == pytest.approx(list(2 * (p - t) / 3), rel=1e-15)
    assert nn.mse_loss(_vals(p), list(t), reduction="sum").data == pytest.approx(np.sum((p - t) ** 2))


def test_mse_loss_of_chapter_example_1():
    # L = (ŷ − y)² with ŷ = 7, y = 10: L = 9, ∂L/∂ŷ = −6
    y_hat = Value(7.0)
    loss = nn.mse_loss(y_hat, 10.0)
    loss.backward()
    assert (loss.data, y_hat.grad) == (9.0, -6.0)


def test_binary_cross_entropy_against_autograd():
    p, t = np.array([0.2, 0.9, 0.5, 0.7]), np.array([0.0, 1.0, 0.3, 1.0])
    ps = _vals(p)
    loss = nn.binary_cross_entropy(ps, list(t))
    loss.backward()

    def f(q):
        return -anp.mean(t * anp.log(q) + (1 - t) * anp.log(1 - q))

    assert loss.data == pytest.approx(float(f(p)), rel=1e-14)
    assert [v.grad for v in ps] == pytest.approx(list(autograd.grad(f)(p)), rel=1e-12)


def test_bce_of_a_saturated_correct_prediction_is_zero_and_a_wrong_one_is_an_error():
    assert nn.binary_cross_entropy([1.0], [1.0]).data == 0.0
    with pytest.raises(ValueError, match=r"binary_cross_entropy: probability 1\.0 with target 0\.0"):
        nn.binary_cross_entropy([1.0], [0.0])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        nn.binary_cross_entropy([0.5], [2.0])


@pytest.mark.parametrize("z", [-1000.0, -30.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_with_logits_is_stable_and_its_gradient_is_sigmoid_minus_y(z, y):
    zv = Value(z)
    loss = nn.binary_cross_entropy_with_logits([zv], [y])
    loss.backward()
    ref = float(np.logaddexp(0.0, z) - y * z)  # numpy's own stable log(1 + e^z)
    assert loss.data == pytest.approx(ref, rel=1e-14, abs=1e-300)
    sigma = 0.5 * (1 + np.tanh(z / 2))
    assert zv.grad == pytest.approx(sigma - y, rel=1e-12, abs=1e-15)


def test_bce_with_logits_matches_bce_of_sigmoid():
    z, y = [0.3, -1.2, 2.0], [1.0, 0.0, 1.0]
    a = nn.binary_cross_entropy_with_logits(z, y).data
    b = nn.binary_cross_entropy([Value(v).sigmoid() for v in z], y).data
    assert a == pytest.approx(b, rel=1e-14)


@pytest.mark.parametrize("logits", [[2.0, 1.0, 0.1], [1000.0, -1000.0, 0.0], [-5.0, -5.0]])
def test_cross_entropy_gradient_is_exactly_softmax_minus_one_hot(logits):
    for target in range(len(logits)):
        zs = _vals(logits)
        loss = nn.cross_entropy(zs, target)
        loss.backward()
        z = np.array(logits)
        softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        one_hot = np.eye(len(logits))[target]
        assert loss.data == pytest.approx(float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[target]))
        assert (
            np.max(np.abs(np.array([v.grad for v in zs]) - (softmax - one_hot))) <= 4 * np.finfo(float).eps
        )  # equal up to rounding


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match="out of range for 2 logits"):
        nn.cross_entropy([1.0, 2.0], 2)
    with pytest.raises(TypeError, match="target_index must be an int"):
        nn.cross_entropy([1.0, 2.0], 1.0)


def test_hinge_loss_against_numpy():
    s, t = np.array([0.5, -2.0, 1.5, 0.9]), np.array([1.0, -1.0, -1.0, 1.0])
    ss = _vals(s)
    loss = nn.hinge_loss(ss, list(t))
    loss.backward()
    margin = 1 - t * s
    assert loss.data == pytest.approx(np.mean(np.maximum(0, margin)), rel=1e-15)
    assert [v.grad for v in ss] == pytest.approx(list(-t * (margin > 0) / 4), rel=1e-15)
    with pytest.raises(ValueError, match="-1 or \\+1"):
        nn.hinge_loss([0.5], [0.0])


@pytest.mark.parametrize(
    "loss",
    [nn.mse_loss, nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits, nn.hinge_loss],
)
def test_mismatched_lengths_and_bad_reduction(loss):
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        loss([0.5, 0.5], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'sum'"):
        loss([0.5], [1.0], reduction="avg")
    with pytest.raises(ValueError, match="no predictions"):
        loss([], [])
