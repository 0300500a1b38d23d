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


# --- bad input, as a user would hit it: a clear error naming the loss and the argument -------------

LOSSES_AND_ARGS = [
    (nn.mse_loss, "mse_loss", "preds", [0.5]),
    (nn.binary_cross_entropy, "binary_cross_entropy", "probs", [0.5]),
    (nn.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits", "logits", [0.5]),
    (nn.hinge_loss, "hinge_loss", "scores", [1.0]),
]
NOT_A_LIST = [None, {0: 1.0}, {1.0}, "0.5", object(), (v for v in [1.0]), nn.MLP(1, [1], seed=0)]


@pytest.mark.parametrize("loss, name, arg, good", LOSSES_AND_ARGS, ids=[c[1] for c in LOSSES_AND_ARGS])
@pytest.mark.parametrize("bad", NOT_A_LIST, ids=lambda b: type(b).__name__)
def test_a_non_list_is_a_type_error_naming_the_argument(loss, name, arg, good, bad):
    with pytest.raises(TypeError, match=rf"^{name}: {arg} must be a list of Values or numbers, got"):
        loss(bad, good)
    with pytest.raises(TypeError, match=rf"^{name}: targets must be a list of Values or numbers, got"):
        loss(good, bad)


@pytest.mark.parametrize("bad", NOT_A_LIST, ids=lambda b: type(b).__name__)
def test_cross_entropy_logits_that_are_not_a_list(bad):
    with pytest.raises(TypeError, match=r"^cross_entropy: logits must be a list of Values or numbers"):
        nn.cross_entropy(bad, 0)


def test_dicts_and_sets_say_why_they_are_refused():
    with pytest.raises(TypeError, match=r"got dict \(it would give its keys"):
        nn.mse_loss({0.5: "a"}, [1.0])
    with pytest.raises(TypeError, match=r"got set \(a set has no order"):
        nn.mse_loss([0.5, 0.2], {1.0, 0.0})
    with pytest.raises(TypeError, match=r"got generator \(it has no length: pass a list\)"):
        nn.mse_loss((p for p in [0.5]), [1.0])


@pytest.mark.parametrize("p", [1.5, -0.2, 1.0000001, -1e-300])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.5])
def test_bce_refuses_a_probability_outside_0_1(p, y):
    # a logit passed by mistake: −log(1.5) < 0 would be a silently wrong (negative) loss
    with pytest.raises(
        ValueError, match=r"binary_cross_entropy: probs must lie in \[0, 1\], got .* \(probs\[1\]\)"
    ):
        nn.binary_cross_entropy([0.5, p], [0.5, y])


def test_bce_at_the_ends_of_0_1_is_fine_when_the_target_agrees():
    assert nn.binary_cross_entropy([0.0, 1.0], [0.0, 1.0]).data == 0.0
    with pytest.raises(ValueError, match=r"probability 0\.0 with target 1\.0 has infinite loss"):
        nn.binary_cross_entropy([0.0], [1.0])


@pytest.mark.parametrize(
    "loss, target, message",
    [
        (nn.mse_loss, float("nan"), r"mse_loss: targets\[1\] must be finite, got nan"),
        (nn.mse_loss, "1", r"mse_loss: targets\[1\] must be a real number, got str"),
        (nn.binary_cross_entropy, 1.5, r"targets must lie in \[0, 1\], got 1\.5 \(targets\[1\]\)"),
        (
            nn.binary_cross_entropy_with_logits,
            -1.0,
            r"targets must lie in \[0, 1\], got -1\.0 \(targets\[1\]\)",
        ),
        (nn.hinge_loss, 0.0, r"hinge_loss: targets must be -1 or \+1, got 0\.0 \(targets\[1\]\)"),
    ],
)
def test_every_loss_checks_its_targets(loss, target, message):
    with pytest.raises((TypeError, ValueError), match=message):
        loss([0.5, 0.5], [1.0, target])


def test_an_overflowing_prediction_names_the_argument():
    with pytest.raises(OverflowError, match=r"mse_loss: preds\[0\] is too large for a float"):
        nn.mse_loss([10**400], [1.0])


@pytest.mark.parametrize("bad", [None, 1, ["mean"]])
def test_reduction_of_the_wrong_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match=r"mse_loss: reduction must be 'mean' or 'sum' \(a str\)"):
        nn.mse_loss([0.5], [1.0], reduction=bad)


def test_reduction_is_checked_before_anything_is_computed():
    with pytest.raises(ValueError, match="hinge_loss: reduction must be 'mean' or 'sum', got 'avg'"):
        nn.hinge_loss([0.5], [2.0], reduction="avg")  # the bad target would be reported second


def test_numpy_arrays_and_integers_as_a_user_passes_them():
    p, t = np.array([0.2, 0.9, -0.4]), np.array([0.0, 1.0, 0.5])
    assert nn.mse_loss(p, t).data == pytest.approx(float(np.mean((p - t) ** 2)), rel=1e-15)
    z = np.array([2.0, -1.0, 0.5])
    labels = np.array([0, 1, 2])  # a label read from an int array is np.int64, not int
    ref = z - (z.max() + np.log(np.sum(np.exp(z - z.max()))))  # numpy's log-softmax
    for k in labels:
        assert nn.cross_entropy(z, k).data == pytest.approx(float(-ref[k]), rel=1e-14)
    with pytest.raises(
        TypeError, match=r"preds must be a 1-D list of Values or numbers, got an array of shape \(2, 2\)"
    ):
        nn.mse_loss(np.ones((2, 2)), [1.0, 1.0])


@pytest.mark.parametrize("bad", [1.0, np.float64(1.0), True, "1", None])
def test_cross_entropy_target_must_be_an_integer(bad):
    with pytest.raises(TypeError, match="cross_entropy: target_index must be an int"):
        nn.cross_entropy([1.0, 2.0], bad)


def test_a_target_given_as_a_value_gets_its_gradient():
    p, t = Value(0.25), Value(1.0)
    nn.mse_loss([p], [t]).backward()
    assert (p.grad, t.grad) == (2 * (0.25 - 1.0), -2 * (0.25 - 1.0))  # ∂(p − t)²/∂t = −2(p − t)
