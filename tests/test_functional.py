"""functional: n-ary sum/dot/affine and the softmax family, against numpy and autograd."""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from helpers import central_difference, rel_err

from autograd_tiny import Value
from autograd_tiny import functional as F


def ag_logsumexp(t):
    """The reference log Σ eᵗ in autograd.numpy (shifted by the max, as numerically usual)."""
    m = anp.max(t)
    return m + anp.log(anp.sum(anp.exp(t - m)))


def test_sum_is_one_node_with_unit_local_derivatives():
    xs = [Value(v) for v in (1.0, -2.0, 3.5)]
    s = F.sum(xs)
    assert s.op == "sum" and s.parents == tuple(xs) and s.local_grads == (1.0, 1.0, 1.0)
    s.backward()
    assert s.data == 2.5 and [x.grad for x in xs] == [1.0, 1.0, 1.0]


def test_sum_of_numbers_and_duplicates():
    x = Value(2.0)
    s = F.sum([x, 3, x])
    s.backward()
    assert s.data == 7.0 and x.grad == 2.0
    assert F.sum([]).data == 0.0


def test_dot_and_affine_values_and_gradients():
    rng = np.random.default_rng(0)
    w, x, b = rng.normal(size=5), rng.normal(size=5), 0.3
    W, X, B = [Value(v) for v in w], [Value(v) for v in x], Value(b)
    d = F.dot(W, X)
    z = F.affine(W, X, B)
    assert d.data == pytest.approx(float(w @ x), rel=1e-14)
    assert z.data == pytest.approx(float(w @ x + b), rel=1e-14)
    assert z.op == "affine" and len(z.parents) == 11
    z.backward()
    assert [v.grad for v in W] == pytest.approx(list(x), rel=1e-15)
    assert [v.grad for v in X] == pytest.approx(list(w), rel=1e-15)
    assert B.grad == 1.0


def test_dot_of_a_vector_with_itself_counts_both_factors():
    ps = [Value(v) for v in (1.0, -2.0, 0.5)]
    F.dot(ps, ps).backward()
    assert [p.grad for p in ps] == [2.0, -4.0, 1.0]


@pytest.mark.parametrize("f", [F.dot, lambda a, b: F.affine(a, b, 0.0)])
def test_length_mismatch_is_a_clear_error(f):
    with pytest.raises(ValueError, match="lengths differ"):
        f([1.0, 2.0], [1.0])


def test_non_list_input_is_a_type_error():
    with pytest.raises(TypeError, match="list of Values"):
        F.sum(Value(1.0))
    with pytest.raises(TypeError, match="real number"):
        F.sum(["a"])


@pytest.mark.parametrize(
    "logits", [[0.5, -1.0, 2.0], [1000.0, -1000.0, 999.0], [-1000.0, -1001.0, -999.5], [3.0]]
)
def test_logsumexp_log_softmax_softmax_against_autograd(logits):
    z = np.array(logits)
    vs = [Value(v) for v in logits]
    lse = F.logsumexp(vs)
    assert lse.data == pytest.approx(float(ag_logsumexp(z)), rel=1e-15)
    ls = F.log_softmax(vs)
    sm = F.softmax(vs)
    ref_ls = z - ag_logsumexp(z)
    assert [v.data for v in ls] == pytest.approx(list(ref_ls), rel=1e-12, abs=1e-12)
    assert [v.data for v in sm] == pytest.approx(list(np.exp(ref_ls)), rel=1e-12, abs=1e-300)
    # logits of size 1000 carry an absolute rounding of ~1e-13 themselves: that much may show
    assert abs(sum(v.data for v in sm) - 1.0) < 1e-15 * max(1.0, float(np.max(np.abs(z))))
    # gradient of a weighted sum of the softmax outputs, against autograd
    c = np.linspace(-1, 1, len(logits))
    loss = F.dot(sm, list(c))
    loss.backward()

    def f(t):
        return anp.sum(c * anp.exp(t - ag_logsumexp(t)))

    ref = autograd.grad(f)(z)
    assert [v.grad for v in vs] == pytest.approx(list(ref), rel=1e-9, abs=1e-12)


def test_logsumexp_gradient_by_finite_differences():
    xs = [0.3, -0.7, 1.1]
    vs = [Value(v) for v in xs]
    F.logsumexp(vs).backward()
    for i, v in enumerate(vs):
        fd = central_difference(lambda *t: float(np.log(np.sum(np.exp(t)))), xs, i)
        assert rel_err(v.grad, fd) < 1e-7


def test_logsumexp_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        F.logsumexp([])
