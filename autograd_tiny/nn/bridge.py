"""The same network in PyTorch: ``to_torch(model)`` and ``from_torch(module)``, with the same numbers.

An ``MLP`` becomes a float64 ``torch.nn.Sequential`` of ``nn.Linear`` layers, each followed by its
activation module, and back. Layer ℓ's weights W⁽ℓ⁾ (nout × nin) are exactly ``nn.Linear``'s
``weight`` (out_features × in_features), so nothing is transposed; ReLU′(0) = 0 in both libraries.

Parameter names, both ways (``state_dict_to_torch``, ``state_dict_from_torch``)::

    autograd_tiny           torch.nn.Sequential
    W{ℓ}[i,j]               {k}.weight[i, j]
    b{ℓ}[i]                 {k}.bias[i]

where k is the position of the ℓ-th ``nn.Linear`` in the Sequential. In the networks ``to_torch``
makes, k = 2(ℓ − 1): every layer but the last is followed by one activation module (an
``nn.Identity`` for a "linear" hidden layer), so W1 is ``0.weight``, b2 is ``2.bias``, W3 is
``4.weight``. Activations: "relu" is ``nn.ReLU``, "tanh" ``nn.Tanh``, "sigmoid" ``nn.Sigmoid`` and
"linear" no module (or ``nn.Identity``).

The losses of ``autograd_tiny.nn`` and their ``torch.nn.functional`` counterparts, which give the
same loss and the same gradients (``tests/test_oracle_torch.py`` checks each pair), for predictions
``p`` and targets ``y`` as float64 tensors of shape (n,):

    ==========================================  ==============================================
    autograd_tiny.nn                            torch.nn.functional
    ==========================================  ==============================================
    mse_loss(preds, y)                          mse_loss(p, y)
    binary_cross_entropy(probs, y)              binary_cross_entropy(p, y)
    binary_cross_entropy_with_logits(z, y)      binary_cross_entropy_with_logits(p, y)
    cross_entropy(logits, k)                    cross_entropy(p[None], torch.tensor([k]))
    hinge_loss(scores, y)                       relu(1 - y * p).mean()
    ==========================================  ==============================================

``reduction="sum"`` is the same keyword in both. For a batch, the mean of autograd_tiny's
``cross_entropy`` over the rows of Z is ``cross_entropy(Z, ks)``. PyTorch has no binary hinge loss
(``hinge_embedding_loss`` is another function: its loss for y = −1 is max(0, 1 − s)), so the max-margin
loss max(0, 1 − y·s) is written with ``relu``. ``binary_cross_entropy`` agrees for probabilities in
(0, 1); at exactly 0 or 1 PyTorch clamps log at −100 where autograd_tiny refuses an infinite loss.

torch is an optional dependency (the ``torch`` extra), imported only when one of these functions is
called; without it they raise ``TorchNotInstalled``, an ImportError whose message is the install line.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from autograd_tiny.core.engine import brief
from autograd_tiny.nn.modules import MLP, Layer, Neuron

if TYPE_CHECKING:
    import torch

INSTALL = 'pip install torch==2.13.0 && pip install "autograd-tiny[torch]"'

# autograd_tiny's activation names and the torch.nn modules that compute them
MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


class TorchNotInstalled(ImportError):
    """PyTorch is not installed: the message says how to install the ``torch`` extra."""


def _torch() -> Any:
    """The torch module, imported now; TorchNotInstalled (one line, no traceback of its own) without it."""
    try:
        import torch
    except ImportError:
        message = f"the PyTorch bridge needs torch, which is not installed: {INSTALL}"
        raise TorchNotInstalled(message) from None
    return torch


def to_torch(model: MLP) -> torch.nn.Sequential:
    """The MLP as a float64 ``torch.nn.Sequential`` of ``nn.Linear`` and activation modules, same weights.

    Layer ℓ's Linear is at position 2(ℓ − 1) (see the module's docstring for the names). Its output
    and, after ``backward()`` on the same loss, every parameter's gradient equal autograd_tiny's to
    rounding. The copy is independent: training one does not change the other.
    """
    torch = _torch()
    if not isinstance(model, MLP):
        raise TypeError(f"to_torch: expected an autograd_tiny MLP, got {type(model).__name__}")
    layers: list[Any] = []
    for number, layer in enumerate(model.layers, start=1):
        neurons = layer.neurons if isinstance(layer, Layer) else None
        if not neurons or not all(isinstance(n, Neuron) for n in neurons):
            raise TypeError(f"to_torch: layer {number} of the MLP is a {type(layer).__name__}, not a Layer")
        activation = neurons[0].activation
        if any(n.activation != activation or n.nin != neurons[0].nin for n in neurons):
            raise ValueError(f"to_torch: the neurons of layer {number} do not share one activation and width")
        # skip_init: no random initial weights drawn (torch's global generator is left alone)
        linear = torch.nn.utils.skip_init(torch.nn.Linear, neurons[0].nin, len(neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        layers.append(linear)
        if activation in MODULES:
            layers.append(getattr(torch.nn, MODULES[activation])())
        elif number < len(model.layers):  # a linear hidden layer: keeps the Linears at 0, 2, 4, …
            layers.append(torch.nn.Identity())
    return torch.nn.Sequential(*layers)


def from_torch(module: torch.nn.Module, *, fused: bool = True) -> MLP:
    """An MLP with the weights of a ``torch.nn.Sequential`` of Linear layers and ReLU, Tanh or Sigmoid.

    Each Linear may be followed by one activation (``nn.Identity`` is allowed anywhere and does
    nothing); a single ``nn.Linear`` is a one-layer network. Anything else (another layer type, a
    Linear without bias, two activations in a row, widths that do not chain) is a ValueError naming
    the layer by its position. ``fused`` is as for ``MLP``. The weights are copied as float64.
    """
    torch = _torch()
    nn = torch.nn
    if isinstance(module, nn.Linear):
        module = nn.Sequential(module)
    if not isinstance(module, nn.Sequential):
        raise TypeError(
            f"from_torch: expected a torch.nn.Sequential of Linear layers and activations, "
            f"got {type(module).__name__}"
        )
    kinds = {getattr(nn, cls): name for name, cls in MODULES.items()}
    plan: list[list[Any]] = []  # [its Linear, its activation or None], one per layer
    for k, m in enumerate(module):
        where = f"from_torch: layer {k} of the Sequential ({brief(m, 60)})"
        if type(m) is nn.Linear:
            if m.bias is None:
                raise ValueError(f"{where} has no bias; every autograd_tiny neuron has one (use bias=True)")
            if not m.weight.is_floating_point():
                raise ValueError(f"{where} holds {m.weight.dtype} weights, not floating-point numbers")
            if not (torch.isfinite(m.weight).all() and torch.isfinite(m.bias).all()):
                raise ValueError(f"{where} holds a weight or bias that is not a finite number")
            if plan and plan[-1][0].out_features != m.in_features:
                raise ValueError(
                    f"{where} takes {m.in_features} inputs, but the layer before it has "
                    f"{plan[-1][0].out_features} outputs"
                )
            plan.append([m, None])
        elif type(m) in kinds:
            if not plan:
                raise ValueError(f"{where} comes before any Linear layer: an activation follows a Linear")
            if plan[-1][1] is not None:
                raise ValueError(
                    f"{where} follows another activation ({plan[-1][1]}): autograd_tiny applies one "
                    f"activation per layer"
                )
            plan[-1][1] = kinds[type(m)]
        elif type(m) is not nn.Identity:
            raise ValueError(
                f"{where} has no autograd_tiny counterpart: the layers can be Linear, ReLU, Tanh, "
                f"Sigmoid or Identity"
            )
    if not plan:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    activations = [a or "linear" for _, a in plan]
    nin, nouts = plan[0][0].in_features, [lin.out_features for lin, _ in plan]
    hidden = activations[0] if len(plan) > 1 else "relu"
    model = MLP(nin, nouts, hidden, activations[-1], seed=0, fused=fused)
    for i, activation in enumerate(activations[:-1]):  # hidden layers whose activation differs
        if activation != hidden:
            width_in = nouts[i - 1] if i else nin
            model.layers[i] = Layer(width_in, nouts[i], activation, fused=fused, number=i + 1)
    model.load_state_dict(state_dict_from_torch(module.state_dict()))
    return model


_NAME = re.compile(r"([Wb])([1-9]\d*)")
_KEY = re.compile(r"(0|[1-9]\d*)\.(weight|bias)")


def state_dict_to_torch(
    state: Mapping[str, Any], linear_at: Sequence[int] | None = None
) -> dict[str, torch.Tensor]:
    """An MLP's ``state_dict()`` ({"W1": [[…]], "b1": […], …}) as torch's: {"0.weight": …, "0.bias": …, …}.

    W{ℓ} becomes ``{k}.weight`` and b{ℓ} ``{k}.bias``, with k = ``linear_at[ℓ − 1]``, the position
    of the ℓ-th Linear in the Sequential: by default 0, 2, 4, …, as in the networks ``to_torch``
    makes. The values become float64 tensors, ready for ``module.load_state_dict``.
    """
    torch = _torch()
    if not isinstance(state, Mapping):
        raise TypeError(f"state_dict_to_torch: expected a state dict, got {type(state).__name__}")
    numbers: dict[str, int] = {}
    for key in state:
        m = _NAME.fullmatch(key) if isinstance(key, str) else None
        if not m:
            raise ValueError(
                f"state_dict_to_torch: {brief(key)} is not an MLP parameter name (W1, b1, W2, …)"
            )
        numbers[key] = int(m.group(2))
    depth = max(numbers.values(), default=0)
    for ell in range(1, depth + 1):
        for key in (f"W{ell}", f"b{ell}"):
            if key not in state:
                raise ValueError(
                    f"state_dict_to_torch: {key!r} is missing (the state has layers 1 … {depth})"
                )
    if linear_at is None:
        linear_at = [2 * i for i in range(depth)]
    at = list(linear_at)
    if len(at) != depth or any(isinstance(k, bool) or not isinstance(k, int) or k < 0 for k in at):
        raise ValueError(
            f"state_dict_to_torch: linear_at must give {depth} non-negative positions, got {brief(linear_at)}"
        )
    out = {}
    for ell in range(1, depth + 1):
        k = at[ell - 1]
        out[f"{k}.weight"] = torch.tensor(state[f"W{ell}"], dtype=torch.float64)
        out[f"{k}.bias"] = torch.tensor(state[f"b{ell}"], dtype=torch.float64)
    return out


def state_dict_from_torch(state: Mapping[str, Any]) -> dict[str, Any]:
    """A Sequential's ``state_dict()`` ({"0.weight": …, "0.bias": …, "2.weight": …}) as an MLP's.

    The ℓ-th Linear in order of position k becomes layer ℓ: ``{k}.weight`` is W{ℓ}, ``{k}.bias``
    b{ℓ}, as nested lists of floats for ``MLP.load_state_dict``. Any other key is a ValueError.
    """
    torch = _torch()
    if not isinstance(state, Mapping):
        raise TypeError(f"state_dict_from_torch: expected a state dict, got {type(state).__name__}")
    by_position: dict[int, dict[str, Any]] = {}
    for key, value in state.items():
        m = _KEY.fullmatch(key) if isinstance(key, str) else None
        if not m:
            raise ValueError(
                f"state_dict_from_torch: {brief(key)} is not the key of a Linear layer's weight or bias "
                f"in a Sequential ('0.weight', '0.bias', …)"
            )
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"state_dict_from_torch: {key!r} is a {type(value).__name__}, not a tensor")
        by_position.setdefault(int(m.group(1)), {})[m.group(2)] = value
    out: dict[str, Any] = {}
    for ell, k in enumerate(sorted(by_position), start=1):
        entry = by_position[k]
        for part in ("weight", "bias"):
            if part not in entry:
                raise ValueError(f"state_dict_from_torch: '{k}.{part}' is missing")
        out[f"W{ell}"] = entry["weight"].detach().to(torch.float64).tolist()
        out[f"b{ell}"] = entry["bias"].detach().to(torch.float64).tolist()
    return out


def gradient_pairs(model: MLP, module: torch.nn.Module) -> list[tuple[str, float, float]]:
    """(label, autograd_tiny's gradient, PyTorch's) for every parameter, in ``named_parameters()`` order.

    ``module`` is the network ``to_torch(model)`` made (or any Sequential whose Linears match the
    model's layers), after ``backward()`` has run in both. A ValueError if the shapes differ or a
    torch parameter has no gradient yet.
    """
    torch = _torch()
    if not isinstance(model, MLP):
        raise TypeError(f"gradient_pairs: expected an autograd_tiny MLP, got {type(model).__name__}")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"gradient_pairs: expected a torch.nn.Sequential, got {type(module).__name__}")
    linears = [m for m in module if isinstance(m, torch.nn.Linear)]
    if len(linears) != len(model.layers):
        raise ValueError(
            f"gradient_pairs: the MLP has {len(model.layers)} layers, the Sequential {len(linears)} Linears"
        )
    pairs = []
    for number, (layer, linear) in enumerate(zip(model.layers, linears, strict=True), start=1):
        shape = (len(layer.neurons), layer.neurons[0].nin)
        if tuple(linear.weight.shape) != shape:
            raise ValueError(
                f"gradient_pairs: layer {number} is {shape[0]} × {shape[1]}, its Linear "
                f"{tuple(linear.weight.shape)}"
            )
        if linear.weight.grad is None or linear.bias is None or linear.bias.grad is None:
            raise ValueError(f"gradient_pairs: Linear {number} has no gradient: call backward() on its loss")
        gw, gb = linear.weight.grad.tolist(), linear.bias.grad.tolist()
        for i, neuron in enumerate(layer.neurons):
            pairs += [(w.label, w.grad, gw[i][j]) for j, w in enumerate(neuron.w)]
            pairs.append((neuron.b.label, neuron.b.grad, gb[i]))
    return pairs


def max_relative_difference(pairs: Sequence[tuple[str, float, float]]) -> float:
    """max |a − b| over the pairs, relative to max |b|: 0 for equal gradients, ~1e-16 for rounding."""
    scale = max((abs(b) for _, _, b in pairs), default=0.0)
    worst = max((abs(a - b) for _, a, b in pairs), default=0.0)
    if not math.isfinite(worst):
        return math.inf
    return worst / scale if scale else worst
