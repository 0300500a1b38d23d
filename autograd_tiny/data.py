"""Small synthetic 2-D data sets, made locally with a seeded numpy generator (no downloads).

Each returns ``(X, y)``: X an (n_samples, 2) float array, y an (n_samples,) int array of class
labels 0, 1, …; ``noise`` is the standard deviation of Gaussian jitter added to X.
"""

from __future__ import annotations

import math

import numpy as np


def _check(n_samples: int, noise: float, min_samples: int = 2) -> None:
    """Clear errors for a bad sample count or noise level."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < min_samples:
        raise ValueError(f"n_samples must be an integer >= {min_samples}, got {n_samples!r}")
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not (0 <= noise < math.inf):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")


def _split(n: int, k: int) -> list[int]:
    """n samples shared as evenly as possible among k classes (the first classes get the rest)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 the upper arc, class 1 the lower arc shifted right."""
    _check(n_samples, noise)
    rng = np.random.default_rng(seed)
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
    _check(n_samples, noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor must lie in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
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
    _check(n_samples, noise, min_samples=4)
    rng = np.random.default_rng(seed)
    corners = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float)
    which = np.arange(n_samples) % 4
    X = corners[which] + rng.normal(0.0, noise, (n_samples, 2))
    y = (which >= 2).astype(int)
    return _shuffle(rng, X, y)


def make_spirals(
    n_samples: int = 100, noise: float = 0.1, n_classes: int = 2, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms, one class per arm, radius growing from 0 to 1."""
    _check(n_samples, noise, min_samples=max(2, n_classes))
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    rng = np.random.default_rng(seed)
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
