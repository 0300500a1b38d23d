"""n-ary and vector helpers on lists of Values: ``sum``, ``dot``, ``affine``, ``logsumexp``,
``log_softmax``, ``softmax``.

A vector here is a list of Values (or numbers, which become constant leaves). ``sum``, ``dot``,
``affine`` and ``logsumexp`` each make ONE node with many parents, stating its local derivatives
all at once, instead of a chain of binary + and * nodes:

    sum:        y = Σᵢ uᵢ                 ∂y/∂uᵢ = 1
    dot:        y = Σᵢ wᵢ xᵢ              ∂y/∂wᵢ = xᵢ,   ∂y/∂xᵢ = wᵢ
    affine:     z = Σᵢ wᵢ xᵢ + b          ∂z/∂wᵢ = xᵢ,   ∂z/∂xᵢ = wᵢ,   ∂z/∂b = 1
    logsumexp:  y = log Σᵢ e^uᵢ           ∂y/∂uᵢ = e^(uᵢ − y) = softmax(u)ᵢ

That is the chapter's own granularity (z = w·x + b is one step of the forward pass), and it makes
graphs several times smaller than micrograd's, which is most of why training is fast.
"""

from __future__ import annotations

from collections.abc import Sequence

from autograd_tiny.engine import OPS, Number, Value, lift

Vector = Sequence[Value | Number]


def _values(xs: Vector, what: str) -> tuple[Value, ...]:
    """A sequence of Values or numbers as a tuple of Values (numbers become constant leaves)."""
    if isinstance(xs, (Value, str, bytes)) or not hasattr(xs, "__len__"):
        raise TypeError(f"{what} must be a list of Values or numbers, got {type(xs).__name__}")
    vs = tuple(xs)
    for v in vs:  # usually all are Values already: then the tuple is used as it is
        if type(v) is not Value:
            return tuple(lift(x, what) for x in vs)
    return vs


def _same_length(a: Sequence, b: Sequence, what: str) -> None:
    """Raise a ValueError naming ``what`` unless a and b have the same length."""
    if len(a) != len(b):
        raise ValueError(f"{what}: lengths differ ({len(a)} and {len(b)})")


def sum(xs: Vector) -> Value:  # shadows the builtin on purpose: read it as F.sum
    """Σᵢ xᵢ as one node (an empty list gives a constant 0)."""
    us = _values(xs, "sum")
    return OPS["sum"](us) if us else Value(0.0)


def dot(ws: Vector, xs: Vector) -> Value:
    """Σᵢ wᵢ xᵢ as one node."""
    w, x = _values(ws, "dot"), _values(xs, "dot")
    _same_length(w, x, "dot")
    return OPS["dot"](w, x)


def affine(ws: Vector, xs: Vector, b: Value | Number) -> Value:
    """z = w·x + b as one node: a neuron's pre-activation."""
    w, x = _values(ws, "affine"), _values(xs, "affine")
    _same_length(w, x, "affine")
    return OPS["affine"](w, x, lift(b, "affine"))


def logsumexp(xs: Vector) -> Value:
    """log Σᵢ e^xᵢ as one node, exact for logits of any size (no overflow, no log of 0)."""
    us = _values(xs, "logsumexp")
    if not us:
        raise ValueError("logsumexp of an empty list is -inf: pass at least one value")
    return OPS["logsumexp"](us)


def log_softmax(xs: Vector) -> list[Value]:
    """log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ e^(xⱼ − m), with m = max x, exact for logits of any size.

    Shifting by the constant m changes nothing mathematically (softmax is shift-invariant, so the
    gradients are the same), but it keeps every number small: at x = [1e16, 1e16], xᵢ − logsumexp(x)
    would round to 0 instead of −log 2.
    """
    us = _values(xs, "log_softmax")
    if not us:
        raise ValueError("log_softmax of an empty list: pass at least one value")
    m = max(u.data for u in us)
    shifted = [u - m for u in us]
    lse = logsumexp(shifted)
    return [s - lse for s in shifted]


def softmax(xs: Vector) -> list[Value]:
    """softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ, computed as exp(log_softmax(x)ᵢ) so nothing overflows."""
    return [ls.exp() for ls in log_softmax(xs)]
