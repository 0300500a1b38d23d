"""Neuron, Layer, MLP and Module: labels, seeding, fused vs binary nodes, state dicts."""

from __future__ import annotations

import copy
import json
import random

import pytest

from autograd_tiny import Value, topological_order
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
    with pytest.raises(ValueError, match="nouts must be a non-empty list"):
        MLP(2, 3)
    with pytest.raises(ValueError, match="a layer width must be a positive integer"):
        MLP(2, [3, 0])
    with pytest.raises(ValueError, match="z1\\[0\\]: expected 2 inputs, got 3"):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="real number"):
        MLP(2, [1], seed=0)(["a", 1.0])
    with pytest.raises(TypeError, match=r"MLP input: the input must be a sequence .* got int: 5"):
        MLP(2, [1], seed=0)(5)
    with pytest.raises(TypeError, match=r"z1\[0\]: the input must be a sequence .* got float"):
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
        (lambda s: s["b1"].__setitem__(0, float("nan")), TypeError, "'b1' holds nan"),
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
