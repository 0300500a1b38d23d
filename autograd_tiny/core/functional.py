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

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from numbers import Real

from autograd_tiny.core.engine import OPS, Number, Value, brief, finite, lift
from autograd_tiny.core.floats import refuse_operands

Vector = Sequence[Value | Number]


def as_values(xs: Vector, what: str) -> tuple[Value, ...]:
    """A sequence of Values or numbers as a tuple of Values (numbers become constant leaves).

    ``what`` names the argument in error messages ("dot: xs"). A list, a tuple, a 1-D numpy array
    or another sized, ordered collection is a vector. Refused with a TypeError: a single number or
    Value, a str, a dict (it would give its keys), a set (it has no order), a generator (it has no
    length: pass a list) and anything else that is not a collection of numbers.
    """
    if type(xs) is not list and type(xs) is not tuple:  # the usual case skips every check below
        _check_vector(xs, what)
    vs = tuple(xs)
    for v in vs:  # usually all are Values already (constants too): then the tuple is used as it is
        if type(v) is not Value and not isinstance(v, Value):
            return tuple(_lifted(vs, what))
    return vs


def _lifted(vs: tuple[object, ...], what: str) -> list[Value]:
    """Each element as a Value: a number becomes a constant leaf; an error names its index."""
    out = []
    for i, v in enumerate(vs):
        try:
            out.append(lift(v, what))  # a Value as it is, a number as a Constant
        except (TypeError, ValueError, OverflowError):
            finite(v, f"{what}[{i}]")  # the same error, naming the element
            raise
    return out


def _check_vector(xs: object, what: str) -> None:
    """A TypeError naming ``what`` unless xs is a sized, ordered collection (a list, tuple, 1-D array)."""
    got = f"{what} must be a list of Values or numbers, got {type(xs).__name__}"
    if isinstance(xs, (Value, Real)):
        raise TypeError(f"{got}: {brief(xs)} (wrap a single number in a list)")
    if isinstance(xs, (str, bytes)):
        raise TypeError(f"{got}: {brief(xs)} (a string is not a list of numbers)")
    if isinstance(xs, Mapping):
        raise TypeError(f"{got} (it would give its keys: pass list(d.values()) in the order you mean)")
    if isinstance(xs, AbstractSet):
        raise TypeError(f"{got} (a set has no order: pass a list)")
    if hasattr(xs, "named_parameters"):  # an nn.Module
        raise TypeError(f"{got} (a model: pass its outputs, model(x), instead)")
    if not (hasattr(xs, "__len__") and hasattr(xs, "__iter__")):
        raise TypeError(f"{got} (it has no length: pass a list)" if hasattr(xs, "__iter__") else got)
    if getattr(xs, "ndim", 1) != 1:  # a numpy array must be 1-D: the rows of a matrix are not numbers
        shape = getattr(xs, "shape", "?")
        raise TypeError(f"{what} must be a 1-D list of Values or numbers, got an array of shape {shape}")


def _leaf(x: object, what: str, i: int | None = None) -> Value:
    """The number x (xs[i]) as a constant leaf, or an error naming the argument (and the index)."""
    return lift(finite(x, what if i is None else f"{what}[{i}]"), what)


def _same_length(a: Sequence, b: Sequence, what: str) -> None:
    """Raise a ValueError naming ``what`` unless a and b have the same length."""
    if len(a) != len(b):
        raise ValueError(f"{what}: lengths differ ({len(a)} and {len(b)})")


def sum(xs: Vector) -> Value:  # shadows the builtin on purpose: read it as F.sum
    """Σᵢ xᵢ as one node (an empty list gives a constant 0)."""
    us = as_values(xs, "sum: xs")
    return OPS["sum"](us) if us else Value(0.0)


def dot(ws: Vector, xs: Vector) -> Value:
    """Σᵢ wᵢ xᵢ as one node."""
    w, x = as_values(ws, "dot: ws"), as_values(xs, "dot: xs")
    _same_length(w, x, "dot: ws and xs")
    return OPS["dot"](w, x)


def affine(ws: Vector, xs: Vector, b: Value | Number) -> Value:
    """z = w·x + b as one node: a neuron's pre-activation."""
    w, x = as_values(ws, "affine: ws"), as_values(xs, "affine: xs")
    bias = b if isinstance(b, Value) else _leaf(b, "affine: b")
    _same_length(w, x, "affine: ws and xs")
    return OPS["affine"](w, x, bias)


def logsumexp(xs: Vector) -> Value:
    """log Σᵢ e^xᵢ as one node, exact for logits of any size (no overflow, no log of 0)."""
    us = as_values(xs, "logsumexp: xs")
    if not us:
        raise ValueError("logsumexp of an empty list is -inf: pass at least one value")
    return OPS["logsumexp"](us)


def log_softmax(xs: Vector) -> list[Value]:
    """log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ e^(xⱼ − m), with m = max x, exact for logits of any size.

    Shifting by the constant m changes nothing mathematically (softmax is shift-invariant, so the
    gradients are the same), but it keeps every number small: at x = [1e16, 1e16], xᵢ − logsumexp(x)
    would round to 0 instead of −log 2.
    """
    us = as_values(xs, "log_softmax: xs")
    if not us:
        raise ValueError("log_softmax of an empty list: pass at least one value")
    m = max(u.data for u in us)
    if m - m:  # inf or NaN: only a .data set by hand holds one (a NaN elsewhere is refused by u − m)
        refuse_operands("log_softmax", us)
    shifted = [u - m for u in us]
    lse = logsumexp(shifted)
    return [s - lse for s in shifted]


def softmax(xs: Vector) -> list[Value]:
    """softmax(x)ᵢ = e^xᵢ / Σⱼ e^xⱼ, computed as exp(log_softmax(x)ᵢ) so nothing overflows."""
    return [ls.exp() for ls in log_softmax(xs)]
