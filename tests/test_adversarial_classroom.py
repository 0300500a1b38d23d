"""Adversarial cases a classroom finds: a Value whose .data was set by hand to inf or NaN, and an
optimizer or a loss given the wrong thing. Each is refused by one error naming the op or argument
(and the operand), never a finite answer computed from a non-finite number, never a raw Python
message. The non-finite operands are the IEEE values themselves: whatever an op would compute
from them (tanh ∞ = 1, ReLU(NaN) = 0, 1/∞ = 0), the input was not a number a Value may hold."""

from __future__ import annotations

import math
import re

import pytest

from autograd_tiny import MLP, SGD, Adam, Value
from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import OPS
from autograd_tiny.core.rules import TABLE
from autograd_tiny.nn import losses

BAD = [math.inf, -math.inf, math.nan]
FILLERS = (0.0, 0.5, -1.0, 2.0)  # the other operands: 0 makes inf·0 and 1/∞ cases, 2 makes ∞⁰ …


def _hand_set(x: float, label: str = "") -> Value:
    """A Value whose .data was set by hand after it was made (Value() itself refuses inf and NaN)."""
    v = Value(1.0, label)
    v.data = x
    return v


def _operands(rule, bad_at: int, bad: float, filler: float) -> list:
    """The arguments of ``rule``'s node maker with input ``bad_at`` holding the bad number (labelled q)."""
    args = []
    for j, (name, vec) in enumerate(zip(rule.names, rule.vectors, strict=True)):
        here = j == bad_at
        if vec:  # a vector input: its first element is the bad one
            args.append([_hand_set(bad, "q") if here else Value(filler), Value(1.0)])
        elif rule.name == "cross_entropy" and name == "t":  # the target class: 0 or 1
            args.append(_hand_set(bad, "q") if here else Value(1.0))
        else:
            args.append(_hand_set(bad, "q") if here else Value(filler))
    return args


CASES = [
    pytest.param(rule, k, bad, filler, id=f"{rule.name}-{rule.inputs[k]}-{bad}-{filler}")
    for rule in TABLE
    for k in range(len(rule.inputs))
    for bad in BAD
    for filler in FILLERS
]


@pytest.mark.parametrize(("rule", "k", "bad", "filler"), CASES)
def test_every_op_refuses_a_hand_set_non_finite_operand_by_name(rule, k, bad, filler):
    args = _operands(rule, k, bad, filler)
    with pytest.raises(ValueError) as e:
        OPS[rule.name](*args)
    message = str(e.value)
    assert message.startswith(f"{rule.name}: operand 'q' is {bad!r}, not a finite number"), message


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(
    "use",
    [
        lambda q: q.relu(),
        lambda q: q.tanh(),
        lambda q: q.sigmoid(),
        lambda q: q.exp(),
        lambda q: q.sin(),
        lambda q: q.cos(),
        lambda q: q.softplus(),
        lambda q: q.leaky_relu(0.1),
        lambda q: q.log(),
        lambda q: q.abs(),
        lambda q: q**2,
        lambda q: 2**q,
        lambda q: q**0,
        lambda q: 1 / q,
        lambda q: Value(3.0) * q,
        lambda q: q - 1,
        lambda q: -q,
        lambda q: F.logsumexp([q, Value(0.0)]),
        lambda q: F.softmax([q, Value(0.0)])[1],
        lambda q: F.dot([q], [Value(0.0)]),
        lambda q: losses.cross_entropy([q, Value(0.0)], 1),
        lambda q: losses.mse_loss([q], [1.0]),
        lambda q: losses.binary_cross_entropy_with_logits([q], [0.0]),
        lambda q: losses.hinge_loss([q], [1.0]),
    ],
    ids=["relu", "tanh", "sigmoid", "exp", "sin", "cos", "softplus", "leaky_relu", "log", "abs", "square",
         "rpow", "pow0", "rdiv", "mul", "sub", "neg", "logsumexp", "softmax", "dot", "cross_entropy", "mse",
         "bce_logits", "hinge"],
)  # fmt: skip
def test_the_methods_functions_and_losses_refuse_it_too(use, bad):
    with pytest.raises(ValueError, match=r"^\w+: operand 'q' is .*not a finite number.*set by hand"):
        use(_hand_set(bad, "q"))


def test_a_network_with_a_weight_set_to_nan_by_hand_names_that_weight():
    model = MLP(2, [3, 1], seed=0)
    w = model.parameters()[4]
    w.data = math.nan
    with pytest.raises(ValueError, match=rf"operand '{re.escape(w.label)}' is nan"):
        model([1.0, -1.0])


def test_an_op_of_ones_own_refuses_a_non_finite_parent():
    q = _hand_set(-math.inf, "q")
    with pytest.raises(ValueError, match=r"^my_relu: operand 'q' is -inf"):
        Value.from_op(0.0, "my_relu", (q,), (0.0,))


def test_a_non_number_set_by_hand_is_named_too():
    q = Value(1.0, "q")
    q.data = None
    with pytest.raises(TypeError, match=r"^relu: operand 'q' holds data None \(NoneType\), not a number"):
        q.relu()


# --- optimizers: every argument ------------------------------------------------------------------


@pytest.fixture
def model():
    return MLP(2, [3, 1], seed=0)


@pytest.mark.parametrize("opt", [SGD, Adam])
@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("model", r"params is the MLP itself, not its parameters"),
        ("None", r"params must be a list of Values, got NoneType"),
        ("method", r"params is a function, not a list: call it"),
        ("value", r"params must be a list of Values, got one Value"),
        ("number", r"params must be a list of Values, got float"),
        ("dict", r"params must be a list of Values, got a dict"),
        ("nested", r"parameters must be Values, got list at params\[0\] \(a list inside the list\?\)"),
    ],
)
def test_optimizers_name_params_and_what_to_pass(model, opt, given, says):
    ps = model.parameters()
    params = {"model": model, "None": None, "method": model.parameters, "value": ps[0], "number": 0.1,
              "dict": {"w": ps[0]}, "nested": [ps]}[given]  # fmt: skip
    with pytest.raises(TypeError) as e:
        opt(params, lr=0.1)
    message = str(e.value)
    assert message.startswith(f"{opt.__name__}: "), message
    assert re.search(says, message) and "model.parameters()" in message, message


@pytest.mark.parametrize("betas", [None, 0.9, {0: 0.9, 1: 0.999}, {0.9, 0.999}, (b for b in (0.9, 0.999))])
def test_adam_names_betas_and_what_to_pass(model, betas):
    with pytest.raises(TypeError, match=r"^Adam: betas must be a pair of numbers .* betas=\(0\.9, 0\.999\)"):
        Adam(model.parameters(), betas=betas)


def test_sgd_without_a_learning_rate_says_how_to_give_one(model):
    with pytest.raises(ValueError, match=r"^SGD: lr must be given.*SGD\(model\.parameters\(\), lr=0\.1\)"):
        SGD(model.parameters())


@pytest.mark.parametrize(
    ("opt", "kw", "name"),
    [
        (SGD, {"momentum": None}, "SGD: momentum"),
        (Adam, {"eps": "1e-8"}, "Adam: eps"),
        (SGD, {"weight_decay": math.nan}, "SGD: weight_decay"),
        (Adam, {"betas": (0.9, math.inf)}, r"Adam: betas\[1\]"),
    ],
)
def test_hyperparameter_messages_name_the_optimizer(model, opt, kw, name):
    kw = {"lr": 0.1, **kw}
    with pytest.raises(ValueError, match=rf"^{name} must be a finite number in"):
        opt(model.parameters(), **kw)


@pytest.mark.parametrize("opt", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps)])
def test_a_step_names_a_parameter_or_gradient_set_by_hand(opt):
    w = Value(1.0, "w")
    w.grad = 1.0
    w.data = math.inf
    with pytest.raises(ValueError, match=r"parameter 0 \(w\) holds inf, not a finite number .*set by hand"):
        opt([w]).step()
    assert w.data == math.inf  # nothing was updated
    v = Value(1.0, "v")
    v.grad = None
    with pytest.raises(TypeError, match=r"the gradient of parameter 0 \(v\) is None, not a number"):
        opt([v]).step()
    assert v.data == 1.0
