"""PyTorch as the oracle: the bridge's networks, every loss, random graphs over every op, Hessians, jvp.

Everything is float64 and compared at 1e-9 relative or tighter (the networks at 1e-12), relative to
the size of the quantity compared (its largest entry), so rounding in a different order is allowed
and nothing else is.
"""

from __future__ import annotations

import random
import sys

import pytest

torch = pytest.importorskip("torch", reason="pip install torch==2.13.0 && pip install -e '.[test]'")
import torch.nn.functional as TF  # noqa: E402

import autograd_tiny  # noqa: E402
from autograd_tiny import MLP, Value, hessian, jvp, nn  # noqa: E402
from autograd_tiny.bridge import (  # noqa: E402
    TorchNotInstalled,
    from_torch,
    gradient_pairs,
    max_relative_difference,
    state_dict_from_torch,
    state_dict_to_torch,
    to_torch,
)
from autograd_tiny.core import functional as F  # noqa: E402
from autograd_tiny.core.rules import TABLE  # noqa: E402

D = torch.float64


def _t(x) -> torch.Tensor:
    return torch.tensor(x, dtype=D)


def _close(ours, theirs, rtol: float) -> None:
    """Every entry within rtol × (the largest |entry| of theirs)."""
    a, b = torch.as_tensor(ours, dtype=D).flatten(), torch.as_tensor(theirs, dtype=D).flatten()
    assert a.shape == b.shape
    if not b.numel():
        return
    assert float((a - b).abs().max()) <= rtol * float(b.abs().max()), (a, b)


# ---------------------------------------------------------------------------------------------
# Networks and losses
# ---------------------------------------------------------------------------------------------

ACTS = sorted(nn.ACTIVATIONS)


def _loss_pair(name: str, out: list, tout: torch.Tensor, rng: random.Random):
    """(autograd_tiny's loss, torch.nn.functional's) of one network output, as the bridge's table says."""
    n = len(out)
    if name == "mse_loss":
        y = [rng.uniform(-1, 1) for _ in range(n)]
        return nn.mse_loss(out, y), TF.mse_loss(tout, _t(y))
    if name == "binary_cross_entropy":
        y = [rng.choice([0.0, 1.0, rng.random()]) for _ in range(n)]
        return nn.binary_cross_entropy(out, y), TF.binary_cross_entropy(tout, _t(y))
    if name == "binary_cross_entropy_with_logits":
        y = [rng.random() for _ in range(n)]
        return nn.binary_cross_entropy_with_logits(out, y), TF.binary_cross_entropy_with_logits(tout, _t(y))
    if name == "cross_entropy":
        k = rng.randrange(n)
        return nn.cross_entropy(out, k), TF.cross_entropy(tout[None], torch.tensor([k]))
    assert name == "hinge_loss"
    y = [rng.choice([-1.0, 1.0]) for _ in range(n)]
    return nn.hinge_loss(out, y), TF.relu(1 - _t(y) * tout).mean()


LOSSES = [
    "mse_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
]


def test_the_loss_list_is_every_loss_of_nn_and_the_bridge_docstring_tables_each():
    losses = {n for n in nn.__all__ if n.endswith(("_loss", "entropy", "_logits"))}
    assert losses == set(LOSSES)
    doc = sys.modules["autograd_tiny.nn.bridge"].__doc__
    for name in LOSSES:
        assert f"    {name}(" in doc, name


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("hidden", ACTS)
def test_random_mlp_and_loss_match_pytorch(hidden, loss):
    for seed in range(4):
        rng = random.Random(f"{hidden}-{loss}-{seed}")
        width = 3 if loss == "cross_entropy" else rng.choice([1, 2])
        out_act = "sigmoid" if loss == "binary_cross_entropy" else rng.choice(ACTS)
        nin = rng.randint(1, 4)
        sizes = [rng.randint(1, 5) for _ in range(rng.randint(0, 2))] + [width]
        model = MLP(nin, sizes, hidden, out_act, seed=seed, fused=seed % 2 == 0)
        net = to_torch(model)
        x = [rng.uniform(-2, 2) for _ in range(nin)]
        out = model(x)
        tout = net(_t(x))
        _close([o.data for o in out], tout.detach(), 1e-12)
        L, TL = _loss_pair(loss, out, tout, rng)
        L.backward()
        TL.backward()
        _close(L.data, TL.detach(), 1e-12)
        pairs = gradient_pairs(model, net)
        assert len(pairs) == len(model.parameters())
        assert max_relative_difference(pairs) <= 1e-12, pairs


@pytest.mark.parametrize("loss", ["mse_loss", "binary_cross_entropy_with_logits", "hinge_loss"])
def test_each_loss_over_a_batch_and_with_reduction_sum(loss):
    rng = random.Random(loss)
    for reduction in ("mean", "sum"):
        preds = [Value(rng.uniform(-2, 2)) for _ in range(5)]
        tp = _t([p.data for p in preds]).requires_grad_()
        ys = [rng.choice([-1.0, 1.0]) if loss == "hinge_loss" else rng.random() for _ in range(5)]
        if loss == "hinge_loss":
            L = nn.hinge_loss(preds, ys, reduction=reduction)
            terms = TF.relu(1 - _t(ys) * tp)
            TL = terms.sum() if reduction == "sum" else terms.mean()
        else:
            L = getattr(nn, loss)(preds, ys, reduction=reduction)
            TL = getattr(TF, loss)(tp, _t(ys), reduction=reduction)
        L.backward()
        TL.backward()
        _close(L.data, TL.detach(), 1e-12)
        _close([p.grad for p in preds], tp.grad, 1e-12)


def test_cross_entropy_over_a_batch_is_the_mean_of_autograd_tinys():
    rng = random.Random(7)
    Z = [[Value(rng.uniform(-3, 3)) for _ in range(4)] for _ in range(3)]
    ks = [0, 3, 1]
    L = F.sum([nn.cross_entropy(z, k) for z, k in zip(Z, ks, strict=True)]) * (1 / 3)
    tZ = _t([[v.data for v in z] for z in Z]).requires_grad_()
    TL = TF.cross_entropy(tZ, torch.tensor(ks))
    L.backward()
    TL.backward()
    _close(L.data, TL.detach(), 1e-12)
    _close([[v.grad for v in z] for z in Z], tZ.grad, 1e-12)


def test_relu_slope_at_zero_is_zero_in_both():
    model = MLP(2, [3, 1], "relu", seed=0)  # biases start at 0: x = 0 puts every z1 at exactly 0
    net = to_torch(model)
    L = nn.mse_loss(model([0.0, 0.0]), [1.0])
    TL = TF.mse_loss(net(_t([0.0, 0.0])), _t([1.0]))
    L.backward()
    TL.backward()
    pairs = gradient_pairs(model, net)
    assert [a for _, a, _ in pairs] == [b for _, _, b in pairs]
    assert all(b == 0.0 for name, _, b in pairs if name.startswith(("W1", "b1", "W2")))


def test_to_torch_makes_the_documented_sequential_and_keys():
    model = MLP(3, [4, 4, 2], "linear", "sigmoid", seed=1)
    net = to_torch(model)
    kinds = [type(m).__name__ for m in net]
    assert kinds == ["Linear", "Identity", "Linear", "Identity", "Linear", "Sigmoid"]
    assert all(p.dtype == D for p in net.parameters())
    sd = net.state_dict()
    st = model.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert sd["2.weight"][1, 3].item() == st["W2"][1][3]  # W2[1,3] is 2.weight[1, 3]: out × in
    assert state_dict_from_torch(sd) == st
    assert all(torch.equal(v, sd[k]) for k, v in state_dict_to_torch(st).items())
    assert list(state_dict_to_torch(st, linear_at=[0, 1, 3])) == [
        "0.weight", "0.bias", "1.weight", "1.bias", "3.weight", "3.bias"
    ]  # fmt: skip
    # the copy is independent: a torch step leaves the MLP alone
    with torch.no_grad():
        net[0].weight += 1.0
    assert model.state_dict() == st


def test_to_torch_leaves_torchs_random_generator_alone():
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    to_torch(MLP(4, [8, 1], seed=0))
    assert torch.equal(torch.rand(1), before)


def test_from_torch_round_trips_and_gives_the_same_gradients():
    torch.manual_seed(3)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.ReLU(),
        torch.nn.Linear(4, 4), torch.nn.Linear(4, 2), torch.nn.Sigmoid(),
    ).double()  # fmt: skip
    model = from_torch(net)
    assert [n.neurons[0].activation for n in model.layers] == ["tanh", "relu", "linear", "sigmoid"]
    assert model.state_dict() == state_dict_from_torch(net.state_dict())
    x = [0.5, -1.0, 2.0]
    L = nn.binary_cross_entropy(model(x), [1.0, 0.0])
    TL = TF.binary_cross_entropy(net(_t(x)), _t([1.0, 0.0]))
    L.backward()
    TL.backward()
    _close(L.data, TL.detach(), 1e-12)
    assert max_relative_difference(gradient_pairs(model, net)) <= 1e-12
    back = to_torch(model)
    _close(back(_t(x)).detach(), net(_t(x)).detach(), 1e-15)
    single = from_torch(torch.nn.Linear(2, 3))  # float32: its weights are exact in float64
    assert single.layers[0].neurons[0].activation == "linear"


@pytest.mark.parametrize(
    "module, message",
    [
        (
            lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Conv1d(1, 1, 1)),
            r"layer 1 .*Conv1d.* no autograd_tiny",
        ),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU()), r"layer 1 .*LeakyReLU"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3, bias=False)), r"layer 0 .* has no bias"),
        (lambda nn: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), r"layer 2 .* follows another"),
        (lambda nn: nn.Sequential(nn.Tanh(), nn.Linear(2, 3)), r"layer 0 .* before any Linear"),
        (
            lambda nn: nn.Sequential(nn.Linear(2, 3), nn.Linear(2, 1)),
            r"layer 1 .* takes 2 inputs.* 3 outputs",
        ),
        (lambda nn: nn.Sequential(nn.Identity()), r"no Linear layer"),
    ],
)
def test_from_torch_refuses_what_autograd_tiny_has_not_naming_the_layer(module, message):
    with pytest.raises(ValueError, match=message):
        from_torch(module(torch.nn))


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"from_torch: expected a torch.nn.Sequential.*got ReLU"):
        from_torch(torch.nn.ReLU())
    with pytest.raises(TypeError, match="to_torch: expected an autograd_tiny MLP, got Layer"):
        to_torch(nn.Layer(2, 2))
    with pytest.raises(ValueError, match="'b2' is missing"):
        state_dict_to_torch({"W1": [[1.0]], "b1": [0.0], "W2": [[1.0]]})
    with pytest.raises(ValueError, match=r"'0.weight0' is not the key"):
        state_dict_from_torch({"0.weight0": _t([1.0])})
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="no gradient: call backward"):
        gradient_pairs(model, to_torch(model))
    bad = torch.nn.Linear(2, 2)
    with torch.no_grad():
        bad.weight[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"layer 0 .* not a finite number"):
        from_torch(bad)


def test_without_torch_importing_works_and_the_bridge_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    for f, args in ((to_torch, (MLP(1, [1], seed=0),)), (from_torch, (None,)), (state_dict_to_torch, ({},))):
        with pytest.raises(TorchNotInstalled) as info:
            f(*args)
        message = str(info.value)
        assert "\n" not in message
        assert message.endswith('pip install torch==2.13.0 && pip install "autograd-tiny[torch]"')
        assert info.value.__cause__ is None and info.value.__suppress_context__  # no chained traceback
        assert isinstance(info.value, ImportError)
    assert autograd_tiny.to_torch is to_torch and autograd_tiny.nn.from_torch is from_torch


def test_importing_the_package_does_not_import_torch(tmp_path):
    import subprocess

    code = "import sys, autograd_tiny, autograd_tiny.bridge; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"


# ---------------------------------------------------------------------------------------------
# Random scalar graphs over every op of the rule table
# ---------------------------------------------------------------------------------------------

# ops for which torch has no counterpart; each would be listed here with the reason
TORCH_LACKS: dict[str, str] = {}


def _stack(xs):
    return torch.stack(list(xs))


# op → (autograd_tiny on Values, torch on tensors, how many operands, a domain check on their data)
OPS = {
    "add": (lambda u, v: u + v, lambda u, v: u + v, 2, None),
    "sub": (lambda u, v: u - v, lambda u, v: u - v, 2, None),
    "mul": (lambda u, v: u * v, lambda u, v: u * v, 2, None),
    "div": (lambda u, v: u / v, lambda u, v: u / v, 2, lambda u, v: abs(v) > 0.2),
    "neg": (lambda u: -u, lambda u: -u, 1, None),
    "pow": (lambda u, v: u**v, lambda u, v: u**v, 2, lambda u, v: 0.2 < u < 4 and abs(v) < 2.5),
    "exp": (Value.exp, torch.exp, 1, lambda u: u < 3),
    "log": (Value.log, torch.log, 1, lambda u: u > 0.05),
    "tanh": (Value.tanh, torch.tanh, 1, None),
    "sigmoid": (Value.sigmoid, torch.sigmoid, 1, None),
    "relu": (Value.relu, torch.relu, 1, None),
    "leaky_relu": (lambda u: u.leaky_relu(0.1), lambda u: TF.leaky_relu(u, 0.1), 1, None),
    "softplus": (Value.softplus, TF.softplus, 1, lambda u: u < 15),  # torch's softplus is x past 20
    "abs": (Value.abs, torch.abs, 1, None),
    "sin": (Value.sin, torch.sin, 1, None),
    "cos": (Value.cos, torch.cos, 1, None),
    "sum": (lambda *u: F.sum(list(u)), lambda *u: _stack(u).sum(), 3, None),
    "dot": (
        lambda a, b, c, d: F.dot([a, b], [c, d]),
        lambda a, b, c, d: torch.dot(_stack([a, b]), _stack([c, d])), 4, None,
    ),
    "affine": (
        lambda a, b, c, d, e: F.affine([a, b], [c, d], e),
        lambda a, b, c, d, e: torch.dot(_stack([a, b]), _stack([c, d])) + e, 5, None,
    ),
    "logsumexp": (lambda *u: F.logsumexp(list(u)), lambda *u: torch.logsumexp(_stack(u), 0), 3, None),
    "squared_error": (lambda u, v: nn.mse_loss(u, v), lambda u, v: (u - v) ** 2, 2, None),
    "bce": (
        lambda u, t: nn.binary_cross_entropy(u, t), lambda u, t: TF.binary_cross_entropy(u, t), 2,
        lambda u, t: 0.05 < u < 0.95 and 0 <= t <= 1,
    ),
    "bce_with_logits": (
        lambda z, t: nn.binary_cross_entropy_with_logits(z, t),
        lambda z, t: TF.binary_cross_entropy_with_logits(z, t), 2, lambda z, t: 0 <= t <= 1,
    ),
    "cross_entropy": (
        lambda a, b, c: nn.cross_entropy([a, b, c], 1),
        lambda a, b, c: TF.cross_entropy(_stack([a, b, c])[None], torch.tensor([1])), 3, None,
    ),
}  # fmt: skip


def test_every_op_of_the_table_has_a_torch_counterpart_or_a_stated_reason():
    names = [r.name for r in TABLE]
    assert set(OPS) | set(TORCH_LACKS) == set(names)
    assert not set(OPS) & set(TORCH_LACKS)
    for name in ("bce", "squared_error", "cross_entropy", "affine", "sum", "logsumexp", "dot"):
        # the helpers used above really make the table's one node
        ours = OPS[name][0](*[Value(0.3 + 0.1 * i) for i in range(OPS[name][2])])
        assert ours.op == name


def _program(seed: int, n_inputs: int, steps: int):
    """A random program: each step an op of the table applied to earlier values (inputs included).

    The data are followed on floats-by-Values to choose operands in each op's domain and of
    moderate size, so both libraries compute in a well-conditioned region.
    """
    rng = random.Random(seed)
    xs = [rng.uniform(-1.5, 1.5) for _ in range(n_inputs)]
    vals = [Value(x) for x in xs]
    prog = []
    names = list(OPS)
    for _ in range(steps * 20):
        if len(prog) == steps:
            break
        name = rng.choice(names)
        ours, _, arity, ok = OPS[name]
        pick = [rng.randrange(len(vals)) for _ in range(arity)]
        if name in ("bce", "bce_with_logits") and rng.random() < 0.5:
            pick[1] = -1 - rng.randrange(3)  # a constant target: 0, 1 or 0.3
        args = [vals[i] if i >= 0 else (0.0, 1.0, 0.3)[-1 - i] for i in pick]
        data = [a.data if isinstance(a, Value) else a for a in args]
        if ok is not None and not ok(*data):
            continue
        out = ours(*args)
        if abs(out.data) > 50:
            continue
        prog.append((name, pick))
        vals.append(out)
    return xs, prog


def _run(prog, inputs, lib: int):
    """The program on autograd_tiny Values (lib 0) or torch tensors (lib 1); returns the sum of all steps."""
    vals = list(inputs)
    for name, pick in prog:
        f = OPS[name][lib]
        args = [vals[i] if i >= 0 else (0.0, 1.0, 0.3)[-1 - i] for i in pick]
        if lib == 1:
            args = [a if torch.is_tensor(a) else _t(a) for a in args]
        vals.append(f(*args))
    # every step reaches the output, so every op's derivative is used
    return vals[len(inputs)] if len(prog) == 1 else sum(vals[len(inputs) + 1 :], vals[len(inputs)])


SEEDS = range(60)


def test_the_random_programs_use_every_op():
    used = {name for s in SEEDS for name, _ in _program(s, 3, 8)[1]}
    assert used == set(OPS)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_value_and_gradient_match_pytorch(seed):
    xs, prog = _program(seed, 3, 8)
    X = [Value(x) for x in xs]
    out = _run(prog, X, 0)
    out.backward()
    TX = [_t(x).requires_grad_() for x in xs]
    tout = _run(prog, TX, 1)
    grads = torch.autograd.grad(tout, TX, allow_unused=True)
    _close(out.data, tout.detach(), 1e-12)
    _close([x.grad for x in X], [g if g is not None else _t(0.0) for g in grads], 1e-10)


# torch 2.13's forward mode loads its decompositions with torch.jit.script, which warns of itself
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("seed", range(0, 60, 3))
def test_random_graph_hessian_and_jvp_match_pytorch(seed):
    xs, prog = _program(seed, 3, 6)
    H = hessian(lambda *X: _run(prog, X, 0))(*xs)
    TH = torch.autograd.functional.hessian(lambda t: _run(prog, list(t), 1), _t(xs))
    _close(H, TH, 1e-9)
    direction = [random.Random(seed).uniform(-1, 1) for _ in xs]
    value, dot = jvp(lambda *X: _run(prog, X, 0), xs, direction)
    with torch.autograd.forward_ad.dual_level():  # PyTorch's forward mode: a dual number per input
        dual = torch.autograd.forward_ad.make_dual(_t(xs), _t(direction))
        tvalue, tdot = torch.autograd.forward_ad.unpack_dual(_run(prog, list(dual), 1))
    _close(value, tvalue, 1e-12)
    _close(dot, tdot, 1e-9)


def test_hessian_of_a_network_loss_by_its_input_matches_pytorch():
    model = MLP(3, [5, 5, 1], "tanh", "sigmoid", seed=4)
    net = to_torch(model)
    H = hessian(lambda *x: nn.binary_cross_entropy(model(list(x)), [1.0]))(0.2, -0.4, 0.9)
    TH = torch.autograd.functional.hessian(
        lambda t: TF.binary_cross_entropy(net(t), _t([1.0])), _t([0.2, -0.4, 0.9])
    )
    _close(H, TH, 1e-9)
