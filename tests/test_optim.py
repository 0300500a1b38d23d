"""SGD and Adam, step by step against the update formulas written independently in numpy."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_tiny import Value
from autograd_tiny.optim import SGD, Adam


def _grads(steps, n, seed=0):
    return np.random.default_rng(seed).normal(size=(steps, n))


@pytest.mark.parametrize("momentum, wd", [(0.0, 0.0), (0.9, 0.0), (0.0, 0.01), (0.8, 0.05)])
def test_sgd_matches_numpy(momentum, wd):
    p0 = np.array([0.5, -1.0, 2.0])
    params = [Value(v) for v in p0]
    opt = SGD(params, lr=0.1, momentum=momentum, weight_decay=wd)
    p, v = p0.copy(), np.zeros(3)
    for g in _grads(6, 3):
        for q, gi in zip(params, g, strict=True):
            q.grad = float(gi)
        opt.step()
        d = g + wd * p
        v = momentum * v + d if momentum else d
        p = p - 0.1 * v
        assert [q.data for q in params] == pytest.approx(list(p), rel=1e-14)


def test_adam_matches_numpy():
    p0 = np.array([0.5, -1.0, 2.0, 0.0])
    params = [Value(v) for v in p0]
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-7
    opt = Adam(params, lr=lr, betas=(b1, b2), eps=eps)
    p, m, s = p0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(_grads(8, 4, seed=1), start=1):
        for q, gi in zip(params, g, strict=True):
            q.grad = float(gi)
        opt.step()
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(s / (1 - b2**t)) + eps)
        assert [q.data for q in params] == pytest.approx(list(p), rel=1e-13)


def test_first_adam_step_is_lr_times_sign():
    # with bias correction the first step is lr·g/(|g| + ε) ≈ lr·sign(g), whatever |g| is
    params = [Value(1.0), Value(1.0)]
    params[0].grad, params[1].grad = 1e-3, -50.0
    Adam(params, lr=0.1).step()
    assert params[0].data == pytest.approx(0.9, rel=1e-5)  # ε = 1e-8 against |g| = 1e-3
    assert params[1].data == pytest.approx(1.1, rel=1e-9)


def test_zero_grad_and_errors():
    ps = [Value(1.0)]
    ps[0].grad = 3.0
    SGD(ps, lr=0.1).zero_grad()
    assert ps[0].grad == 0.0
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr must lie in"):
        SGD(ps, lr=0.0)
    with pytest.raises(ValueError, match="momentum must lie in"):
        SGD(ps, lr=0.1, momentum=1.5)
    with pytest.raises(ValueError, match="betas\\[1\\] must lie in"):
        Adam(ps, betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="parameters must be Values"):
        Adam([1.0])


def test_adam_does_not_overflow_on_a_huge_gradient():
    p = Value(1.0)
    opt = Adam([p], lr=0.1)
    for _ in range(3):
        p.grad = 1e200  # g² = 1e400 is not a float; Adam's step is still about lr·sign(g)
        opt.step()
    assert p.data == pytest.approx(0.7, rel=1e-6)


@pytest.mark.parametrize("opt_class", [SGD, Adam])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_gradient_is_refused_and_nothing_changes(opt_class, bad):
    ps = [Value(1.0, "w"), Value(2.0, "b")]
    opt = opt_class(ps, lr=0.1)
    ps[0].grad, ps[1].grad = 0.5, bad
    with pytest.raises(ValueError, match=r"gradient of parameter 1 \(b\) is"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0]
    ps[1].grad = 0.5
    opt.step()  # the optimizer's state was not touched by the refused step
    assert ps[0].data == pytest.approx(ps[1].data - 1.0, rel=1e-12)


def test_an_update_that_overflows_is_refused():
    ps = [Value(1e308, "w")]
    opt = SGD(ps, lr=1e10)
    ps[0].grad = -1e300
    with pytest.raises(ValueError, match=r"update of parameter 0 \(w\) gives inf"):
        opt.step()
    assert ps[0].data == 1e308


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, None, "0.1"])
def test_learning_rates_must_be_positive_finite_numbers(bad):
    with pytest.raises(ValueError, match="lr must"):
        SGD([Value(1.0)], lr=bad)
    with pytest.raises(ValueError, match="lr must"):
        Adam([Value(1.0)], lr=bad)
