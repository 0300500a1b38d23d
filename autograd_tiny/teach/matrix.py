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

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet

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


def _act(name: object, what: str = "activation") -> tuple:
    """(f, f′) for an activation name, or a TypeError / ValueError listing the choices."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be one of {sorted(ACTIVATIONS)} (a str), got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


# ------------------------------------------------------------------------------------------------
# Checking the inputs: every shape below must agree with the convention above, or a clear error.
# ------------------------------------------------------------------------------------------------


def _array(a: object, what: str) -> Array:
    """``a`` as a float array: a TypeError if it does not hold real numbers, a ValueError if NaN/inf."""
    if a is None or isinstance(a, (str, bytes, Mapping, AbstractSet)):
        raise TypeError(f"{what} must be a numpy array of numbers, got {type(a).__name__}")
    try:
        arr = np.asarray(a)
    except ValueError:  # nested lists of different lengths
        raise ValueError(f"{what} is ragged: its rows have different lengths") from None
    if arr.dtype.kind not in "iuf":  # ints and floats; not bools, complex numbers, strings or objects
        raise TypeError(f"{what} must hold real numbers, got {type(a).__name__} of dtype {arr.dtype}")
    arr = arr.astype(float)
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} holds NaN or inf")
    return arr


def _matrix(a: object, what: str, shape: tuple[int | None, int | None] = (None, None)) -> Array:
    """``a`` as a 2-D float array; ``shape`` entries that are not None must match exactly."""
    arr = _array(a, what)
    if arr.ndim != 2:
        hint = ": for one example x use x.reshape(-1, 1), a column" if arr.ndim == 1 else ""
        raise ValueError(f"{what} must be a 2-D array (rows × columns), got shape {arr.shape}{hint}")
    if any(want is not None and got != want for got, want in zip(arr.shape, shape, strict=True)):
        want = " × ".join("any" if n is None else str(n) for n in shape)
        raise ValueError(f"{what} must be {want}, got shape {arr.shape}")
    return arr


def _per_layer(xs: object, what: str) -> list:
    """A list or tuple with one entry per layer, or a TypeError naming ``what``."""
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{what} must be a list with one entry per layer, got {type(xs).__name__}")
    return list(xs)


def _weights(weights: object, who: str, n_in: int | None = None) -> list[Array]:
    """W⁽¹⁾ … W⁽ᴸ⁾ as 2-D arrays that chain: each has as many columns as the one before has rows."""
    Ws = _per_layer(weights, f"{who}: weights")
    if not Ws:
        raise ValueError(f"{who}: weights is empty: give one weight matrix per layer")
    Ws = [_matrix(W, f"{who}: weights[{i}]") for i, W in enumerate(Ws)]
    for i, W in enumerate(Ws):
        rows = n_in if i == 0 else Ws[i - 1].shape[0]  # n_{ℓ−1}: the rows of the layer's input
        if rows is not None and W.shape[1] != rows:
            raise ValueError(
                f"{who}: W is {W.shape} but its input has {rows} rows "
                f"(weights[{i}] needs one column per {'row of X' if i == 0 else f'row of weights[{i - 1}]'})"
            )
    return Ws


def _biases(biases: object, Ws: list[Array], who: str) -> list[Array]:
    """b⁽ℓ⁾ as n_ℓ × 1 columns (a 1-D b of length n_ℓ is accepted), one per weight matrix."""
    bs = _per_layer(biases, f"{who}: biases")
    if len(bs) != len(Ws):
        raise ValueError(f"{who}: {len(Ws)} weight matrices but {len(bs)} biases: give one of each per layer")
    out = []
    for i, (b, W) in enumerate(zip(bs, Ws, strict=True)):
        arr, n = _array(b, f"{who}: biases[{i}]"), W.shape[0]
        if arr.shape not in ((n,), (n, 1)):
            raise ValueError(
                f"{who}: biases[{i}] must have {n} entries, one per row of weights[{i}] (shape ({n},) or "
                f"({n}, 1)), got shape {arr.shape}"
            )
        out.append(arr.reshape(n, 1))
    return out


def _activations(activations: object, L: int, who: str) -> list[str]:
    """One known activation name per layer."""
    acts = _per_layer(activations, f"{who}: activations")
    if len(acts) != L:
        raise ValueError(
            f"{who}: {L} weight matrices but {len(acts)} activations: give one of each per layer"
        )
    for i, a in enumerate(acts):
        _act(a, f"{who}: activations[{i}]")
    return acts


def _loss(loss: object) -> str:
    """A known loss name."""
    if not isinstance(loss, str):
        raise TypeError(f"loss must be one of {LOSSES} (a str), got {type(loss).__name__}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: choose one of {LOSSES}")
    return loss


def _outputs(loss: str, Z: object, A: object, Y: object, who: str) -> tuple[Array, Array, Array]:
    """Z, A and Y as n_L × M arrays of one shape, Y holding what ``loss`` needs."""
    Z = _matrix(Z, f"{who}: Z")
    A = _matrix(A, f"{who}: A", Z.shape)
    Y = _matrix(Y, f"{who}: Y (the targets, shaped like the output: n_L × M)", Z.shape)
    if loss == "bce" and not ((A >= 0) & (A <= 1)).all():
        raise ValueError(
            f"{who}: bce needs probabilities A in [0, 1]: use a sigmoid output (or bce_with_logits)"
        )
    if loss in ("bce", "bce_with_logits") and not ((Y >= 0) & (Y <= 1)).all():
        raise ValueError(f"{who}: {loss} needs targets Y in [0, 1]")
    if loss == "hinge" and not np.isin(Y, (-1.0, 1.0)).all():
        raise ValueError(f"{who}: hinge needs targets Y of -1 or +1")
    # softmax(z) − y is the gradient of logsumexp(z) − y·z only when the y of each example sum to 1
    if loss == "cross_entropy" and ((Y < 0).any() or not np.allclose(Y.sum(axis=0), 1.0, rtol=0, atol=1e-9)):
        raise ValueError(f"{who}: cross_entropy needs each column of Y to be a probability vector (one-hot)")
    return Z, A, Y


def forward(
    weights: Sequence[Array], biases: Sequence[Array], X: Array, activations: Sequence[str]
) -> tuple[list[Array], list[Array]]:
    """Z⁽ℓ⁾ and A⁽ℓ⁾ for ℓ = 1 … L (As[0] is X itself); X is n₀ × M, biases n_ℓ × 1."""
    A = _matrix(X, "forward: X (n₀ × M, one example per column)")
    Ws = _weights(weights, "forward", n_in=A.shape[0])
    bs = _biases(biases, Ws, "forward")
    acts = _activations(activations, len(Ws), "forward")
    Zs, As = [], [A]
    for W, b, act in zip(Ws, bs, acts, strict=True):
        Z = W @ A + b  # (n_ℓ × n_{ℓ−1})(n_{ℓ−1} × M) + (n_ℓ × 1) → n_ℓ × M
        A = _act(act)[0](Z)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def _mistake(mistake: object) -> None:
    """None or one of the MISTAKES."""
    if mistake is not None and not isinstance(mistake, str):
        raise TypeError(f"mistake must be None or one of {MISTAKES}, got {type(mistake).__name__}")
    if mistake is not None and mistake not in MISTAKES:
        raise ValueError(f"unknown mistake {mistake!r}: choose one of {MISTAKES}")


def loss_value(loss: str, Z: Array, A: Array, Y: Array) -> float:
    """The batch-averaged loss (1/M) Σₘ Lₘ, each Lₘ averaged over the n_L outputs (half_sse summed).

    Y is n_L × M (0/1 for bce, ±1 for hinge, one-hot for cross_entropy).
    """
    Z, A, Y = _outputs(_loss(loss), Z, A, Y, "loss_value")
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
    _loss(loss)
    f_prime = _act(activation, "output_delta: activation")[1]
    if loss in ("bce_with_logits", "cross_entropy", "hinge") and activation != "linear":
        raise ValueError(f"{loss} takes logits: use a linear output activation")
    Z, A, Y = _outputs(loss, Z, A, Y, "output_delta")
    n = A.shape[0]
    fprime = f_prime(Z)
    if loss == "mse":
        return 2.0 * (A - Y) / n * fprime  # ∂/∂a of (1/n) Σ (a − y)² is 2(a − y)/n
    if loss == "half_sse":
        return (A - Y) * fprime  # the primer: (a₂ − y) ⊙ σ′(z₂) = (a₂ − y) ⊙ a₂ ⊙ (1 − a₂)
    if loss == "bce":
        return (A - Y) / (A * (1 - A)) / n * fprime  # with a sigmoid output this is (a − y)/n
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
    _mistake(mistake)
    weights = _weights(weights, "backward")
    L = len(weights)
    activations = _activations(activations, L, "backward")
    Zs, As = _per_layer(Zs, "backward: Zs"), _per_layer(As, "backward: As")
    if len(Zs) != L or len(As) != L + 1:
        raise ValueError(
            f"backward: {L} weight matrices need {L} Zs and {L + 1} As (X first), got {len(Zs)} and {len(As)}"
        )
    n = [weights[0].shape[1]] + [W.shape[0] for W in weights]  # n₀, n₁, …, n_L
    M = _matrix(As[0], "backward: As[0]").shape[1]
    As = [_matrix(A, f"backward: As[{i}]", (n[i], M)) for i, A in enumerate(As)]  # A⁽ⁱ⁾: nᵢ × M
    Zs = [_matrix(Z, f"backward: Zs[{i}]", (n[i + 1], M)) for i, Z in enumerate(Zs)]  # Z⁽ⁱ⁺¹⁾
    delta = _matrix(delta_L, "backward: delta_L (shaped like Zs[-1])", Zs[-1].shape)
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
    _loss(loss)  # the names first: a typo is reported before any arithmetic
    _mistake(mistake)
    Zs, As = forward(weights, biases, X, activations)
    delta_L = output_delta(loss, Zs[-1], As[-1], Y, activations[-1])
    dWs, dbs = backward(weights, Zs, As, delta_L, activations, mistake)
    return loss_value(loss, Zs[-1], As[-1], Y), dWs, dbs


def collapse_linear(weights: Sequence[Array], biases: Sequence[Array]) -> tuple[Array, Array]:
    """Practice Problem 5: with linear activations the network is one layer ŷ = W_eff x + b_eff.

    W_eff = W⁽ᴸ⁾ ⋯ W⁽¹⁾ and b_eff = W⁽ᴸ⁾(⋯(W⁽²⁾b⁽¹⁾ + b⁽²⁾)⋯) + b⁽ᴸ⁾.
    """
    Ws = _weights(weights, "collapse_linear")
    bs = _biases(biases, Ws, "collapse_linear")
    W_eff = np.eye(Ws[0].shape[1])
    b_eff = np.zeros((Ws[0].shape[1], 1))
    for W, b in zip(Ws, bs, strict=True):
        W_eff = W @ W_eff
        b_eff = W @ b_eff + b
    return W_eff, b_eff
