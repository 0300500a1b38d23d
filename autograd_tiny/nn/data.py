"""Small synthetic 2-D data sets, made locally with a seeded numpy generator (no downloads).

Each returns ``(X, y)``: X an (n_samples, 2) float array, y an (n_samples,) int array of class
labels 0, 1, …; ``noise`` is the standard deviation of Gaussian jitter added to X.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from autograd_tiny.core.engine import brief

MAX_SAMPLES = 10_000_000  # 160 MB of points; a scalar engine would take days to train on more


def _integer(n: object, what: str, minimum: int, maximum: int = MAX_SAMPLES) -> int:
    """An int (a numpy integer too, not a bool or a float such as 100.0) in [minimum, maximum]."""
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"{what} must be an integer >= {minimum}, got {type(n).__name__}: {brief(n)}")
    if not minimum <= n <= maximum:
        raise ValueError(f"{what} must be an integer from {minimum} to {maximum:,}, got {brief(n)}")
    return int(n)


def _number(x: object, what: str) -> float:
    """A real number (a numpy one too) as a float: a TypeError otherwise, a ValueError if NaN or infinite."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {brief(x)}")
    try:
        f = float(x)
    except OverflowError:  # an int beyond the largest float
        raise ValueError(f"{what} must be finite, got {brief(x, 30)}") from None
    if not math.isfinite(f):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return f


def _check(n_samples: int, noise: float, min_samples: int = 2) -> tuple[int, float]:
    """n_samples and noise, checked: clear errors for a bad sample count or noise level."""
    n = _integer(n_samples, "n_samples", min_samples)
    sigma = _number(noise, "noise")
    if sigma < 0:
        raise ValueError(f"noise must be a finite number >= 0 (a standard deviation), got {noise!r}")
    return n, sigma


def _rng(seed: object) -> np.random.Generator:
    """numpy's generator for ``seed``: None (fresh entropy) or an integer >= 0, as numpy requires."""
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, Integral):
            raise TypeError(f"seed must be None or an integer >= 0, got {type(seed).__name__}: {brief(seed)}")
        if seed < 0:
            raise ValueError(f"seed must be None or an integer >= 0, got {brief(seed)}")
        seed = int(seed)
    return np.random.default_rng(seed)


def _split(n: int, k: int) -> list[int]:
    """n samples shared as evenly as possible among k classes (the first classes get the rest)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 the upper arc, class 1 the lower arc shifted right."""
    n_samples, noise = _check(n_samples, noise)
    rng = _rng(seed)
    n0, n1 = _split(n_samples, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    upper = np.column_stack([np.cos(t0), np.sin(t0)])
    lower = np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])
    X = np.vstack([upper, lower]) + rng.normal(0.0, noise, (n_samples, 2))
    y = np.repeat([0, 1], [n0, n1])
    return _shuffle(rng, X, y)


def make_circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1)."""
    n_samples, noise = _check(n_samples, noise)
    if not 0 < _number(factor, "factor") < 1:
        raise ValueError(f"factor must lie in (0, 1), got {factor!r}")
    factor = float(factor)
    rng = _rng(seed)
    n0, n1 = _split(n_samples, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.vstack(
        [np.column_stack([np.cos(t0), np.sin(t0)]), factor * np.column_stack([np.cos(t1), np.sin(t1)])]
    )
    X = X + rng.normal(0.0, noise, X.shape)
    return _shuffle(rng, X, np.repeat([0, 1], [n0, n1]))


def make_xor(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Points near the four corners (±1, ±1): class 1 where the signs differ (x₁·x₂ < 0)."""
    n_samples, noise = _check(n_samples, noise, min_samples=4)
    rng = _rng(seed)
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    which = np.arange(n_samples) % 4
    X = corners[which] + rng.normal(0.0, noise, (n_samples, 2))
    y = (which >= 2).astype(int)
    return _shuffle(rng, X, y)


def make_spirals(
    n_samples: int = 100, noise: float = 0.1, n_classes: int = 2, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms, one class per arm, radius growing from 0 to 1."""
    n_classes = _integer(n_classes, "n_classes", 2, maximum=1000)
    n_samples, noise = _check(n_samples, noise, min_samples=n_classes)
    rng = _rng(seed)
    parts_X, parts_y = [], []
    for k, n in enumerate(_split(n_samples, n_classes)):
        r = np.linspace(0.05, 1.0, n)
        theta = 3.5 * r * np.pi + 2 * np.pi * k / n_classes  # 1.75 turns per arm, arms evenly spaced
        parts_X.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        parts_y.append(np.full(n, k))
    X = np.vstack(parts_X) + rng.normal(0.0, noise, (n_samples, 2))
    return _shuffle(rng, X, np.concatenate(parts_y))


def _shuffle(rng: np.random.Generator, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X and y in one random order (the same generator, so the same seed gives the same order)."""
    order = rng.permutation(len(y))
    return X[order].astype(float), y[order].astype(int)
