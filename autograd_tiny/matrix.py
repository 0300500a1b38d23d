"""The seeds' batched backpropagation equations in numpy: an independent reference for the engine.

Convention (the chapter's): a batch of M examples is stored in COLUMNS. For layer ℓ = 1 … L

    X = A⁽⁰⁾            n₀ × M
    W⁽ℓ⁾                n_ℓ × n_{ℓ−1}
    b⁽ℓ⁾                n_ℓ × 1        (broadcast across the M columns)
    Z⁽ℓ⁾ = W⁽ℓ⁾A⁽ℓ⁻¹⁾ + b⁽ℓ⁾,   A⁽ℓ⁾ = f_ℓ(Z⁽ℓ⁾)     n_ℓ × M

The loss is the batch average L = (1/M) Σₘ Lₘ. Backward, with Δ⁽ℓ⁾ holding the per-example errors
δₘ = ∂Lₘ/∂z⁽ℓ⁾ as columns (NOT yet divided by M):

    Δ⁽ᴸ⁾ = ∂Lₘ/∂a⁽ᴸ⁾ ⊙ f′_L(Z⁽ᴸ⁾)                   (output error, per example)
    Δ⁽ℓ⁾ = (W⁽ℓ⁺¹⁾ᵀ Δ⁽ℓ⁺¹⁾) ⊙ f′_ℓ(Z⁽ℓ⁾)             (the recurrence)
    ∂L/∂W⁽ℓ⁾ = (1/M) Δ⁽ℓ⁾ A⁽ℓ⁻¹⁾ᵀ                     (outer products, averaged: divide by M ONCE)
    ∂L/∂b⁽ℓ⁾ = (1/M) Σₘ δₘ⁽ℓ⁾                          (summed over the batch)

``backward(..., mistake=...)`` reproduces each of the chapter's pitfalls on purpose, for teaching.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Array = np.ndarray


def _sigmoid(z: Array) -> Array:
    """σ(z), without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# name: (f, f′) elementwise; ReLU′(0) = 0
ACTIVATIONS = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1.0 - _sigmoid(z))),
    "linear": (lambda z: z, lambda z: np.ones_like(z)),
}
LOSSES = ("mse", "half_sse", "bce", "bce_with_logits", "cross_entropy", "hinge")
MISTAKES = ("forget_fprime", "transposed_outer", "bias_not_summed", "divide_twice")


def _act(name: str) -> tuple:
    """(f, f′) for an activation name, or a ValueError listing the choices."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def forward(
    weights: Sequence[Array], biases: Sequence[Array], X: Array, activations: Sequence[str]
) -> tuple[list[Array], list[Array]]:
    """Z⁽ℓ⁾ and A⁽ℓ⁾ for ℓ = 1 … L (As[0] is X itself); X is n₀ × M, biases n_ℓ × 1."""
    if not len(weights) == len(biases) == len(activations):
        raise ValueError("forward: need one weight matrix, bias and activation per layer")
    A = np.asarray(X, dtype=float)
    Zs, As = [], [A]
    for W, b, act in zip(weights, biases, activations, strict=True):
        if W.shape[1] != A.shape[0]:
            raise ValueError(f"forward: W is {W.shape} but its input has {A.shape[0]} rows")
        Z = W @ A + np.reshape(b, (-1, 1))  # (n_ℓ × n_{ℓ−1})(n_{ℓ−1} × M) + (n_ℓ × 1) → n_ℓ × M
        A = _act(act)[0](Z)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def loss_value(loss: str, Z: Array, A: Array, Y: Array) -> float:
    """The batch-averaged loss (1/M) Σₘ Lₘ, each Lₘ averaged over the n_L outputs (half_sse summed).

    Y is n_L × M (0/1 for bce, ±1 for hinge, one-hot for cross_entropy).
    """
    M = A.shape[1]
    if loss == "mse":
        per = np.mean((A - Y) ** 2, axis=0)
    elif loss == "half_sse":
        per = 0.5 * np.sum((A - Y) ** 2, axis=0)
    elif loss == "bce":
        per = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=0)
    elif loss == "bce_with_logits":
        per = np.mean(np.logaddexp(0.0, Z) - Y * Z, axis=0)
    elif loss == "cross_entropy":
        m = Z.max(axis=0)
        lse = m + np.log(np.sum(np.exp(Z - m), axis=0))
        per = lse - np.sum(Y * Z, axis=0)
    elif loss == "hinge":
        per = np.mean(np.maximum(0.0, 1 - Y * Z), axis=0)
    else:
        raise ValueError(f"unknown loss {loss!r}: choose one of {LOSSES}")
    return float(np.sum(per) / M)


def output_delta(loss: str, Z: Array, A: Array, Y: Array, activation: str) -> Array:
    """Δ⁽ᴸ⁾: the per-example output errors ∂Lₘ/∂z⁽ᴸ⁾ as columns (n_L × M), not divided by M."""
    n = A.shape[0]
    fprime = _act(activation)[1](Z)
    if loss == "mse":
        return 2.0 * (A - Y) / n * fprime  # ∂/∂a of (1/n) Σ (a − y)² is 2(a − y)/n
    if loss == "half_sse":
        return (A - Y) * fprime  # the primer: (a₂ − y) ⊙ σ′(z₂) = (a₂ − y) ⊙ a₂ ⊙ (1 − a₂)
    if loss == "bce":
        return (A - Y) / (A * (1 - A)) / n * fprime  # with a sigmoid output this is (a − y)/n
    if loss in ("bce_with_logits", "cross_entropy", "hinge") and activation != "linear":
        raise ValueError(f"{loss} takes logits: use a linear output activation")
    if loss == "bce_with_logits":
        return (_sigmoid(Z) - Y) / n  # the clean σ(z) − y
    if loss == "cross_entropy":
        e = np.exp(Z - Z.max(axis=0))
        return e / e.sum(axis=0) - Y  # softmax(z) − one-hot
    if loss == "hinge":
        return -Y * (1 - Y * Z > 0) / n  # ∂ max(0, 1 − yz)/∂z = −y where the margin is violated
    raise ValueError(f"unknown loss {loss!r}: choose one of {LOSSES}")


def backward(
    weights: Sequence[Array],
    Zs: Sequence[Array],
    As: Sequence[Array],
    delta_L: Array,
    activations: Sequence[str],
    mistake: str | None = None,
) -> tuple[list[Array], list[Array]]:
    """∂L/∂W⁽ℓ⁾ (n_ℓ × n_{ℓ−1}) and ∂L/∂b⁽ℓ⁾ (n_ℓ × 1) for ℓ = 1 … L, from Δ⁽ᴸ⁾.

    ``mistake`` deliberately commits one of the chapter's pitfalls: "forget_fprime" (drop ⊙ f′ in
    the recurrence), "transposed_outer" (A δᵀ instead of δ Aᵀ), "bias_not_summed" (one example's
    δ instead of the batch sum) or "divide_twice" (divide by M in Δ and again in ∂L/∂W, ∂L/∂b).
    """
    if mistake is not None and mistake not in MISTAKES:
        raise ValueError(f"unknown mistake {mistake!r}: choose one of {MISTAKES}")
    M = As[0].shape[1]
    L = len(weights)
    delta = np.asarray(delta_L, dtype=float)
    if mistake == "divide_twice":
        delta = delta / M  # "the gradient flowing in is already divided by M" ... and again below
    dWs: list[Array] = [np.empty(0)] * L
    dbs: list[Array] = [np.empty(0)] * L
    for ell in range(L, 0, -1):  # ℓ = L … 1; python index i = ℓ − 1
        i = ell - 1
        A_prev = As[i]  # A⁽ℓ⁻¹⁾, n_{ℓ−1} × M
        if mistake == "transposed_outer":
            dWs[i] = A_prev @ delta.T / M  # wrong: n_{ℓ−1} × n_ℓ
        else:
            dWs[i] = delta @ A_prev.T / M  # (n_ℓ × M)(M × n_{ℓ−1}) = n_ℓ × n_{ℓ−1}, like W
        if mistake == "bias_not_summed":
            dbs[i] = delta[:, :1] / M  # wrong: one example's δ only
        else:
            dbs[i] = delta.sum(axis=1, keepdims=True) / M  # Σ over the batch columns
        if ell > 1:
            back = weights[i].T @ delta  # W⁽ℓ⁾ᵀ Δ⁽ℓ⁾: n_{ℓ−1} × M
            fprime = _act(activations[i - 1])[1](Zs[i - 1])
            delta = back if mistake == "forget_fprime" else back * fprime
    return dWs, dbs


def gradients(
    weights: Sequence[Array],
    biases: Sequence[Array],
    X: Array,
    Y: Array,
    activations: Sequence[str],
    loss: str,
    mistake: str | None = None,
) -> tuple[float, list[Array], list[Array]]:
    """The loss and its gradients for a whole batch: forward, output error, backward."""
    Zs, As = forward(weights, biases, X, activations)
    delta_L = output_delta(loss, Zs[-1], As[-1], Y, activations[-1])
    dWs, dbs = backward(weights, Zs, As, delta_L, activations, mistake)
    return loss_value(loss, Zs[-1], As[-1], Y), dWs, dbs


def collapse_linear(weights: Sequence[Array], biases: Sequence[Array]) -> tuple[Array, Array]:
    """Practice Problem 5: with linear activations the network is one layer ŷ = W_eff x + b_eff.

    W_eff = W⁽ᴸ⁾ ⋯ W⁽¹⁾ and b_eff = W⁽ᴸ⁾(⋯(W⁽²⁾b⁽¹⁾ + b⁽²⁾)⋯) + b⁽ᴸ⁾.
    """
    W_eff = np.eye(weights[0].shape[1])
    b_eff = np.zeros((weights[0].shape[1], 1))
    for W, b in zip(weights, biases, strict=True):
        W_eff = W @ W_eff
        b_eff = W @ b_eff + np.reshape(b, (-1, 1))
    return W_eff, b_eff
