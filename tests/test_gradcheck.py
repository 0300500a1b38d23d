"""gradcheck: passes right rules (< 1e-7), catches each of the chapter's pitfalls (> 1e-3)."""

from __future__ import annotations

import math
import random

import pytest

from autograd_tiny import Value, pitfalls
from autograd_tiny import functional as F
from autograd_tiny.gradcheck import gradcheck


def test_passes_correct_engine_gradients():
    res = gradcheck(lambda a, b: (a * b).tanh() + (a / b).exp() - b.log(), [0.3, 1.7])
    assert res and res.max_rel_error < 1e-7
    assert [r.name for r in res.rows] == ["x0", "x1"]


def test_report_is_a_table_and_keeps_value_labels():
    w = Value(0.5, label="w")
    res = gradcheck(lambda w, b: (w * 2 + b).sigmoid(), [w, 0.1])
    text = str(res)
    assert text.splitlines()[0].split() == ["input", "analytic", "numeric", "rel.", "error"]
    assert text.splitlines()[1].startswith("w ") and "ok" in text
    assert "gradcheck passed" in text
    assert w.grad == 0.0  # the caller's Value is not touched


def test_catches_a_wrong_rule_defined_with_from_op():
    def bad_square(u: Value) -> Value:
        return Value.from_op(u.data**2, "sq", (u,), (u.data,))  # should be 2u

    res = gradcheck(lambda u: bad_square(u), [1.3])
    assert not res and res.max_rel_error == pytest.approx(0.5, rel=1e-6)
    assert "FAIL" in str(res) and "gradcheck FAILED" in str(res)


def _layer_inputs():
    r = random.Random(1)
    return [r.uniform(-1, 1) for _ in range(8)]


def _dense(mistake):
    return lambda *q: F.dot(pitfalls.dense_tanh(q[:4], q[4:6], q[6:], mistake), [1.0, -2.0])


def _batch(mistake):
    return lambda w, b: pitfalls.batch_mse(w, b, [0.5, -1.0, 2.0, 0.1], [1.0, 0.0, 0.5, -0.3], mistake)


CASES = [
    ("forget_fprime", _dense, _layer_inputs()),
    ("transposed_outer", _dense, _layer_inputs()),
    ("bias_not_summed", _batch, [0.3, -0.2]),
    ("divide_twice", _batch, [0.3, -0.2]),
    ("wrong_sign", lambda m: lambda u: pitfalls.sigmoid(u, m) * 2.0, [0.7]),
]


@pytest.mark.parametrize("mistake, build, inputs", CASES, ids=[c[0] for c in CASES])
def test_each_pitfall_is_caught_and_its_correct_rule_passes(mistake, build, inputs):
    right = gradcheck(build(None), inputs)
    wrong = gradcheck(build(mistake), inputs)
    assert right and right.max_rel_error < 1e-7
    assert not wrong and wrong.max_rel_error > 1e-3


def test_pitfall_primitives_compute_the_right_values():
    w, b = Value(0.3), Value(-0.2)
    xs, ys = [0.5, -1.0], [1.0, 0.0]
    L = pitfalls.batch_mse(w, b, xs, ys)
    assert L.data == pytest.approx(sum((0.3 * x - 0.2 - y) ** 2 for x, y in zip(xs, ys, strict=True)) / 2)
    a = pitfalls.dense_tanh(
        [Value(v) for v in (1.0, 0.0, 0.0, 1.0)], [Value(0.2), Value(-0.4)], [Value(0.0)] * 2
    )
    assert [v.data for v in a] == pytest.approx([math.tanh(0.2), math.tanh(-0.4)])
    with pytest.raises(ValueError, match="mistake must be None or one of"):
        pitfalls.sigmoid(Value(0.0), "forget_fprime")


def test_bad_arguments():
    with pytest.raises(ValueError, match="eps must be a finite number > 0, got 0"):
        gradcheck(lambda a: a, [1.0], eps=0)
    with pytest.raises(TypeError, match="must return a scalar Value"):
        gradcheck(lambda a: 3.0, [1.0])
    with pytest.raises(ValueError, match=r"cannot be evaluated at x0 ± 1e-06"):
        gradcheck(lambda a: a.log(), [0.0000001])
    with pytest.raises(ValueError, match="no inputs"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="f must be a function of the inputs, got Value"):
        gradcheck(Value(1.0), [1.0])


# --- bad arguments as a user passes them ----------------------------------------------------------


@pytest.mark.parametrize("name", ["eps", "rtol", "atol"])
@pytest.mark.parametrize("bad", [0, 0.0, -1e-6, float("nan"), float("inf"), -float("inf")])
def test_tolerances_must_be_finite_and_positive(name, bad):
    with pytest.raises(ValueError, match=rf"^gradcheck: {name} must be a finite number > 0, got {bad!r}"):
        gradcheck(lambda a: a * a, [1.0], **{name: bad})


@pytest.mark.parametrize("name", ["eps", "rtol", "atol"])
@pytest.mark.parametrize("bad", [None, "1e-6", [1e-6], True])
def test_tolerances_must_be_numbers(name, bad):
    with pytest.raises(
        TypeError, match=rf"^gradcheck: {name} must be a real number, got {type(bad).__name__}"
    ):
        gradcheck(lambda a: a * a, [1.0], **{name: bad})


def test_numpy_tolerances_and_inputs_work():
    import numpy as np

    result = gradcheck(
        lambda a, b: a * b.exp(), np.array([0.5, -1.0]), eps=np.float64(1e-6), rtol=np.float32(1e-5)
    )
    assert result and [r.name for r in result.rows] == ["x0", "x1"]
    assert result.rows[0].analytic == math.exp(-1.0)  # ∂(a eᵇ)/∂a = eᵇ


@pytest.mark.parametrize(
    "bad, error, message",
    [
        (None, TypeError, "inputs must be a list of Values or numbers, got NoneType"),
        ({1.0: "x"}, TypeError, r"inputs must be .* got dict \(it would give its keys"),
        ({1.0, 2.0}, TypeError, r"inputs must be .* got set \(a set has no order"),
        (1.5, TypeError, r"inputs must be .* got float: 1\.5 \(wrap a single number in a list\)"),
        (["a"], TypeError, r"inputs\[0\] must be a real number, got str"),
        ([float("nan")], ValueError, r"inputs\[0\] must be finite, got nan"),
    ],
)
def test_inputs_that_are_not_a_list_of_numbers(bad, error, message):
    with pytest.raises(error, match="^gradcheck: " + message):
        gradcheck(lambda *xs: xs[0], bad)


def test_f_returning_several_values_or_a_non_finite_one():
    with pytest.raises(
        TypeError, match=r"f must return a scalar Value, got a list of 2: reduce it to one number"
    ):
        gradcheck(lambda a: [a, a * 2], [1.0])

    def overwritten(a):
        y = a * 2.0
        y.data = float("nan")  # the engine never makes a NaN, but a hand-edited node can hold one
        return y

    with pytest.raises(ValueError, match=r"f returned nan at \[1\.0\]: not a finite number"):
        gradcheck(overwritten, [1.0])


def test_second_order_gradcheck_passes_right_rules_and_catches_a_wrong_one():
    from autograd_tiny import functional as F

    def f(a, b):
        return (a * b).tanh() + a.sigmoid() * b.exp() + F.logsumexp([a, b * b]) + (a / b).sin()

    result = gradcheck(f, [0.3, 0.7], order=2)
    assert result and len(result.rows) == 4 and result.max_rel_error < 1e-6
    assert [r.name for r in result.rows] == ["∂²/∂x0∂x0", "∂²/∂x0∂x1", "∂²/∂x1∂x0", "∂²/∂x1∂x1"]
    # a custom op whose Value-space rule is wrong (d sin = +sin instead of cos) fails at order 2
    # although its first-order derivative (given as a number) is right
    import math

    def my_sin(u):
        return Value.from_op(math.sin(u.data), "my_sin", (u,), (math.cos(u.data),), rule=lambda u: (u.sin(),))

    assert gradcheck(lambda u: my_sin(u) * u, [0.4])
    bad = gradcheck(lambda u: my_sin(u) * u, [0.4], order=2)
    assert not bad and bad.max_rel_error > 1e-3


def test_gradcheck_order_must_be_1_or_2():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        gradcheck(lambda u: u * u, [1.0], order=3)
