"""Test-only helpers: an independent central-difference oracle, written without the engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence


def central_difference(f: Callable[..., float], xs: Sequence[float], i: int, eps: float = 1e-6) -> float:
    """[f(x + ε eᵢ) − f(x − ε eᵢ)] / 2ε, evaluating ``f`` on plain floats."""
    hi = list(xs)
    lo = list(xs)
    hi[i] += eps
    lo[i] -= eps
    return (f(*hi) - f(*lo)) / (2 * eps)


def rel_err(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|, 1e-12): the chapter's relative error."""
    return abs(a - b) / max(abs(a), abs(b), 1e-12)
