"""Neural networks on Values: ``Module``, ``Neuron``, ``Layer``, ``MLP``, and the losses.

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
        if len(x) != self.nin:
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


# ---------------------------------------------------------------------------------------------
# Losses. Each takes lists of Values or numbers (a single one is a list of one) and returns a
# scalar Value; ``reduction`` is "mean" (the default) or "sum" over the elements.
# ---------------------------------------------------------------------------------------------


def _pair(preds: Any, targets: Any, name: str) -> tuple[list[Value], list[Value | float]]:
    """Predictions as Values and targets as given, checked to be non-empty and equally long."""
    p = [preds] if isinstance(preds, (Value, Real)) else list(preds)
    t = [targets] if isinstance(targets, (Value, Real)) else list(targets)
    if len(p) != len(t):
        raise ValueError(f"{name}: {len(p)} predictions but {len(t)} targets")
    if not p:
        raise ValueError(f"{name}: no predictions given")
    return [_lift(x, name) for x in p], [x if isinstance(x, Value) else _lift(x, name).data for x in t]


def _reduce(terms: list[Value], reduction: str, name: str) -> Value:
    """Σ terms or (1/n) Σ terms, as one n-ary node."""
    if reduction == "sum":
        return F.sum(terms)
    if reduction == "mean":
        return F.sum(terms) * (1.0 / len(terms))
    raise ValueError(f"{name}: reduction must be 'mean' or 'sum', got {reduction!r}")


def mse_loss(preds: Any, targets: Any, reduction: str = "mean") -> Value:
    """Mean (or sum) of squared errors (ŷᵢ − yᵢ)²; its gradient is 2(ŷᵢ − yᵢ)/n."""
    p, t = _pair(preds, targets, "mse_loss")
    return _reduce([(pi - ti) ** 2 for pi, ti in zip(p, t, strict=True)], reduction, "mse_loss")


def _target01(t: Value | float, name: str) -> float:
    """A probability target in [0, 1]."""
    v = t.data if isinstance(t, Value) else t
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name}: targets must lie in [0, 1], got {v!r}")
    return v


def binary_cross_entropy(probs: Any, targets: Any, reduction: str = "mean") -> Value:
    """−[y log ŷ + (1 − y) log(1 − ŷ)] for probabilities ŷ in (0, 1) and targets y in [0, 1]."""
    p, t = _pair(probs, targets, "binary_cross_entropy")
    terms = []
    for pi, ti in zip(p, t, strict=True):
        y = _target01(ti, "binary_cross_entropy")
        if (pi.data <= 0.0 and y > 0.0) or (pi.data >= 1.0 and y < 1.0):
            raise ValueError(
                f"binary_cross_entropy: probability {pi.data!r} with target {y!r} has infinite loss "
                f"(use binary_cross_entropy_with_logits for saturated outputs)"
            )
        # A term whose weight is exactly 0 is left out, so ŷ = 1 with y = 1 costs log(1) = 0.
        if y == 1.0:
            terms.append(-pi.log())
        elif y == 0.0:
            terms.append(-(1 - pi).log())
        else:
            terms.append(-(ti * pi.log() + (1 - ti) * (1 - pi).log()))
    return _reduce(terms, reduction, "binary_cross_entropy")


def binary_cross_entropy_with_logits(logits: Any, targets: Any, reduction: str = "mean") -> Value:
    """BCE of σ(z) computed from the logit z: softplus(z) − y·z, stable for any |z|.

    Its gradient with respect to z is σ(z) − y, the chapter's clean ŷ − y.
    """
    z, t = _pair(logits, targets, "binary_cross_entropy_with_logits")
    for ti in t:
        _target01(ti, "binary_cross_entropy_with_logits")
    # −[y log σ(z) + (1 − y) log(1 − σ(z))] = log(1 + eᶻ) − y·z, because log σ(z) = z − softplus(z)
    # and log(1 − σ(z)) = −softplus(z).
    terms = [zi.softplus() - ti * zi for zi, ti in zip(z, t, strict=True)]
    return _reduce(terms, reduction, "binary_cross_entropy_with_logits")


def cross_entropy(logits: Any, target_index: int) -> Value:
    """−log softmax(z)[target] = logsumexp(z) − z[target]; its gradient is softmax(z) − one-hot."""
    z = [_lift(x, "cross_entropy") for x in ([logits] if isinstance(logits, (Value, Real)) else logits)]
    if not z:
        raise ValueError("cross_entropy: no logits given")
    if isinstance(target_index, bool) or not isinstance(target_index, int):
        raise TypeError(f"cross_entropy: target_index must be an int, got {target_index!r}")
    if not 0 <= target_index < len(z):
        raise ValueError(f"cross_entropy: target_index {target_index} is out of range for {len(z)} logits")
    return F.logsumexp(z) - z[target_index]


def hinge_loss(scores: Any, targets: Any, reduction: str = "mean") -> Value:
    """Max-margin loss max(0, 1 − y·s) for targets y = ±1 (micrograd's demo loss)."""
    s, t = _pair(scores, targets, "hinge_loss")
    for ti in t:
        if (ti.data if isinstance(ti, Value) else ti) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss: targets must be -1 or +1, got {ti!r}")
    return _reduce([(1 - ti * si).relu() for si, ti in zip(s, t, strict=True)], reduction, "hinge_loss")
