"""matrix.py (the seeds' batched equations in numpy) against the scalar engine, and the chapter's
batch pitfalls made measurable."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_tiny import Value, matrix, nn
from autograd_tiny.nn import MLP

LOSS_OUTPUT = {  # loss → output activation it is used with
    "mse": "tanh",
    "half_sse": "sigmoid",
    "bce": "sigmoid",
    "bce_with_logits": "linear",
    "cross_entropy": "linear",
    "hinge": "linear",
}


def _targets(loss, rng, n_out, M):
    """Targets as an n_out × M array for matrix.py."""
    if loss == "bce" or loss == "bce_with_logits":
        return rng.integers(0, 2, size=(n_out, M)).astype(float)
    if loss == "hinge":
        return rng.choice([-1.0, 1.0], size=(n_out, M))
    if loss == "cross_entropy":
        return np.eye(n_out)[:, rng.integers(0, n_out, size=M)]
    return rng.normal(size=(n_out, M))


def _engine_loss(loss, out, y_col):
    if loss == "mse":
        return nn.mse_loss(out, list(y_col))
    if loss == "half_sse":
        return 0.5 * nn.mse_loss(out, list(y_col), reduction="sum")
    if loss == "bce":
        return nn.binary_cross_entropy(out, list(y_col))
    if loss == "bce_with_logits":
        return nn.binary_cross_entropy_with_logits(out, list(y_col))
    if loss == "cross_entropy":
        return nn.cross_entropy(out, int(np.argmax(y_col)))
    return nn.hinge_loss(out, list(y_col))


def _engine_gradients(model, X, Y, loss):
    """L = (1/M) Σₘ Lₘ with the scalar engine; returns L and the gradients as W, b arrays."""
    M = X.shape[1]
    total = Value(0.0)
    for m in range(M):
        total = total + _engine_loss(loss, model(list(X[:, m])), Y[:, m])
    L = total / M
    model.zero_grad()
    L.backward()
    dWs = [np.array([[n.w[j].grad for j in range(n.nin)] for n in layer.neurons]) for layer in model.layers]
    dbs = [np.array([[n.b.grad] for n in layer.neurons]) for layer in model.layers]
    return L.data, dWs, dbs


def _arrays(model):
    state = model.state_dict()
    k = len(model.layers)
    Ws = [np.array(state[f"W{i}"]) for i in range(1, k + 1)]
    bs = [np.array(state[f"b{i}"]).reshape(-1, 1) for i in range(1, k + 1)]
    return Ws, bs


def _setup(seed, hidden, loss, sizes=None, M=None):
    rng = np.random.default_rng(seed)
    sizes = sizes or [int(v) for v in rng.integers(1, 5, size=rng.integers(2, 4))]
    n_in, M = int(rng.integers(1, 5)), M or int(rng.integers(1, 6))
    n_out = sizes[-1] if loss != "cross_entropy" else max(2, sizes[-1])
    sizes[-1] = n_out
    acts = [hidden] * (len(sizes) - 1) + [LOSS_OUTPUT[loss]]
    model = MLP(n_in, sizes, activation=hidden, output_activation=acts[-1], seed=seed, init="lecun")
    for p in model.parameters():  # biases away from 0 too, so every term is exercised
        if p.label.startswith("b"):
            p.data = float(rng.normal(scale=0.3))
    X = rng.normal(size=(n_in, M))
    Y = _targets(loss, rng, n_out, M)
    return model, X, Y, acts


def _close(a, b, rtol=1e-10):
    return np.allclose(a, b, rtol=rtol, atol=1e-13)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("loss", sorted(LOSS_OUTPUT))
@pytest.mark.parametrize("hidden", ["relu", "tanh", "sigmoid", "linear"])
def test_engine_gradients_match_the_batched_equations(seed, loss, hidden):
    model, X, Y, acts = _setup(seed, hidden, loss)
    L, dWs, dbs = _engine_gradients(model, X, Y, loss)
    Ws, bs = _arrays(model)
    L_ref, dWs_ref, dbs_ref = matrix.gradients(Ws, bs, X, Y, acts, loss)
    assert L == pytest.approx(L_ref, rel=1e-10)
    for got, ref in zip(dWs + dbs, dWs_ref + dbs_ref, strict=True):
        assert got.shape == ref.shape
        assert _close(got, ref), (got, ref)


def test_example_3_shapes():
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(128, 64)), rng.normal(size=(128, 1))
    A_prev = rng.normal(size=(64, 32))
    Zs, As = matrix.forward([W], [b], A_prev, ["relu"])
    delta = matrix.output_delta("mse", Zs[-1], As[-1], np.zeros((128, 32)), "relu")
    dWs, dbs = matrix.backward([W], Zs, As, delta, ["relu"])
    assert (W.shape, A_prev.shape, Zs[0].shape, delta.shape) == ((128, 64), (64, 32), (128, 32), (128, 32))
    assert dWs[0].shape == W.shape == (128, 64) and dbs[0].shape == (128, 1)
    wrong, _ = matrix.backward([W], Zs, As, delta, ["relu"], mistake="transposed_outer")
    assert wrong[0].shape == (64, 128)  # the pitfall: d_in × d_out, not the shape of W


@pytest.mark.parametrize("mistake", matrix.MISTAKES)
def test_each_pitfall_gives_a_measurably_wrong_gradient(mistake):
    # square weight matrices, so the transposed outer product is wrong in value, not only in shape
    rng = np.random.default_rng(2)
    model, acts = MLP(3, [3, 3, 3], "tanh", "tanh", seed=2), ["tanh"] * 3
    X, Y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    _, dWs, dbs = _engine_gradients(model, X, Y, "mse")
    Ws, bs = _arrays(model)
    _, good_W, good_b = matrix.gradients(Ws, bs, X, Y, acts, "mse")
    _, bad_W, bad_b = matrix.gradients(Ws, bs, X, Y, acts, "mse", mistake=mistake)
    assert all(_close(a, b) for a, b in zip(dWs + dbs, good_W + good_b, strict=True))
    worst = max(
        np.max(np.abs(a - b)) / np.max(np.abs(a))
        for a, b in zip(dWs + dbs, bad_W + bad_b, strict=True)
        if a.shape == b.shape
    )
    assert worst > 1e-3, (mistake, worst)
    if mistake == "divide_twice":  # too small by exactly a factor of M
        assert _close(bad_W[0] * X.shape[1], dWs[0])


def test_primer_two_layer_sigmoid_network_three_ways():
    rng = np.random.default_rng(5)
    n, h, m = 3, 4, 2
    model = MLP(n, [h, m], activation="sigmoid", output_activation="sigmoid", seed=5)
    x, y = rng.normal(size=n), rng.uniform(size=m)
    # 1. the scalar engine, L = ½‖a₂ − y‖²
    out = model(list(x))
    L = 0.5 * nn.mse_loss(out, list(y), reduction="sum")
    L.backward()
    (W1, W2), (b1, b2) = _arrays(model)
    # 2. the primer's vector equations, written out here
    z1 = W1 @ x + b1[:, 0]
    a1 = 1 / (1 + np.exp(-z1))
    z2 = W2 @ a1 + b2[:, 0]
    a2 = 1 / (1 + np.exp(-z2))
    dz2 = (a2 - y) * a2 * (1 - a2)
    dz1 = (W2.T @ dz2) * a1 * (1 - a1)
    primer = {"W2": np.outer(dz2, a1), "b2": dz2, "W1": np.outer(dz1, x), "b1": dz1}
    # 3. matrix.py with a batch of one column
    _, dWs, dbs = matrix.gradients([W1, W2], [b1, b2], x[:, None], y[:, None], ["sigmoid"] * 2, "half_sse")
    engine = {
        f"{k}{i + 1}": np.array(v)
        for i, layer in enumerate(model.layers)
        for k, v in (
            ("W", [[nr.w[j].grad for j in range(nr.nin)] for nr in layer.neurons]),
            ("b", [nr.b.grad for nr in layer.neurons]),
        )
    }
    for key, ref in primer.items():
        assert np.allclose(engine[key], ref, rtol=1e-12, atol=1e-13)
    for got, key in zip(dWs + dbs, ["W1", "W2", "b1", "b2"], strict=True):
        assert np.allclose(got.reshape(primer[key].shape), primer[key], rtol=1e-12, atol=1e-13)


def test_practice_problem_5_a_linear_network_collapses_to_one_layer():
    rng = np.random.default_rng(9)
    Ws = [rng.normal(size=(4, 3)), rng.normal(size=(5, 4)), rng.normal(size=(2, 5))]
    bs = [rng.normal(size=(4, 1)), rng.normal(size=(5, 1)), rng.normal(size=(2, 1))]
    X = rng.normal(size=(3, 7))
    _, As = matrix.forward(Ws, bs, X, ["linear"] * 3)
    W_eff, b_eff = matrix.collapse_linear(Ws, bs)
    assert np.allclose(As[-1], W_eff @ X + b_eff, rtol=1e-12, atol=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown mistake"):
        matrix.backward([np.eye(2)], [np.eye(2)], [np.eye(2), np.eye(2)], np.eye(2), ["relu"], mistake="typo")
    with pytest.raises(ValueError, match="takes logits"):
        matrix.output_delta("hinge", np.eye(2), np.eye(2), np.eye(2), "sigmoid")
    with pytest.raises(ValueError, match="W is \\(2, 3\\) but its input has 2 rows"):
        matrix.forward([np.ones((2, 3))], [np.ones((2, 1))], np.ones((2, 5)), ["relu"])
