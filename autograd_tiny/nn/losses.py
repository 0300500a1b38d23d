"""Losses on lists of Values or numbers, each returning a scalar Value ready for ``backward()``.

Notation: ŷ (or s, z) the predictions, y the targets, n their number. ``reduction`` is "mean" (the
default, (1/n) Σ) or "sum" (Σ) over the elements; mismatched or empty inputs are a ValueError.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import OPS, Value, brief, finite


def _vector(x: Any, what: str) -> tuple[Value, ...]:
    """A single number or Value, or a list / tuple / 1-D array of them, as Values (errors name ``what``)."""
    if isinstance(x, Value):
        return (x,)
    if isinstance(x, Real):
        return (Value(finite(x, what)),)
    return F.as_values(x, what)


def _pair(
    preds: Any, targets: Any, name: str, arg: str, reduction: str
) -> tuple[tuple[Value, ...], list[Value | float]]:
    """Predictions as Values and targets (numbers as floats), checked non-empty and equally long.

    ``arg`` is the name of the predictions argument in ``name``'s signature (preds, probs, logits).
    """
    _check_reduction(reduction, name)
    p = _vector(preds, f"{name}: {arg}")
    t = _vector(targets, f"{name}: targets")
    if len(p) != len(t):
        raise ValueError(f"{name}: {len(p)} predictions but {len(t)} targets")
    if not p:
        raise ValueError(f"{name}: no predictions given")
    # a target given as a Value stays one (it may need a gradient); a number stays a plain float
    given = (targets,) if isinstance(targets, (Value, Real)) else tuple(targets)
    return p, [g if isinstance(g, Value) else ti.data for g, ti in zip(given, t, strict=True)]


def _check_reduction(reduction: object, name: str) -> None:
    """A TypeError or ValueError naming ``name`` unless reduction is "mean" or "sum"."""
    if not isinstance(reduction, str):
        raise TypeError(f"{name}: reduction must be 'mean' or 'sum' (a str), got {type(reduction).__name__}")
    if reduction not in ("mean", "sum"):
        raise ValueError(f"{name}: reduction must be 'mean' or 'sum', got {reduction!r}")


def _reduce(terms: list[Value], reduction: str) -> Value:
    """Σ terms or (1/n) Σ terms, as one n-ary node (``reduction`` already checked); one term is itself."""
    if len(terms) == 1:
        return terms[0]  # one example: the loss is that term, with no extra node to trace
    if reduction == "sum":
        return F.sum(terms)
    return F.sum(terms) * (1.0 / len(terms))


def mse_loss(preds: Any, targets: Any, reduction: str = "mean") -> Value:
    """Mean (or sum) of squared errors (ŷᵢ − yᵢ)²; its gradient is 2(ŷᵢ − yᵢ)/n."""
    p, t = _pair(preds, targets, "mse_loss", "preds", reduction)
    # each (ŷᵢ − yᵢ)² is one node whose local derivative is the chapter's 2(ŷᵢ − yᵢ)
    return _reduce([OPS["squared_error"](pi, ti) for pi, ti in zip(p, t, strict=True)], reduction)


def _targets01(t: list[Value | float], name: str) -> list[float]:
    """The targets' values, each checked to be a probability in [0, 1]."""
    ys = [ti.data if isinstance(ti, Value) else ti for ti in t]
    for i, y in enumerate(ys):
        if not 0.0 <= y <= 1.0:
            raise ValueError(f"{name}: targets must lie in [0, 1], got {y!r} (targets[{i}])")
    return ys


def binary_cross_entropy(probs: Any, targets: Any, reduction: str = "mean") -> Value:
    """−[y log ŷ + (1 − y) log(1 − ŷ)] for probabilities ŷ in [0, 1] and targets y in [0, 1]."""
    name = "binary_cross_entropy"
    p, t = _pair(probs, targets, name, "probs", reduction)
    ys = _targets01(t, name)
    for i, pi in enumerate(p):
        if not 0.0 <= pi.data <= 1.0:  # a logit or a score passed by mistake: its log would be wrong
            raise ValueError(
                f"{name}: probs must lie in [0, 1], got {pi.data!r} (probs[{i}]); "
                f"for raw scores (logits) use binary_cross_entropy_with_logits"
            )
    for pi, y in zip(p, ys, strict=True):
        if (pi.data == 0.0 and y > 0.0) or (pi.data == 1.0 and y < 1.0):
            raise ValueError(
                f"{name}: probability {pi.data!r} with target {y!r} has infinite loss "
                f"(use binary_cross_entropy_with_logits for saturated outputs)"
            )
    # one node per example, as the chapter writes it, with ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)); a term whose
    # weight is exactly 0 is left out, so ŷ = 1 with y = 1 costs log(1) = 0 and has slope −1
    terms = [OPS["bce"](pi, ti) for pi, ti in zip(p, t, strict=True)]
    return _reduce(terms, reduction)


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Value:
    """BCE of σ(z) computed from the logit z: softplus(z) − y·z, stable for any |z|.

    Its gradient with respect to z is σ(z) − y, the chapter's clean ŷ − y.
    """
    name = "binary_cross_entropy_with_logits"
    z, t = _pair(logits, targets, name, "logits", reduction)
    _targets01(t, name)
    # −[y log σ(z) + (1 − y) log(1 − σ(z))] = log(1 + eᶻ) − y·z, because log σ(z) = z − softplus(z)
    # and log(1 − σ(z)) = −softplus(z).
    # one node per example, with the chapter's clean local derivative ∂L/∂z = σ(z) − y
    terms = [OPS["bce_with_logits"](zi, ti) for zi, ti in zip(z, t, strict=True)]
    return _reduce(terms, reduction)


def cross_entropy(logits: Any, target_index: int) -> Value:
    """−log softmax(z)[target] = logsumexp(z) − z[target]; its gradient is softmax(z) − one-hot."""
    z = _vector(logits, "cross_entropy: logits")
    if not z:
        raise ValueError("cross_entropy: no logits given")
    # any integer, numpy's included (a label read from an int array is np.int64); not a bool or float
    if isinstance(target_index, bool) or not isinstance(target_index, Integral):
        raise TypeError(
            f"cross_entropy: target_index must be an int (the class number), "
            f"got {type(target_index).__name__}: {brief(target_index)}"
        )
    k = int(target_index)
    if not 0 <= k < len(z):
        raise ValueError(f"cross_entropy: target_index {brief(k)} is out of range for {len(z)} logits")
    # one node: L = −log softmax(z)[k], exact for logits up to ±1e300, with ∂L/∂z = softmax(z) − onehot(k)
    return OPS["cross_entropy"](z, float(k))


def hinge_loss(scores: Any, targets: Any, reduction: str = "mean") -> Value:
    """Max-margin loss max(0, 1 − y·s) for targets y = ±1 (micrograd's demo loss)."""
    s, t = _pair(scores, targets, "hinge_loss", "scores", reduction)
    for i, ti in enumerate(t):
        if (ti.data if isinstance(ti, Value) else ti) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: targets must be -1 or +1, got {ti!r} (targets[{i}])")
    return _reduce([(1 - ti * si).relu() for si, ti in zip(s, t, strict=True)], reduction)
