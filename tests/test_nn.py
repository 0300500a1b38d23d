"""Neuron, Layer, MLP and Module: labels, seeding, fused vs binary nodes, state dicts."""

from __future__ import annotations

import copy
import json
import random

import numpy as np
import pytest

from autograd_tiny import Module, Value, topological_order
from autograd_tiny.nn import MLP, Layer, Neuron


def test_layer_and_mlp_always_return_lists():
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), list)
    out = MLP(3, [4, 1], seed=0)([1.0, 2.0, 3.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)
    assert isinstance(Neuron(2)([1.0, 2.0]), Value)


def test_parameter_count_order_and_labels():
    m = MLP(2, [3, 1], seed=0)
    names = [n for n, _ in m.named_parameters()]
    assert len(names) == len(set(names)) == 2 * 3 + 3 + 3 * 1 + 1
    assert names[:3] == ["W1[0,0]", "W1[0,1]", "b1[0]"]
    assert names[-4:] == ["W2[0,0]", "W2[0,1]", "W2[0,2]", "b2[0]"]
    assert [p.label for p in m.parameters()] == names


def test_forward_nodes_are_labelled_in_the_chapters_notation():
    m = MLP(2, [3, 1], seed=0)
    (out,) = m([0.5, -1.0])
    labels = {n.label for n in topological_order(out)}
    assert {"x[0]", "x[1]", "z1[0]", "a1[0]", "z1[2]", "a1[2]", "z2[0]"} <= labels
    assert out.label == "z2[0]"  # a linear output: ŷ = z⁽²⁾
    tanh_out = MLP(2, [1], output_activation="tanh", seed=0)([0.5, -1.0])[0]
    assert tanh_out.label == "a1[0]" and tanh_out.parents[0].label == "z1[0]"


def test_seeded_initialisation_is_reproducible_and_leaves_the_global_generator_alone():
    state = random.getstate()
    a = MLP(2, [4, 4, 1], seed=7).state_dict()
    b = MLP(2, [4, 4, 1], seed=7).state_dict()
    c = MLP(2, [4, 4, 1], seed=8).state_dict()
    assert random.getstate() == state
    assert a == b and a != c


def test_init_choices():
    wide = MLP(400, [8], init="lecun", seed=0)
    bound = (3 / 400) ** 0.5
    assert all(abs(p.data) <= bound for n, p in wide.named_parameters() if n.startswith("W"))
    assert all(p.data == 0.0 for n, p in wide.named_parameters() if n.startswith("b"))
    with pytest.raises(ValueError, match="unknown init"):
        MLP(2, [1], init="zeros")


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_fused_and_binary_nodes_give_identical_gradients(activation):
    x = [0.3, -1.2, 0.8]
    fused = MLP(3, [4, 3, 2], activation=activation, seed=1)
    binary = MLP(3, [4, 3, 2], activation=activation, seed=1, fused=False)
    lf = sum(o * o for o in fused(x))
    lb = sum(o * o for o in binary(x))
    lf.backward()
    lb.backward()
    assert lf.data == lb.data
    assert [p.grad for p in fused.parameters()] == [p.grad for p in binary.parameters()]
    # and the fused graph has far fewer operation nodes (leaves, the parameters, are shared)
    ops_fused = sum(1 for n in topological_order(lf) if n.parents)
    ops_binary = sum(1 for n in topological_order(lb) if n.parents)
    assert ops_binary > 2 * ops_fused


def test_binary_nodes_let_every_multiply_be_traced():
    n = Neuron(2, activation="linear", fused=False)
    z = n([Value(1.0), Value(2.0)])
    ops = [v.op for v in topological_order(z) if v.op]
    assert ops.count("mul") == 2 and ops.count("add") == 2


def test_zero_grad():
    m = MLP(2, [2, 1], seed=0)
    m([1.0, 1.0])[0].backward()
    assert any(p.grad != 0.0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        MLP(2, [3], activation="gelu")
    with pytest.raises(ValueError, match="nin must be a positive integer"):
        Neuron(0)
    with pytest.raises(
        TypeError, match=r"nouts must be a list of layer widths such as \[16, 16, 1\], got int: 3"
    ):
        MLP(2, 3)
    with pytest.raises(ValueError, match="nouts must be a non-empty list"):
        MLP(2, [])
    with pytest.raises(ValueError, match="a layer width must be a positive integer"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="MLP: expected 2 inputs, got 3"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="Layer: expected 2 inputs, got 1"):
        Layer(2, 3)([1.0])
    with pytest.raises(ValueError, match="z1\\[0\\]: expected 2 inputs, got 3"):
        Neuron(2)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="real number"):
        MLP(2, [1], seed=0)(["a", 1.0])
    with pytest.raises(TypeError, match=r"MLP: the input x must be a list of Values or numbers, got int: 5"):
        MLP(2, [1], seed=0)(5)
    with pytest.raises(
        TypeError, match=r"z1\[0\]: the input x must be a list of Values or numbers, got float"
    ):
        Neuron(2, rng=random.Random(0))(3.0)


def test_state_dict_is_json_and_round_trips():
    a, b = MLP(2, [3, 2], seed=0), MLP(2, [3, 2], seed=1)
    state = json.loads(json.dumps(a.state_dict()))
    assert set(state) == {"W1", "b1", "W2", "b2"}
    assert len(state["W1"]) == 3 and len(state["W1"][0]) == 2 and len(state["b2"]) == 2
    b.load_state_dict(state)
    x = [0.4, -0.9]
    assert [o.data for o in a(x)] == [o.data for o in b(x)]


@pytest.mark.parametrize(
    "mutate, error, message",
    [
        (lambda s: s.pop("b2"), KeyError, "missing entries \\['b2'\\]"),
        (lambda s: s.update(W9=[[1.0]]), KeyError, "unexpected entries \\['W9'\\]"),
        (lambda s: s["W1"].append([0.0, 0.0]), ValueError, "'W1' has shape \\(4, 2\\), expected \\(3, 2\\)"),
        (lambda s: s["W2"][0].pop(), ValueError, "'W2' is ragged"),
        (lambda s: s["b1"].__setitem__(0, "x"), TypeError, "'b1' holds 'x'"),
        (lambda s: s["b1"].__setitem__(0, float("nan")), ValueError, "'b1' holds nan, not a finite number"),
    ],
)
def test_a_bad_state_dict_raises_and_changes_nothing(mutate, error, message):
    m = MLP(2, [3, 2], seed=0)
    before = m.state_dict()
    bad = copy.deepcopy(before)
    bad["W1"][0][0] = 123.0  # a valid change that must NOT be applied when anything else is wrong
    mutate(bad)
    with pytest.raises(error, match=message):
        m.load_state_dict(bad)
    assert m.state_dict() == before


# --- state dicts a user actually makes -------------------------------------------------------------


class TwoNets(Module):
    """A user's model holding two MLPs; named_parameters simply joins theirs (same labels twice)."""

    def __init__(self, seed=0):
        self.enc, self.dec = MLP(2, [3, 2], seed=seed), MLP(2, [3, 1], seed=seed + 1)

    def __call__(self, x):
        return self.dec(self.enc(x))

    def named_parameters(self):
        return self.enc.named_parameters() + self.dec.named_parameters()


class TwoNetsPrefixed(TwoNets):
    """The same model with its parameters named apart, as the error message suggests."""

    def named_parameters(self):
        return [(f"enc.{n}", p) for n, p in self.enc.named_parameters()] + [
            (f"dec.{n}", p) for n, p in self.dec.named_parameters()
        ]


def test_two_parameters_with_one_label_are_refused_when_the_dict_is_made():
    # before, W1 of the decoder overwrote W1 of the encoder: a round trip lost half the model
    model = TwoNets()
    with pytest.raises(ValueError, match=r"two parameters are labelled 'W1\[0,0\]'.*'enc\.W1\[0,0\]'"):
        model.state_dict()
    with pytest.raises(ValueError, match="two parameters are labelled"):
        model.load_state_dict({})


def test_parameters_named_apart_round_trip_through_json():
    a, b = TwoNetsPrefixed(seed=0), TwoNetsPrefixed(seed=5)
    state = a.state_dict()
    assert set(state) == {"enc.W1", "enc.b1", "enc.W2", "enc.b2", "dec.W1", "dec.b1", "dec.W2", "dec.b2"}
    b.load_state_dict(json.loads(json.dumps(state, allow_nan=False)))
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    assert [o.data for o in b([0.3, -0.8])] == [o.data for o in a([0.3, -0.8])]


def test_labels_that_do_not_fill_an_array_are_refused():
    class Sparse(Module):
        def named_parameters(self):
            return [("w[0]", Value(1.0)), ("w[2]", Value(2.0))]

    class Mixed(Module):
        def named_parameters(self):
            return [("w", Value(1.0)), ("w[0]", Value(2.0))]

    with pytest.raises(ValueError, match=r"'w' do not fill a \(3,\) array \(nothing is labelled w\[1\]\)"):
        Sparse().state_dict()
    with pytest.raises(
        ValueError, match=r"the label 'w\[0\]' gives 'w' 1 indices but an earlier label gives it 0"
    ):
        Mixed().state_dict()


def test_a_good_checkpoint_repairs_a_model_whose_parameters_went_nan():
    model = MLP(2, [3, 1], seed=0)
    checkpoint = model.state_dict()
    for p in model.parameters():  # what a diverged training run leaves behind
        p.data = float("nan")
    model.load_state_dict(checkpoint)
    fresh = MLP(2, [3, 1], seed=0)  # the oracle: the same seed rebuilt from scratch
    assert model([0.5, -1.0])[0].data == fresh([0.5, -1.0])[0].data


def _nested(depth):
    x = 0.0
    for _ in range(depth):
        x = [x]
    return x


@pytest.mark.parametrize(
    "entry, error, message",
    [
        ([0.0, 10**400, 0.0], ValueError, r"'b1' holds a number too large for a float: 1000"),
        ([0.0, float("inf"), 0.0], ValueError, r"'b1' holds inf, not a finite number"),
        ([0.0, True, 0.0], TypeError, r"'b1' holds True, not a real number"),
        ([0.0, None, 0.0], TypeError, r"'b1' holds None, not a real number"),
        (_nested(10_000), ValueError, r"'b1' has shape \(1, 1, …\), expected \(3,\)"),
        ([[0.0]] * 3, ValueError, r"'b1' has shape \(3, 1\), expected \(3,\)"),
        (0.0, ValueError, r"'b1' has shape \(\), expected \(3,\)"),
        ([0.0, [0.0], 0.0], ValueError, r"'b1' is ragged"),
    ],
    ids=["huge int", "inf", "bool", "None", "10000 levels deep", "too deep", "a number", "ragged"],
)
def test_bad_entries_get_clear_errors_and_change_nothing(entry, error, message):
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = copy.deepcopy(before)
    state["W1"][0][0] = 5.0  # a good change that must not be applied
    state["b1"] = entry
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert model.state_dict() == before


def test_state_dict_holds_plain_floats():
    model = MLP(2, [2, 1], seed=0)
    model.parameters()[0].data = np.float64(0.25)  # e.g. set by hand from a numpy array
    state = model.state_dict()
    assert type(state["W1"][0][0]) is float and json.loads(json.dumps(state, allow_nan=False)) == state
    model.load_state_dict({**state, "b2": [np.float32(0.5)]})  # numpy numbers are accepted
    assert model.state_dict()["b2"] == [0.5]


# --- constructor arguments and inputs ------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: MLP(2, None), TypeError, r"nouts must be a list of layer widths .* got NoneType"),
        (lambda: MLP(2, {3, 1}), TypeError, r"nouts must be a list of layer widths .* got set"),
        (lambda: MLP(2, "31"), TypeError, r"nouts must be a list of layer widths .* got str"),
        (lambda: MLP(None, [1]), TypeError, r"nin must be a positive integer, got NoneType: None"),
        (lambda: MLP(2, [3.0]), TypeError, r"a layer width must be a positive integer, got float: 3\.0"),
        (lambda: Neuron(2.5), TypeError, r"nin must be a positive integer, got float: 2\.5"),
        (lambda: Layer(2, -1), ValueError, r"nout must be a positive integer, got -1"),
        (lambda: MLP(2, [3], seed=-1), ValueError, r"seed must be None or an integer >= 0, got -1"),
        (lambda: MLP(2, [3], seed="a"), TypeError, r"seed must be None or an integer >= 0, got str: 'a'"),
        (lambda: MLP(2, [3], seed=1.5), TypeError, r"seed must be None or an integer >= 0, got float"),
        (lambda: MLP(2, [3], activation=None), TypeError, r"activation must be one of \['linear', 'relu'"),
        (lambda: MLP(2, [3], output_activation={}), TypeError, r"output_activation must be one of"),
        (
            lambda: MLP(2, [3], output_activation="softmax"),
            ValueError,
            r"unknown output_activation 'softmax'",
        ),
        (lambda: MLP(2, [3], init=None), TypeError, r"init must be one of \['uniform', 'lecun'\]"),
        (lambda: MLP(2, [3], fused="no"), TypeError, r"fused must be True or False, got str"),
        (lambda: Neuron(2, rng=42), TypeError, r"rng must be a random\.Random or None, got int"),
        (lambda: MLP(10**400, [1]), ValueError, r"nin = 1000.* is too large"),
        # 10⁶·(2 + 1) weights and biases in layer 1, 10⁶·(10⁶ + 1) in layer 2
        (lambda: MLP(2, [10**6, 10**6]), ValueError, r"would hold 1,000,004,000,000 parameters"),
    ],
)
def test_bad_constructor_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_numpy_integers_are_accepted_where_ints_are():
    a = MLP(np.int64(2), np.array([3, 1]), seed=np.int64(4))
    b = MLP(2, [3, 1], seed=4)
    assert a.state_dict() == b.state_dict()
    assert [type(n.nin) for n in a.layers[1].neurons] == [int]


@pytest.mark.parametrize(
    "bad, message",
    [
        (None, "got NoneType"),
        ({0: 1.0, 1: 2.0}, r"got dict \(it would give its keys"),
        ({1.0, 2.0}, r"got set \(a set has no order"),
        ("12", r"got str: '12'"),
        (MLP(2, [1], seed=1), "got MLP"),
        ((v for v in [1.0, 2.0]), r"got generator \(it has no length"),
        (np.ones((1, 2)), r"1-D list .* shape \(1, 2\)"),
    ],
    ids=["None", "dict", "set", "str", "model", "generator", "2-D array"],
)
def test_calling_a_model_on_something_that_is_not_a_vector(bad, message):
    with pytest.raises(TypeError, match="MLP: the input x must be a .*" + message):
        MLP(2, [3, 1], seed=0)(bad)


def test_a_numpy_row_is_a_good_input():
    model = MLP(2, [3, 1], seed=0)
    X = np.array([[0.5, -1.0]])
    assert model(X[0])[0].data == model([0.5, -1.0])[0].data
    labels = {n.label for n in topological_order(model(X[0])[0])}
    assert {"x[0]", "x[1]"} <= labels
