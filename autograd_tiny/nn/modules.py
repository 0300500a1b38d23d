"""Neural networks on Values: ``Module``, ``Neuron``, ``Layer``, ``MLP``.

Notation follows the chapter. Layer ℓ (1-based) has weights W⁽ℓ⁾ (nout × nin) and biases b⁽ℓ⁾; for
an input a⁽ℓ⁻¹⁾ (a⁽⁰⁾ = x) it computes

    z⁽ℓ⁾ = W⁽ℓ⁾ a⁽ℓ⁻¹⁾ + b⁽ℓ⁾        (pre-activation; one node per neuron by default)
    a⁽ℓ⁾ = f_ℓ(z⁽ℓ⁾)                 (activation; relu, tanh, sigmoid or linear)

and every parameter and forward node carries a label in that notation, ``W1[i,j]``, ``b1[i]``,
``z1[i]``, ``a1[i]``, so that a trace of a network reads like the chapter's derivation.
"""

from __future__ import annotations

import builtins
import itertools
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from numbers import Integral, Real
from typing import Any

from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import Number, Value, brief

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


# A scalar engine holds every weight as a Python object (~150 bytes with its label): past ten
# million of them a network no longer fits in a laptop's memory, so a bigger one is refused up
# front rather than left to exhaust it.
MAX_PARAMETERS = 10_000_000


def _activation(name: object, what: str = "activation") -> Callable[[Value], Value] | None:
    """The activation function called ``name``, or a TypeError / ValueError listing the choices."""
    if not isinstance(name, str):
        raise TypeError(
            f"{what} must be one of {sorted(ACTIVATIONS)} (a str), got {type(name).__name__}: {brief(name)}"
        )
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown {what} {brief(name)}: choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _init_bound(init: object, nin: int) -> float:
    """The bound B of w ~ U(−B, B) for the initialisation called ``init``."""
    if not isinstance(init, str):
        raise TypeError(
            f"init must be one of {list(INITS)} (a str), got {type(init).__name__}: {brief(init)}"
        )
    if init not in INITS:
        raise ValueError(f"unknown init {brief(init)}: choose one of {list(INITS)}")
    return INITS[init](nin)


def _count(n: object, what: str) -> int:
    """A positive int (a numpy integer too): a TypeError for a non-integer, a ValueError if < 1."""
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"{what} must be a positive integer, got {type(n).__name__}: {brief(n)}")
    if n < 1:
        raise ValueError(f"{what} must be a positive integer, got {brief(n)}")
    if n > MAX_PARAMETERS:
        raise ValueError(
            f"{what} = {brief(n)} is too large: a network holds at most {MAX_PARAMETERS:,} parameters"
        )
    return int(n)


def _size(n_params: int, who: str) -> None:
    """A ValueError if a network would hold more than MAX_PARAMETERS parameters."""
    if n_params > MAX_PARAMETERS:
        raise ValueError(
            f"{who} would hold {n_params:,} parameters, more than {MAX_PARAMETERS:,}: a scalar engine keeps "
            f"each one as a Python object, so this would exhaust memory (make the layers narrower)"
        )


def _seed(seed: object) -> int | None:
    """None or a non-negative int (a numpy integer too), for random.Random(seed)."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed must be None or an integer >= 0, got {type(seed).__name__}: {brief(seed)}")
    if seed < 0:  # random.Random(-s) is random.Random(s): two seeds, one network
        raise ValueError(f"seed must be None or an integer >= 0, got {brief(seed)}")
    return int(seed)


def _rng(rng: object) -> random.Random:
    """rng itself, or a fresh random.Random() for None."""
    if rng is None:
        return random.Random()
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random or None, got {type(rng).__name__}")
    return rng


def _inputs(x: object, nin: int, what: str) -> tuple[Value, ...]:
    """An input vector as nin Values: a TypeError if it is not a list of numbers, a ValueError if too long."""
    xs = F.as_values(x, what)
    if len(xs) != nin:
        raise ValueError(f"{what.split(':')[0]}: expected {nin} inputs, got {len(xs)}")
    return xs


def _flag(value: object, what: str) -> bool:
    """A bool argument, or a TypeError (a str such as "no" would otherwise count as true)."""
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be True or False, got {type(value).__name__}: {brief(value)}")
    return value


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
        """The parameters as plain floats, nested by index: {"W1": [[...], ...], "b1": [...], ...}.

        The keys and indices come from the labels (``W1[2,0]`` is ``state["W1"][2][0]``), so the labels
        must be unique and each name's indices must fill a whole array; otherwise a ValueError.
        """
        state: dict[str, Any] = {}
        for key, (shape, params) in _layout(self).items():
            flat: list[Any] = [float(p.data) for p in params]  # row-major, the last index fastest
            for n in reversed(shape[1:]):  # innermost dimension first: [a, b, c, d] → [[a, b], [c, d]]
                flat = [flat[i : i + n] for i in range(0, len(flat), n)]
            state[key] = flat if shape else flat[0]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set the parameters from a ``state_dict()``; any mismatch raises and changes nothing.

        Only the incoming state is checked (names, shapes, finite numbers), never the model's own
        values, so a good checkpoint also repairs a model whose parameters went NaN.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state).__name__}")
        layout = _layout(self)
        missing = [k for k in layout if k not in state]
        extra = [k for k in state if k not in layout]
        if missing or extra:
            raise KeyError(f"load_state_dict: missing entries {missing}, unexpected entries {extra}")
        values = {key: _entry(state[key], key, shape) for key, (shape, _) in layout.items()}
        for key, (_, params) in layout.items():  # everything was checked: now change the model
            for p, v in zip(params, values[key], strict=True):
                p.data = v


def _split(name: str) -> tuple[str, tuple[int, ...]]:
    """'W1[2,0]' → ('W1', (2, 0)); 'b' → ('b', ())."""
    m = re.fullmatch(r"(.+?)\[([\d,]+)\]", name)
    if not m or "" in m.group(2).split(","):
        return name, ()
    return m.group(1), tuple(int(i) for i in m.group(2).split(","))


def _layout(module: Module) -> dict[str, tuple[tuple[int, ...], list[Value]]]:
    """For each name (W1, b1, …) the array shape its labels fill and its parameters in row-major order.

    A ValueError names the labels if two parameters share one (a state dict would keep only one of
    them) or if a name's indices do not fill an array.
    """
    groups: dict[str, dict[tuple[int, ...], Value]] = {}
    for item in module.named_parameters():
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise TypeError(f"named_parameters() must give (label, Value) pairs, got {brief(item, 60)}")
        name, p = item
        if not isinstance(p, Value):
            raise TypeError(f"named_parameters(): {name!r} is a {type(p).__name__}, not a Value")
        key, index = _split(name)
        group = groups.setdefault(key, {})
        if index in group:
            raise ValueError(
                f"state_dict: two parameters are labelled {name!r}, so a state dict would keep only one "
                f"of them; give each parameter its own label (a module holding two MLPs can prefix "
                f"their names in named_parameters(): 'enc.W1[0,0]', 'dec.W1[0,0]')"
            )
        if group and len(next(iter(group))) != len(index):
            raise ValueError(
                f"state_dict: the label {name!r} gives {key!r} {len(index)} indices but an earlier label "
                f"gives it {len(next(iter(group)))}: {key!r} cannot be one array"
            )
        group[index] = p
    layout = {}
    for key, group in groups.items():
        depth = len(next(iter(group)))
        shape = tuple(max(ix[d] for ix in group) + 1 for d in range(depth))
        cells = list(itertools.product(*(range(n) for n in shape)))
        if len(cells) != len(group):
            gap = next(ix for ix in cells if ix not in group)
            raise ValueError(
                f"state_dict: the parameters named {key!r} do not fill a {shape} array "
                f"(nothing is labelled {key}[{','.join(map(str, gap))}])"
            )
        layout[key] = (shape, [group[ix] for ix in cells])
    return layout


def _entry(v: Any, key: str, shape: tuple[int, ...]) -> list[float]:
    """The numbers of one state-dict entry, row-major, checked to be finite and shaped ``shape``.

    Walks the nesting level by level (no recursion), at most one level past the expected depth,
    so a list nested thousands of levels deep is an error, not a RecursionError.
    """
    found: list[int] = []
    level = [v]
    while len(found) <= len(shape) and any(isinstance(x, (list, tuple)) for x in level):
        if not all(isinstance(x, (list, tuple)) for x in level) or len({len(x) for x in level}) > 1:
            raise ValueError(f"load_state_dict: {key!r} is ragged (its rows have different lengths)")
        found.append(len(level[0]))
        level = [y for x in level for y in x]
    if tuple(found) != shape:
        got = str(tuple(found))
        if any(isinstance(x, (list, tuple)) for x in level):  # nested deeper than we looked
            got = got[:-1].rstrip(",") + ", …)"
        raise ValueError(f"load_state_dict: {key!r} has shape {got}, expected {shape}")
    numbers = []
    for x in level:
        if isinstance(x, bool) or not isinstance(x, Real):
            raise TypeError(f"load_state_dict: {key!r} holds {brief(x)}, not a real number")
        try:
            f = float(x)
        except OverflowError:  # an int or Fraction beyond the largest float, ~1.8e308
            too_large = f"load_state_dict: {key!r} holds a number too large for a float: {brief(x, 30)}"
            raise ValueError(too_large) from None
        if not math.isfinite(f):
            raise ValueError(f"load_state_dict: {key!r} holds {x!r}, not a finite number")
        numbers.append(f)
    return numbers


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
        self.nin = nin = _count(nin, "nin")
        _size(nin + 1, f"Neuron({nin})")
        self.activation = activation
        self._f = _activation(activation)
        self.fused = _flag(fused, "fused")
        rng = _rng(rng)
        bound = _init_bound(init, nin)
        self.w = [Value(rng.uniform(-bound, bound), f"W{layer}[{row},{j}]") for j in range(nin)]
        self.b = Value(0.0, f"b{layer}[{row}]")
        self._z_label, self._a_label = f"z{layer}[{row}]", f"a{layer}[{row}]"

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        """The neuron's output a = f(w·x + b) for one input vector x."""
        return self._forward(_inputs(x, self.nin, f"{self._z_label}: the input x"))

    def _forward(self, x: tuple[Value, ...]) -> Value:
        """a = f(w·x + b) for an input already checked to be nin Values."""
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
        nout = _count(nout, "nout")
        _size(nout * (_count(nin, "nin") + 1), f"Layer({nin}, {nout})")
        rng = _rng(rng)
        self.neurons = [
            Neuron(nin, activation, rng, fused=fused, init=init, layer=number, row=i) for i in range(nout)
        ]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """The layer's outputs, always a list (even for one neuron)."""
        x = _inputs(x, self.neurons[0].nin, "Layer: the input x")  # checked once, not once per neuron
        return [n._forward(x) for n in self.neurons]

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
        nin = _count(nin, "nin")
        if isinstance(nouts, (str, bytes, Mapping, AbstractSet)) or not (
            hasattr(nouts, "__len__") and hasattr(nouts, "__iter__")
        ):
            raise TypeError(
                f"nouts must be a list of layer widths such as [16, 16, 1], "
                f"got {type(nouts).__name__}: {brief(nouts)}"
            )
        if len(nouts) == 0:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {brief(nouts)}")
        _activation(activation)
        _activation(output_activation, "output_activation")
        rng = random.Random(_seed(seed))
        sizes = [nin, *(_count(n, "a layer width") for n in nouts)]
        _size(builtins.sum(m * (n + 1) for n, m in itertools.pairwise(sizes)), f"MLP({nin}, {sizes[1:]})")
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
        a = list(_inputs(x, self.layers[0].neurons[0].nin, "MLP: the input x"))
        # a⁽⁰⁾ = x: numbers become leaves labelled x[j] (inputs, not constants) so a trace shows them
        for j, xi in enumerate(x):
            if not isinstance(xi, Value):
                a[j] = Value(a[j].data, f"x[{j}]")
        for layer in self.layers:
            a = layer(a)
        return a

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Layer 1 first; within a layer, row by row, weights then bias."""
        return [pair for layer in self.layers for pair in layer.named_parameters()]

    def __repr__(self) -> str:
        """MLP of its layers."""
        return f"MLP({', '.join(map(repr, self.layers))})"
