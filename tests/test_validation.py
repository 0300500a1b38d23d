"""Bad input to the public functions: a TypeError or ValueError naming the function and argument.

The vector helpers first, then a generic probe: every public function of the modules below, called
with each of a list of wrong values in each argument position, either works or raises a built-in
error whose message names the function or the argument; never an AttributeError, an IndexError, a
RecursionError or numpy's own message from deep inside.
"""

from __future__ import annotations

import numpy as np
import pytest

from autograd_tiny import MLP, Value
from autograd_tiny import functional as F

NOT_A_VECTOR = [
    (None, "got NoneType"),
    ({1.0: 2.0}, r"got dict \(it would give its keys"),
    ({1.0, 2.0}, r"got set \(a set has no order"),
    ("ab", r"got str: 'ab' \(a string is not a list of numbers\)"),
    (3.0, r"got float: 3\.0 \(wrap a single number in a list\)"),
    (Value(3.0), r"got Value: .* \(wrap a single number in a list\)"),
    ((v for v in [1.0]), r"got generator \(it has no length: pass a list\)"),
    (MLP(1, [1], seed=0), "got MLP"),
    (object(), "got object$"),
    (np.ones((2, 1)), r"1-D list of Values or numbers, got an array of shape \(2, 1\)"),
]
IDS = ["None", "dict", "set", "str", "float", "Value", "generator", "model", "object", "2-D array"]


@pytest.mark.parametrize("bad, message", NOT_A_VECTOR, ids=IDS)
def test_vector_helpers_refuse_what_is_not_a_vector_naming_function_and_argument(bad, message):
    for call, where in [
        (lambda: F.sum(bad), "sum: xs"),
        (lambda: F.dot(bad, [1.0]), "dot: ws"),
        (lambda: F.dot([1.0], bad), "dot: xs"),
        (lambda: F.affine(bad, [1.0], 0.0), "affine: ws"),
        (lambda: F.affine([1.0], bad, 0.0), "affine: xs"),
        (lambda: F.logsumexp(bad), "logsumexp: xs"),
        (lambda: F.log_softmax(bad), "log_softmax: xs"),
    ]:
        with pytest.raises(TypeError, match=f"^{where} must be a .*{message}"):
            call()


def test_a_bad_element_is_named_by_its_index():
    with pytest.raises(TypeError, match=r"^dot: xs\[1\] must be a real number, got NoneType"):
        F.dot([1.0, 2.0], [3.0, None])
    with pytest.raises(ValueError, match=r"^sum: xs\[0\] must be finite, got nan"):
        F.sum([float("nan")])
    with pytest.raises(OverflowError, match=r"^logsumexp: xs\[2\] is too large for a float"):
        F.logsumexp([1.0, 2.0, 10**400])
    with pytest.raises(TypeError, match=r"^affine: b must be a real number, got str"):
        F.affine([1.0], [2.0], "0")
    with pytest.raises(ValueError, match=r"^dot: ws and xs: lengths differ \(2 and 3\)"):
        F.dot([1.0, 2.0], [1.0, 2.0, 3.0])


def test_numpy_vectors_and_other_ordered_collections_work():
    w, x = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.25, -1.0])
    assert F.dot(w, x).data == float(np.dot(w, x))
    assert F.affine(w, x, np.float64(1.5)).data == float(np.dot(w, x) + 1.5)
    assert F.sum(range(4)).data == 6.0
    z = np.array([1.0, 2.0, 3.0])
    ref = np.exp(z - z.max()) / np.sum(np.exp(z - z.max()))
    assert [v.data for v in F.softmax(z)] == pytest.approx(list(ref), rel=1e-14)
