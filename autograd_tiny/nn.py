"""Neural networks on Values: ``Module``, ``Neuron``, ``Layer``, ``MLP`` (and the losses, from losses.py).

Notation follows the chapter. Layer ℓ (1-based) has weights W⁽ℓ⁾ (nout × nin) and biases b⁽ℓ⁾; for
an input a⁽ℓ⁻¹⁾ (a⁽⁰⁾ = x) it computes

    z⁽ℓ⁾ = W⁽ℓ⁾ a⁽ℓ⁻¹⁾ + b⁽ℓ⁾        (pre-activation; one node per neuron by default)
    a⁽ℓ⁾ = f_ℓ(z⁽ℓ⁾)                 (activation; relu, tanh, sigmoid or linear)

and every parameter and forward node carries a label in that notation, ``W1[i,j]``, ``b1[i]``,
``z1[i]``, ``a1[i]``, so that a trace of a network reads like the chapter's derivation.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Any

from autograd_tiny import functional as F
from autograd_tiny.engine import Number, Value, _lift
from autograd_tiny.losses import (  # the losses live in their own file; nn.mse_loss etc. still work
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge_loss",
    "mse_loss",
]

ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,  # a = z: no node is added
}


# weight initialisations: the bound B of w ~ U(−B, B) for a neuron with nin inputs
INITS: dict[str, Callable[[int], float]] = {
    "uniform": lambda nin: 1.0,
    "lecun": lambda nin: math.sqrt(3.0 / nin),  # Var U(−B, B) = B²/3 = 1/nin
}


def _activation(name: str) -> Callable[[Value], Value] | None:
    """The activation function called ``name``, or a ValueError listing the choices."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _length(x: object, who: str) -> int:
    """len(x) for an input vector, or a TypeError naming ``who`` if x is not a sequence."""
    try:
        return len(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{who}: the input must be a sequence with one number or Value per input, "
            f"got {type(x).__name__}: {x!r:.40}"
        ) from None


def _count(n: object, what: str) -> int:
    """A positive int, or a clear error."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return n


class Module:
    """A container of parameters: the base of Neuron, Layer and MLP."""

    def named_parameters(self) -> list[tuple[str, Value]]:
        """(label, parameter) pairs in a fixed order: layer by layer, row by row, weights then bias."""
        return []

    def parameters(self) -> list[Value]:
        """The parameters, in the order of ``named_parameters()``."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0 (do this between training steps)."""
        for p in self.parameters():
            p.grad = 0.0

    def state_dict(self) -> dict[str, Any]:
        """The parameters as plain floats, nested by index: {"W1": [[...], ...], "b1": [...], ...}."""
        state: dict[str, Any] = {}
        for name, p in self.named_parameters():
            key, index = _split(name)
            if not index:
                state[key] = p.data
                continue
            node = state.setdefault(key, [])
            for i in index[:-1]:
                while len(node) <= i:
                    node.append([])
                node = node[i]
            while len(node) <= index[-1]:
                node.append(None)
            node[index[-1]] = p.data
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set the parameters from a ``state_dict()``; any mismatch raises and changes nothing."""
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state).__name__}")
        expected = self.state_dict()
        missing = [k for k in expected if k not in state]
        extra = [k for k in state if k not in expected]
        if missing or extra:
            raise KeyError(f"load_state_dict: missing entries {missing}, unexpected entries {extra}")
        for key in expected:  # check everything before changing anything
            if _shape(state[key], key) != _shape(expected[key], key):
                raise ValueError(
                    f"load_state_dict: {key!r} has shape {_shape(state[key], key)}, "
                    f"expected {_shape(expected[key], key)}"
                )
        for name, p in self.named_parameters():
            key, index = _split(name)
            v = state[key]
            for i in index:
                v = v[i]
            p.data = float(v)


def _split(name: str) -> tuple[str, tuple[int, ...]]:
    """'W1[2,0]' → ('W1', (2, 0)); 'b' → ('b', ())."""
    m = re.fullmatch(r"(.+?)\[([\d,]+)\]", name)
    if not m:
        return name, ()
    return m.group(1), tuple(int(i) for i in m.group(2).split(","))


def _shape(v: Any, key: str) -> tuple[int, ...]:
    """The shape of a nested list of finite real numbers (a number has shape ())."""
    if isinstance(v, (list, tuple)):
        shapes = {_shape(x, key) for x in v}
        if len(shapes) > 1:
            raise ValueError(f"load_state_dict: {key!r} is ragged")
        return (len(v), *(shapes.pop() if shapes else ()))
    if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):
        raise TypeError(f"load_state_dict: {key!r} holds {v!r}, not a finite real number")
    return ()


class Neuron(Module):
    """One unit: z = w·x + b, a = f(z)."""

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        rng: random.Random | None = None,
        *,
        fused: bool = True,
        init: str = "uniform",
        layer: int = 1,
        row: int = 0,
    ) -> None:
        """``nin`` inputs; weights drawn from ``rng`` (its own generator, never the global one).

        ``fused=True`` makes z = w·x + b a single node (its local derivatives x, w and 1);
        ``fused=False`` builds it from binary * and + nodes, so every multiply can be traced.
        ``init`` is "uniform" (w ~ U(−1, 1), micrograd's) or "lecun" (U(±√(3/nin)), so Var w = 1/nin
        and z stays of order 1 however wide the layer). Biases start at 0.
        ``layer`` and ``row`` only name things: W{layer}[{row},j], b{layer}[{row}].
        """
        self.nin = _count(nin, "nin")
        self.activation = activation
        self._f = _activation(activation)
        self.fused = bool(fused)
        rng = rng if rng is not None else random.Random()
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}: choose one of {list(INITS)}")
        bound = INITS[init](nin)
        self.w = [Value(rng.uniform(-bound, bound), f"W{layer}[{row},{j}]") for j in range(nin)]
        self.b = Value(0.0, f"b{layer}[{row}]")
        self._z_label, self._a_label = f"z{layer}[{row}]", f"a{layer}[{row}]"

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        """The neuron's output a = f(w·x + b) for one input vector x."""
        if _length(x, self._z_label) != self.nin:
            raise ValueError(f"{self._z_label}: expected {self.nin} inputs, got {len(x)}")
        if self.fused:
            z = F.affine(self.w, x, self.b)
        else:
            z = self.w[0] * x[0]
            for wi, xi in zip(self.w[1:], x[1:], strict=True):
                z = z + wi * xi
            z = z + self.b
        z.label = self._z_label
        if self._f is None:
            return z
        a = self._f(z)
        a.label = self._a_label
        return a

    def named_parameters(self) -> list[tuple[str, Value]]:
        """w₀ … w_{nin−1}, then b."""
        return [(p.label, p) for p in (*self.w, self.b)]

    def __repr__(self) -> str:
        """Neuron(nin, activation)."""
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons reading the same nin inputs: z = W a + b, a = f(z)."""

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        rng: random.Random | None = None,
        *,
        fused: bool = True,
        init: str = "uniform",
        number: int = 1,
    ) -> None:
        """A layer of ``nout`` neurons; ``number`` is ℓ in its labels W{ℓ}[i,j], b{ℓ}[i]."""
        _count(nout, "nout")
        rng = rng if rng is not None else random.Random()
        self.neurons = [
            Neuron(nin, activation, rng, fused=fused, init=init, layer=number, row=i) for i in range(nout)
        ]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """The layer's outputs, always a list (even for one neuron)."""
        return [n(x) for n in self.neurons]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Row by row: each neuron's weights, then its bias."""
        return [pair for n in self.neurons for pair in n.named_parameters()]

    def __repr__(self) -> str:
        """Layer(nin → nout, activation)."""
        n = self.neurons[0]
        return f"Layer({n.nin} → {len(self.neurons)}, activation={n.activation!r})"


class MLP(Module):
    """A multi-layer perceptron: layers 1 … L, hidden activation, then the output activation."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        output_activation: str = "linear",
        seed: int | None = None,
        *,
        fused: bool = True,
        init: str = "uniform",
    ) -> None:
        """``MLP(2, [16, 16, 1])``: 2 inputs, two hidden layers of 16, one output.

        Weights come from ``random.Random(seed)``: the same seed gives the same network.
        ``fused`` and ``init`` are as for ``Neuron``.
        """
        _count(nin, "nin")
        if isinstance(nouts, (int, str)) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {nouts!r}")
        _activation(activation)
        _activation(output_activation)
        rng = random.Random(seed)
        sizes = [nin, *(_count(n, "a layer width") for n in nouts)]
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                activation if i < len(nouts) - 1 else output_activation,
                rng,
                fused=fused,
                init=init,
                number=i + 1,
            )
            for i in range(len(nouts))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """The network's outputs for one input vector, always a list."""
        _length(x, "MLP input")
        # a⁽⁰⁾ = x: numbers become leaves labelled x[j] so a trace can name them
        a: list[Value] = [
            xi if isinstance(xi, Value) else Value(_lift(xi, "MLP input").data, f"x[{j}]")
            for j, xi in enumerate(x)
        ]
        for layer in self.layers:
            a = layer(a)
        return a

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Layer 1 first; within a layer, row by row, weights then bias."""
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    def __repr__(self) -> str:
        """MLP of its layers."""
        return f"MLP({', '.join(map(repr, self.layers))})"
