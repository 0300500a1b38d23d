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


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n_samples": None}, TypeError, "n_samples must be an integer >= .*, got NoneType"),
        ({"n_samples": 100.0}, TypeError, r"n_samples must be an integer >= .*, got float: 100\.0"),
        ({"n_samples": "100"}, TypeError, "n_samples must be an integer"),
        ({"n_samples": 10**400}, ValueError, "n_samples must be an integer from .* to 10,000,000"),
        ({"noise": float("nan")}, ValueError, "noise must be finite, got nan"),
        ({"noise": float("inf")}, ValueError, "noise must be finite, got inf"),
        ({"noise": 10**400}, ValueError, "noise must be finite"),
        ({"noise": -0.1}, ValueError, r"noise must be a finite number >= 0 \(a standard deviation\)"),
        ({"noise": None}, TypeError, "noise must be a real number, got NoneType"),
        ({"seed": -1}, ValueError, "seed must be None or an integer >= 0, got -1"),
        ({"seed": "a"}, TypeError, "seed must be None or an integer >= 0, got str: 'a'"),
        ({"seed": 1.5}, TypeError, "seed must be None or an integer >= 0, got float"),
    ],
)
def test_bad_sizes_noise_and_seeds_name_the_argument(make, kwargs, error, message):
    with pytest.raises(error, match=message):
        make(**{"n_samples": 20, "noise": 0.1, "seed": 0, **kwargs})


@pytest.mark.parametrize("make", MAKERS)
def test_numpy_numbers_are_accepted_and_give_the_same_data(make):
    X, y = make(np.int64(40), np.float64(0.1), seed=np.int64(3))
    X2, y2 = make(40, 0.1, seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert make(40, 0, seed=0)[0].shape == (40, 2)  # an int noise of 0 is a number too


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: data.make_circles(20, factor=None), TypeError, "factor must be a real number, got NoneType"),
        (lambda: data.make_circles(20, factor=float("nan")), ValueError, "factor must be finite"),
        (lambda: data.make_circles(20, factor=1.0), ValueError, r"factor must lie in \(0, 1\), got 1\.0"),
        (
            lambda: data.make_spirals(20, n_classes=None),
            TypeError,
            "n_classes must be an integer >= 2, got NoneType",
        ),
        (
            lambda: data.make_spirals(20, n_classes=2.0),
            TypeError,
            "n_classes must be an integer >= 2, got float",
        ),
        (
            lambda: data.make_spirals(20, n_classes=1),
            ValueError,
            "n_classes must be an integer from 2 to 1,000",
        ),
        (lambda: data.make_spirals(3, n_classes=4), ValueError, "n_samples must be an integer from 4 to"),
    ],
)
def test_bad_shape_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
