"""Losses on lists of Values or numbers, each returning a scalar Value ready for ``backward()``.

Notation: ŷ (or s, z) the predictions, y the targets, n their number. ``reduction`` is "mean" (the
default, (1/n) Σ) or "sum" (Σ) over the elements; mismatched or empty inputs are a ValueError.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

from autograd_tiny import functional as F
from autograd_tiny.engine import Value, _lift


def _pair(preds: Any, targets: Any, name: str) -> tuple[list[Value], list[Value | float]]:
    """Predictions as Values and targets as given, checked to be non-empty and equally long."""
    p = [preds] if isinstance(preds, (Value, Real)) else list(preds)
    t = [targets] if isinstance(targets, (Value, Real)) else list(targets)
    if len(p) != len(t):
        raise ValueError(f"{name}: {len(p)} predictions but {len(t)} targets")
    if not p:
        raise ValueError(f"{name}: no predictions given")
    return [_lift(x, name) for x in p], [x if isinstance(x, Value) else _lift(x, name).data for x in t]


def _reduce(terms: list[Value], reduction: str, name: str) -> Value:
    """Σ terms or (1/n) Σ terms, as one n-ary node."""
    if reduction == "sum":
        return F.sum(terms)
    if reduction == "mean":
        return F.sum(terms) * (1.0 / len(terms))
    raise ValueError(f"{name}: reduction must be 'mean' or 'sum', got {reduction!r}")


def mse_loss(preds: Any, targets: Any, reduction: str = "mean") -> Value:
    """Mean (or sum) of squared errors (ŷᵢ − yᵢ)²; its gradient is 2(ŷᵢ − yᵢ)/n."""
    p, t = _pair(preds, targets, "mse_loss")
    return _reduce([(pi - ti) ** 2 for pi, ti in zip(p, t, strict=True)], reduction, "mse_loss")


def _target01(t: Value | float, name: str) -> float:
    """A probability target in [0, 1]."""
    v = t.data if isinstance(t, Value) else t
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name}: targets must lie in [0, 1], got {v!r}")
    return v


def binary_cross_entropy(probs: Any, targets: Any, reduction: str = "mean") -> Value:
    """−[y log ŷ + (1 − y) log(1 − ŷ)] for probabilities ŷ in (0, 1) and targets y in [0, 1]."""
    p, t = _pair(probs, targets, "binary_cross_entropy")
    terms = []
    for pi, ti in zip(p, t, strict=True):
        y = _target01(ti, "binary_cross_entropy")
        if (pi.data <= 0.0 and y > 0.0) or (pi.data >= 1.0 and y < 1.0):
            raise ValueError(
                f"binary_cross_entropy: probability {pi.data!r} with target {y!r} has infinite loss "
                f"(use binary_cross_entropy_with_logits for saturated outputs)"
            )
        # A term whose weight is exactly 0 is left out, so ŷ = 1 with y = 1 costs log(1) = 0.
        if y == 1.0:
            terms.append(-pi.log())
        elif y == 0.0:
            terms.append(-(1 - pi).log())
        else:
            terms.append(-(ti * pi.log() + (1 - ti) * (1 - pi).log()))
    return _reduce(terms, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Value:
    """BCE of σ(z) computed from the logit z: softplus(z) − y·z, stable for any |z|.

    Its gradient with respect to z is σ(z) − y, the chapter's clean ŷ − y.
    """
    z, t = _pair(logits, targets, "binary_cross_entropy_with_logits")
    for ti in t:
        _target01(ti, "binary_cross_entropy_with_logits")
    # −[y log σ(z) + (1 − y) log(1 − σ(z))] = log(1 + eᶻ) − y·z, because log σ(z) = z − softplus(z)
    # and log(1 − σ(z)) = −softplus(z).
    terms = [zi.softplus() - ti * zi for zi, ti in zip(z, t, strict=True)]
    return _reduce(terms, reduction, "binary_cross_entropy_with_logits")


def cross_entropy(logits: Any, target_index: int) -> Value:
    """−log softmax(z)[target] = logsumexp(z) − z[target]; its gradient is softmax(z) − one-hot."""
    z = [_lift(x, "cross_entropy") for x in ([logits] if isinstance(logits, (Value, Real)) else logits)]
    if not z:
        raise ValueError("cross_entropy: no logits given")
    if isinstance(target_index, bool) or not isinstance(target_index, int):
        raise TypeError(f"cross_entropy: target_index must be an int, got {target_index!r}")
    if not 0 <= target_index < len(z):
        raise ValueError(f"cross_entropy: target_index {target_index} is out of range for {len(z)} logits")
    return F.logsumexp(z) - z[target_index]


def hinge_loss(scores: Any, targets: Any, reduction: str = "mean") -> Value:
    """Max-margin loss max(0, 1 − y·s) for targets y = ±1 (micrograd's demo loss)."""
    s, t = _pair(scores, targets, "hinge_loss")
    for ti in t:
        if (ti.data if isinstance(ti, Value) else ti) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: targets must be -1 or +1, got {ti!r}")
    return _reduce([(1 - ti * si).relu() for si, ti in zip(s, t, strict=True)], reduction, "hinge_loss")
