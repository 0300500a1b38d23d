"""Synthetic data sets: shapes, labels, seeding and geometry."""

from __future__ import annotations

import numpy as np
import pytest

from autograd_tiny import data

MAKERS = [data.make_moons, data.make_circles, data.make_xor, data.make_spirals]


@pytest.mark.parametrize("make", MAKERS)
def test_shapes_labels_and_seeding(make):
    X, y = make(101, 0.1, seed=3)
    assert X.shape == (101, 2) and X.dtype == float
    assert y.shape == (101,) and set(np.unique(y)) == {0, 1}
    assert abs(int(np.sum(y == 0)) - int(np.sum(y == 1))) <= 1
    X2, y2 = make(101, 0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(101, 0.1, seed=4)
    assert not np.array_equal(X, X3)


def test_moons_without_noise_lie_on_their_arcs():
    X, y = data.make_moons(50, 0.0, seed=0)
    upper, lower = X[y == 0], X[y == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert (upper[:, 1] >= -1e-12).all() and (lower[:, 1] <= 0.5 + 1e-12).all()


def test_circles_and_xor_geometry():
    X, y = data.make_circles(40, 0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)
    X, y = data.make_xor(40, 0.0, seed=0)
    assert np.array_equal(y == 1, X[:, 0] * X[:, 1] < 0)


def test_spirals_with_more_classes():
    X, y = data.make_spirals(90, 0.0, n_classes=3, seed=0)
    assert set(np.unique(y)) == {0, 1, 2}
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)


@pytest.mark.parametrize("make", MAKERS)
def test_bad_arguments(make):
    with pytest.raises(ValueError, match="n_samples"):
        make(1, 0.1)
    with pytest.raises(ValueError, match="noise"):
        make(10, -0.1)
