"""Bad input to the public functions: a TypeError or ValueError naming the function and argument.

The vector helpers first, then a generic probe: every public function of the modules below, called
with each of a list of wrong values in each argument position, either works or raises a built-in
error whose message names the function or the argument; never an AttributeError, an IndexError, a
RecursionError or numpy's own message from deep inside.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

from autograd_tiny import MLP, Value, matrix
from autograd_tiny import functional as F

NOT_A_VECTOR = [
    (None, "got NoneType"),
    ({1.0: 2.0}, r"got dict \(it would give its keys"),
    ({1.0, 2.0}, r"got set \(a set has no order"),
    ("ab", r"got str: 'ab' \(a string is not a list of numbers\)"),
    (3.0, r"got float: 3\.0 \(wrap a single number in a list\)"),
    (Value(3.0), r"got Value: .* \(wrap a single number in a list\)"),
    ((v for v in [1.0]), r"got generator \(it has no length: pass a list\)"),
    (MLP(1, [1], seed=0), r"got MLP \(a model: pass its outputs, model\(x\), instead\)"),
    (object(), "got object$"),
    (np.ones((2, 1)), r"1-D list of Values or numbers, got an array of shape \(2, 1\)"),
]
IDS = ["None", "dict", "set", "str", "float", "Value", "generator", "model", "object", "2-D array"]


@pytest.mark.parametrize("bad, message", NOT_A_VECTOR, ids=IDS)
def test_vector_helpers_refuse_what_is_not_a_vector_naming_function_and_argument(bad, message):
    for call, where in [
        (lambda: F.sum(bad), "sum: xs"),
        (lambda: F.dot(bad, [1.0]), "dot: ws"),
        (lambda: F.dot([1.0], bad), "dot: xs"),
        (lambda: F.affine(bad, [1.0], 0.0), "affine: ws"),
        (lambda: F.affine([1.0], bad, 0.0), "affine: xs"),
        (lambda: F.logsumexp(bad), "logsumexp: xs"),
        (lambda: F.log_softmax(bad), "log_softmax: xs"),
    ]:
        with pytest.raises(TypeError, match=f"^{where} must be a .*{message}"):
            call()


def test_a_bad_element_is_named_by_its_index():
    with pytest.raises(TypeError, match=r"^dot: xs\[1\] must be a real number, got NoneType"):
        F.dot([1.0, 2.0], [3.0, None])
    with pytest.raises(ValueError, match=r"^sum: xs\[0\] must be finite, got nan"):
        F.sum([float("nan")])
    with pytest.raises(OverflowError, match=r"^logsumexp: xs\[2\] is too large for a float"):
        F.logsumexp([1.0, 2.0, 10**400])
    with pytest.raises(TypeError, match=r"^affine: b must be a real number, got str"):
        F.affine([1.0], [2.0], "0")
    with pytest.raises(ValueError, match=r"^dot: ws and xs: lengths differ \(2 and 3\)"):
        F.dot([1.0, 2.0], [1.0, 2.0, 3.0])


def test_numpy_vectors_and_other_ordered_collections_work():
    w, x = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.25, -1.0])
    assert F.dot(w, x).data == float(np.dot(w, x))
    assert F.affine(w, x, np.float64(1.5)).data == float(np.dot(w, x) + 1.5)
    assert F.sum(range(4)).data == 6.0
    z = np.array([1.0, 2.0, 3.0])
    ref = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
    assert [v.data for v in F.softmax(z)] == pytest.approx(list(ref), rel=1e-14)


# --- matrix.py: shapes that do not follow the chapter's convention are refused, naming the argument --

W1, B1 = np.array([[1.0, -2.0], [0.5, 0.25]]), np.array([[0.1], [-0.2]])  # 2 × 2 and 2 × 1
W2, B2 = np.array([[3.0, -1.0]]), np.array([[0.5]])  # 1 × 2 and 1 × 1
X5 = np.arange(10.0).reshape(2, 5) / 10  # n₀ × M = 2 × 5


def test_a_single_example_as_a_1d_x_is_refused_with_the_fix():
    x = np.array([0.3, -0.7])
    with pytest.raises(
        ValueError, match=r"forward: X .* 2-D array .* got shape \(2,\): .* x\.reshape\(-1, 1\)"
    ):
        matrix.forward([W1], [B1], x, ["linear"])
    Zs, _ = matrix.forward([W1], [B1], x.reshape(-1, 1), ["linear"])
    assert np.array_equal(Zs[0], W1 @ x.reshape(-1, 1) + B1)  # the fix gives z = W x + b


def test_biases_as_1d_vectors_or_columns_give_the_same_result():
    Z_col = matrix.forward([W1], [B1], X5, ["tanh"])[0][0]
    Z_vec = matrix.forward([W1], [B1.ravel()], X5, ["tanh"])[0][0]
    assert np.array_equal(Z_col, Z_vec) and np.array_equal(Z_col, W1 @ X5 + B1)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: matrix.forward([W1], [np.zeros(3)], X5, ["relu"]),
            ValueError,
            r"biases\[0\] must have 2 entries",
        ),
        (
            lambda: matrix.forward([W1], [np.zeros((1, 2))], X5, ["relu"]),
            ValueError,
            r"biases\[0\] must have 2",
        ),
        (
            lambda: matrix.forward([W1, W2], [B1], X5, ["relu"] * 2),
            ValueError,
            "2 weight matrices but 1 biases",
        ),
        (
            lambda: matrix.forward([W1], [B1], X5, ["relu"] * 2),
            ValueError,
            "1 weight matrices but 2 activations",
        ),
        (
            lambda: matrix.forward([W1, np.ones((1, 3))], [B1, B2], X5, ["relu"] * 2),
            ValueError,
            r"W is \(1, 3\) but its input has 2 rows \(weights\[1\] needs one column per row of weights",
        ),
        (
            lambda: matrix.forward([W1], [B1], X5[:1], ["relu"]),
            ValueError,
            r"W is \(2, 2\) but its input has 1 rows \(weights\[0\] needs one column per row of X\)",
        ),
        (
            lambda: matrix.forward(W1, [B1], X5, ["relu"]),
            TypeError,
            "weights must be a list with one entry per",
        ),
        (
            lambda: matrix.forward([W1], [B1], X5, "relu"),
            TypeError,
            "activations must be a list with one entry",
        ),
        (lambda: matrix.forward([W1], [B1], X5, [None]), TypeError, r"activations\[0\] must be one of"),
        (lambda: matrix.forward([], [], X5, []), ValueError, "weights is empty"),
        (lambda: matrix.forward([W1.ravel()], [B1], X5, ["relu"]), ValueError, r"weights\[0\] must be a 2-D"),
        (lambda: matrix.forward([W1], [B1], [[1, 2], [3]], ["relu"]), ValueError, r"forward: X .* is ragged"),
        (
            lambda: matrix.forward([W1], [B1], np.array([["a"], ["b"]]), ["relu"]),
            TypeError,
            "must hold real numbers",
        ),
        (
            lambda: matrix.forward([W1], [B1], [[True], [False]], ["relu"]),
            TypeError,
            "must hold real numbers",
        ),
        (lambda: matrix.forward([W1], [B1], X5 * np.nan, ["relu"]), ValueError, r"X .* holds NaN or inf"),
        (
            lambda: matrix.forward([W1 * np.inf], [B1], X5, ["relu"]),
            ValueError,
            r"weights\[0\] holds NaN or inf",
        ),
        (
            lambda: matrix.collapse_linear([W1, W2], [B1, np.zeros(2)]),
            ValueError,
            r"biases\[1\] must have 1 entries",
        ),
    ],
)
def test_forward_and_collapse_refuse_inconsistent_layers(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _batch(loss, Y, out="linear"):
    return lambda: matrix.gradients([W1, W2], [B1, B2], X5, Y, ["tanh", out], loss)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            _batch("mse", np.zeros((5, 1))),
            r"Y \(the targets, shaped like the output: n_L × M\) must be 1 × 5, got shape \(5, 1\)",
        ),
        (_batch("mse", np.zeros(5)), r"Y .* must be a 2-D array"),
        (_batch("hinge", np.zeros((1, 5))), r"hinge needs targets Y of -1 or \+1"),
        (_batch("bce_with_logits", np.full((1, 5), 2.0)), r"needs targets Y in \[0, 1\]"),
        (_batch("bce", np.ones((1, 5))), r"bce needs probabilities A in \[0, 1\]: use a sigmoid output"),
        (_batch("cross_entropy", np.full((1, 5), 0.5)), r"each column of Y to be a probability vector"),
        (_batch("rmse", np.zeros((1, 5))), r"unknown loss 'rmse'"),
    ],
)
def test_targets_not_shaped_or_valued_for_the_loss_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_backward_checks_that_its_arrays_belong_together():
    Zs, As = matrix.forward([W1, W2], [B1, B2], X5, ["tanh", "linear"])
    delta = matrix.output_delta("mse", Zs[-1], As[-1], np.zeros((1, 5)), "linear")
    dWs, dbs = matrix.backward([W1, W2], Zs, As, delta, ["tanh", "linear"])
    assert [d.shape for d in dWs + dbs] == [(2, 2), (1, 2), (2, 1), (1, 1)]
    with pytest.raises(ValueError, match=r"2 weight matrices need 2 Zs and 3 As \(X first\), got 2 and 2"):
        matrix.backward([W1, W2], Zs, As[1:], delta, ["tanh", "linear"])
    with pytest.raises(
        ValueError, match=r"delta_L \(shaped like Zs\[-1\]\) must be 1 × 5, got shape \(5, 1\)"
    ):
        matrix.backward([W1, W2], Zs, As, delta.T, ["tanh", "linear"])
    with pytest.raises(ValueError, match=r"As\[1\] must be 2 × 5, got shape \(2, 4\)"):
        matrix.backward([W1, W2], Zs, [As[0], As[1][:, :4], As[2]], delta, ["tanh", "linear"])
    with pytest.raises(TypeError, match="mistake must be None or one of"):
        matrix.backward([W1, W2], Zs, As, delta, ["tanh", "linear"], mistake=1)


# --- the generic probe: every public function × every argument × a list of wrong values --------------

BAD_VALUES = {  # factories, so a generator is fresh for every call
    "None": lambda: None,
    "dict": lambda: {},
    "set": lambda: set(),
    "str": lambda: "abc",
    "nan": lambda: float("nan"),
    "inf": lambda: float("inf"),
    "-1": lambda: -1,
    "10**400": lambda: 10**400,
    "object": lambda: object(),
    "model": lambda: MLP(1, [1], seed=0),
    "generator": lambda: (v for v in [0.5, 0.5]),
}
ALLOWED = (TypeError, ValueError, OverflowError, ZeroDivisionError, KeyError)


def _public_calls(tmp):
    """(name shown in errors, function, good keyword arguments): each good call works."""
    from autograd_tiny import data, losses, viz
    from autograd_tiny.gradcheck import gradcheck
    from autograd_tiny.nn import Layer, Neuron

    W, B, X, Y = [W1, W2], [B1, B2], X5, np.zeros((1, 5))
    Zs, As = matrix.forward(W, B, X, ["tanh", "linear"])
    model = MLP(2, [3, 1], seed=0)
    root = model([0.5, -1.0])[0]
    root.backward()
    acts = ["tanh", "linear"]
    return [
        ("mse_loss", losses.mse_loss, dict(preds=[0.5, 0.2], targets=[1.0, 0.0], reduction="mean")),
        (
            "binary_cross_entropy",
            losses.binary_cross_entropy,
            dict(probs=[0.5, 0.2], targets=[1.0, 0.0], reduction="sum"),
        ),
        (
            "binary_cross_entropy_with_logits",
            losses.binary_cross_entropy_with_logits,
            dict(logits=[0.5, -2.0], targets=[1.0, 0.0], reduction="mean"),
        ),
        ("cross_entropy", losses.cross_entropy, dict(logits=[1.0, 2.0], target_index=1)),
        ("hinge_loss", losses.hinge_loss, dict(scores=[0.5, -0.2], targets=[1.0, -1.0], reduction="mean")),
        ("sum", F.sum, dict(xs=[1.0, 2.0])),
        ("dot", F.dot, dict(ws=[1.0, 2.0], xs=[3.0, 4.0])),
        ("affine", F.affine, dict(ws=[1.0, 2.0], xs=[3.0, 4.0], b=0.5)),
        ("logsumexp", F.logsumexp, dict(xs=[1.0, 2.0])),
        ("log_softmax", F.log_softmax, dict(xs=[1.0, 2.0])),
        ("softmax", F.softmax, dict(xs=[1.0, 2.0])),
        ("Neuron", Neuron, dict(nin=2, activation="relu", rng=None, fused=True, init="uniform")),
        ("Layer", Layer, dict(nin=2, nout=3, activation="tanh", rng=None, fused=False, init="lecun")),
        (
            "MLP",
            MLP,
            dict(
                nin=2,
                nouts=[3, 1],
                activation="relu",
                output_activation="linear",
                seed=0,
                fused=True,
                init="uniform",
            ),
        ),
        ("MLP", model.__call__, dict(x=[0.5, -1.0])),
        ("Layer", model.layers[0].__call__, dict(x=[0.5, -1.0])),
        ("z1[0]", model.layers[0].neurons[0].__call__, dict(x=[0.5, -1.0])),
        ("load_state_dict", model.load_state_dict, dict(state=model.state_dict())),
        ("forward", matrix.forward, dict(weights=W, biases=B, X=X, activations=acts)),
        ("loss_value", matrix.loss_value, dict(loss="mse", Z=Zs[-1], A=As[-1], Y=Y)),
        ("output_delta", matrix.output_delta, dict(loss="mse", Z=Zs[-1], A=As[-1], Y=Y, activation="linear")),
        (
            "backward",
            matrix.backward,
            dict(weights=W, Zs=Zs, As=As, delta_L=Zs[-1], activations=acts, mistake=None),
        ),
        (
            "gradients",
            matrix.gradients,
            dict(weights=W, biases=B, X=X, Y=Y, activations=acts, loss="mse", mistake="divide_twice"),
        ),
        ("collapse_linear", matrix.collapse_linear, dict(weights=W, biases=B)),
        (
            "gradcheck",
            gradcheck,
            dict(f=lambda a, b: a * b, inputs=[0.5, 2.0], eps=1e-6, rtol=1e-5, atol=1e-8),
        ),
        (
            "to_dot",
            viz.to_dot,
            dict(
                root=root, rankdir="TB", show_grad=True, group_layers=True, color_by_grad=True, max_nodes=100
            ),
        ),
        ("draw_dot", viz.draw_dot, dict(root=root, format="png", max_nodes=None)),
        ("render", viz.render, dict(root=root, path=str(tmp / "g.dot"))),
        ("make_moons", data.make_moons, dict(n_samples=20, noise=0.1, seed=0)),
        ("make_circles", data.make_circles, dict(n_samples=20, noise=0.1, factor=0.5, seed=0)),
        ("make_xor", data.make_xor, dict(n_samples=20, noise=0.1, seed=0)),
        ("make_spirals", data.make_spirals, dict(n_samples=20, noise=0.1, n_classes=3, seed=0)),
    ]


CASES = [(i, arg) for i, (_, _, kwargs) in enumerate(_public_calls(pathlib.Path("."))) for arg in kwargs]


@pytest.mark.parametrize("case", range(len(_public_calls(pathlib.Path(".")))))
def test_every_good_call_in_the_probe_works(case, tmp_path):
    _, fn, kwargs = _public_calls(tmp_path)[case]
    fn(**kwargs)


@pytest.mark.parametrize("bad", BAD_VALUES, ids=list(BAD_VALUES))
@pytest.mark.parametrize("case, arg", CASES, ids=[f"{i}-{a}" for i, a in CASES])
def test_a_wrong_value_is_refused_with_a_message_naming_function_or_argument(case, arg, bad, tmp_path):
    name, fn, kwargs = _public_calls(tmp_path)[case]
    try:
        fn(**{**kwargs, arg: BAD_VALUES[bad]()})
    except ALLOWED as e:
        message = str(e)
        named = [n for n in (name, arg) if re.search(rf"(?<![\w]){re.escape(n)}(?![\w])", message)]
        assert named, f"{name}({arg}={bad}) raised {type(e).__name__} naming neither: {message}"
    # anything else (AttributeError, IndexError, RecursionError, numpy's own errors) fails the test
