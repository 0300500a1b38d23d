"""The scalar reverse-mode engine: ``Value``, its primitive operations and ``backward()``.

Notation. Every operation makes a node y = f(u) or y = f(u, v) from its parents u, v. At the
moment the node is made, all the numbers it depends on are known, so it also records its
*local derivatives* ∂y/∂u (and ∂y/∂v): the chapter's "local gradient". The backward pass then
needs no calculus at all, only the chain rule

    ∂L/∂u += ∂y/∂u · ∂L/∂y        for every node y and each of its parents u,

applied in reverse topological order. The rules, one line per op (u, v the parents' data,
y the result):

    u + v     ∂/∂u = 1,            ∂/∂v = 1
    u · v     ∂/∂u = v,            ∂/∂v = u
    u ** p    ∂/∂u = p·u^(p−1)                      (p a number)
    u ** v    ∂/∂u = v·u^(v−1),    ∂/∂v = y·ln u    (v a Value)
    exp u     ∂/∂u = y                              (d eᵘ/du = eᵘ)
    log u     ∂/∂u = 1/u
    tanh u    ∂/∂u = 1 − y²                         (d tanh(u)/du = 1 − tanh²(u))
    σ(u)      ∂/∂u = y·(1 − y)                      (σ′ = σ(1 − σ))
    relu u    ∂/∂u = 1 if u > 0 else 0              (ReLU′(0) = 0, as the chapter and PyTorch)
    leaky u   ∂/∂u = 1 if u > 0 else slope
    softplus  ∂/∂u = σ(u)                           (softplus(u) = log(1 + eᵘ))
    |u|       ∂/∂u = sign(u), 0 at u = 0
    sin u     ∂/∂u = cos u;    cos u   ∂/∂u = −sin u

and each is written once, in the method that makes the node. Subtraction, negation, division,
sqrt and the other conveniences are built from these primitives in one line each.

Design notes for the curious:
- A node stores plain numbers (its local derivatives), never a closure. micrograd's closures
  capture their own output node, a reference cycle that only the cycle collector can free; here a
  graph is freed by reference counting the moment its last name goes away.
- Each node's ``parents`` is a tuple in argument order with duplicates kept, so ``x + x`` has
  parents ``(x, x)`` and contributes both edges: ∂(x + x)/∂x = 1 + 1 = 2.
"""

from __future__ import annotations

import math
from numbers import Real

from autograd_tiny.graph import topological_order

Number = int | float
_isfinite = math.isfinite


def _real(x: object, what: str) -> float:
    """``x`` as a float, or a TypeError naming ``what`` if it is not a real number."""
    if type(x) is float:  # the common case; np.float64 (a float subclass) is converted below
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {x!r}")
    try:
        return float(x)
    except OverflowError:  # a huge int or Fraction
        raise OverflowError(f"{what} is too large for a float: {x!r:.40}…") from None


def _finite(x: object, what: str) -> float:
    """``x`` as a finite float: a TypeError if it is not a real number, a ValueError if inf or NaN."""
    x = _real(x, what)
    if not _isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def _lift(x: object, op: str) -> Value:
    """An operand as a Value: a number becomes a constant leaf; anything else is a TypeError."""
    if isinstance(x, Value):
        return x
    return _node(_finite(x, f"the operand of {op}"), "", (), ())  # a leaf: no op, no parents


class Value:
    """A scalar in a computation graph: its data, its gradient and how it was computed."""

    # __slots__ keeps a node at ~80 bytes and makes attribute access faster; there is no
    # per-instance __dict__, so a typo such as ``v.gard = 1`` is an error, not a new attribute.
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "") -> None:
        """A leaf node holding ``data`` (converted to float); ``label`` names it in traces."""
        data = _finite(data, "Value data")
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, got {type(label).__name__}")
        self.data: float = data
        self.grad: float = 0.0
        self.label: str = label
        self.op: str = ""
        self.parents: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    @classmethod
    def from_op(
        cls,
        data: Number,
        op: str,
        parents: tuple[Value, ...],
        local_grads: tuple[Number, ...],
        label: str = "",
    ) -> Value:
        """A node made by ``op`` from ``parents``, with local derivatives ∂y/∂parent: a new primitive.

        To add an operation of your own, compute y and its local derivatives from the parents'
        data and pass them here; ``backward()`` and ``gradcheck`` then treat it like any other op.
        """
        parents = tuple(parents)
        if not all(isinstance(p, Value) for p in parents):
            raise TypeError(f"{op}: every parent must be a Value")
        grads = tuple(_real(d, f"{op}: a local derivative") for d in local_grads)
        if len(grads) != len(parents):
            raise ValueError(f"{op}: {len(parents)} parents but {len(grads)} local derivatives")
        if not all(_isfinite(d) for d in grads):
            raise ValueError(f"{op}: local derivatives must be finite, got {grads}")
        if not isinstance(label, str):
            raise TypeError(f"{op}: label must be a str, got {type(label).__name__}")
        node = _node(_real(data, f"{op}: the result"), op, parents, grads)
        node.label = label
        return node

    # ----------------------------------------------------------------------------------------
    # Primitive operations. Each computes y and states its local derivative(s) in one line.
    # ----------------------------------------------------------------------------------------

    def __add__(self, other: Value | Number) -> Value:
        """self + other."""
        other = _lift(other, "+")
        return _node(self.data + other.data, "+", (self, other), _ONE_ONE)  # ∂/∂u = ∂/∂v = 1

    def __mul__(self, other: Value | Number) -> Value:
        """self * other."""
        other = _lift(other, "*")
        return _node(
            self.data * other.data, "*", (self, other), (other.data, self.data)
        )  # ∂(uv)/∂u = v, ∂(uv)/∂v = u

    def __pow__(self, other: Value | Number) -> Value:
        """self ** other, for a number or a Value exponent."""
        if isinstance(other, Value):
            return _pow_value(self, other)
        p = _real(other, "the exponent of **")
        u = self.data
        y = _checked_pow(u, p)
        if p == 0.0:
            d = 0.0  # u⁰ = 1 is constant
        elif u == 0.0 and p < 1.0:
            raise ValueError(
                f"** : the derivative of u ** {p!r} at u = 0.0 is infinite "
                f"(u ** p is not differentiable at 0 for p < 1)"
            )
        else:
            d = p * _checked_pow(u, p - 1.0)
        op = f"**{int(p)}" if p.is_integer() else f"**{p!r}"
        return _node(y, op, (self,), (d,))  # d(uᵖ)/du = p·uᵖ⁻¹

    def exp(self) -> Value:
        """e ** self."""
        try:
            y = math.exp(self.data)
        except OverflowError:  # beyond u ≈ 709.78, eᵘ exceeds the largest float
            raise OverflowError(f"exp({self.data!r}) overflows a float") from None
        return _node(y, "exp", (self,), (y,))  # d eᵘ/du = eᵘ

    def log(self) -> Value:
        """Natural logarithm of self."""
        u = self.data
        if u <= 0.0:
            raise ValueError(f"log({u!r}): log is defined only for positive numbers")
        d = 1.0 / u  # for a subnormal u this is +inf: refuse it rather than spread it
        if not _isfinite(d):
            raise OverflowError(f"log({u!r}): the derivative 1/u overflows a float")
        return _node(math.log(u), "log", (self,), (d,))  # d ln u/du = 1/u

    def tanh(self) -> Value:
        """Hyperbolic tangent of self."""
        y = math.tanh(self.data)
        return _node(y, "tanh", (self,), (1.0 - y * y,))  # d tanh(u)/du = 1 − tanh²(u)

    def sigmoid(self) -> Value:
        """Logistic sigmoid σ(u) = 1 / (1 + e⁻ᵘ), exact 0 or 1 far out, never overflowing."""
        y = _sigmoid(self.data)
        return _node(y, "sigmoid", (self,), (y * (1.0 - y),))  # σ′(u) = σ(u)·(1 − σ(u))

    def relu(self) -> Value:
        """max(0, self), with ReLU′(0) = 0."""
        u = self.data
        return _node(u if u > 0.0 else 0.0, "relu", (self,), (1.0 if u > 0.0 else 0.0,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """u if u > 0 else slope·u, with derivative ``slope`` at 0 (as ReLU′(0) = 0)."""
        u, k = self.data, _real(slope, "the slope of leaky_relu")
        return _node(u if u > 0.0 else k * u, "leaky_relu", (self,), (1.0 if u > 0.0 else k,))

    def softplus(self) -> Value:
        """log(1 + eᵘ), computed without overflow for any finite u."""
        u = self.data
        # log(1 + eᵘ) = max(u, 0) + log(1 + e^−|u|): the exponent is never positive.
        y = max(u, 0.0) + math.log1p(math.exp(-abs(u)))
        return _node(y, "softplus", (self,), (_sigmoid(u),))  # d softplus(u)/du = σ(u)

    def abs(self) -> Value:
        """|self|, with derivative sign(u) and 0 at u = 0."""
        u = self.data
        return _node(abs(u), "abs", (self,), (1.0 if u > 0.0 else -1.0 if u < 0.0 else 0.0,))

    def sin(self) -> Value:
        """Sine of self (radians)."""
        return _node(math.sin(self.data), "sin", (self,), (math.cos(self.data),))  # d sin u/du = cos u

    def cos(self) -> Value:
        """Cosine of self (radians)."""
        return _node(math.cos(self.data), "cos", (self,), (-math.sin(self.data),))  # d cos u/du = −sin u

    # ----------------------------------------------------------------------------------------
    # Derived operations: one line each from the primitives above.
    # ----------------------------------------------------------------------------------------

    def __neg__(self) -> Value:
        """-self."""
        return self * -1.0

    def __sub__(self, other: Value | Number) -> Value:
        """self - other: self + (−other), a number negated in place (one constant, not a node)."""
        return self + (-other if isinstance(other, Value) else -_lift(other, "-").data)

    def __truediv__(self, other: Value | Number) -> Value:
        """self / other, computed as self · other⁻¹."""
        other = _lift(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / 0.0")
        return self * other**-1.0

    def __radd__(self, other: Number) -> Value:
        """other + self."""
        return self + other

    def __rmul__(self, other: Number) -> Value:
        """other * self."""
        return self * other

    def __rsub__(self, other: Number) -> Value:
        """other - self."""
        return _lift(other, "-") + (-self)

    def __rtruediv__(self, other: Number) -> Value:
        """other / self."""
        return _lift(other, "/") / self

    def __rpow__(self, other: Number) -> Value:
        """other ** self (a number base, a Value exponent)."""
        return _lift(other, "**") ** self

    def sqrt(self) -> Value:
        """Square root of self (self ** 0.5)."""
        if self.data < 0.0:
            raise ValueError(f"sqrt({self.data!r}): sqrt is defined only for non-negative numbers")
        return self**0.5

    # ----------------------------------------------------------------------------------------
    # Reverse mode.
    # ----------------------------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node (times ``grad``).

        Leaves accumulate across calls (zero them between steps); intermediate nodes are reset and
        recomputed by every call.
        """
        seed = _finite(grad, "the gradient passed to backward()")  # a NaN seed would poison every grad
        order = topological_order(self)  # parents before children; self is last
        for node in order:
            if node.parents:  # an intermediate result: its gradient belongs to this pass only
                node.grad = 0.0
        self.grad += seed
        # Walk children before parents. When a node is reached, every path from self to it has
        # already delivered its contribution, so node.grad = ∂self/∂node is complete and can be
        # passed on to its parents by the chain rule: ∂L/∂u += ∂y/∂u · ∂L/∂y.
        for node in reversed(order):
            g = node.grad
            for parent, local in zip(node.parents, node.local_grads):  # noqa: B905 (equal by construction)
                parent.grad += local * g

    def __repr__(self) -> str:
        """Value(data=..., grad=...[, label=...])."""
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


def _sigmoid(u: float) -> float:
    """σ(u) = 1 / (1 + e⁻ᵘ) on a float, never overflowing."""
    # Only ever exponentiate a non-positive number: e⁻ᵘ for u ≥ 0 and eᵘ for u < 0 are in (0, 1],
    # so neither overflows; far out the result rounds to exactly 1 or exactly 0.
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


_ONE_ONE = (1.0, 1.0)  # shared local derivatives of every +: no per-node allocation


def _node(data: float, op: str, parents: tuple[Value, ...], local_grads: tuple[float, ...]) -> Value:
    """Make the node y = op(parents) with its local derivatives (the ops' fast path: no checks
    on types, which the ops have done, only on the result)."""
    # A result that overflowed to ±inf (or became NaN) would poison every gradient downstream
    # without a word, so it is refused here, at the op that produced it.
    if not _isfinite(data):
        operands = ", ".join(repr(p.data) for p in parents)
        raise OverflowError(f"{op}({operands}) = {data!r} is not a finite number")
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node.op = op
    node.parents = parents
    node.local_grads = local_grads
    return node


_new = object.__new__


def _checked_pow(u: float, p: float) -> float:
    """u ** p for floats, with the domain errors named instead of a complex or a crash."""
    if u == 0.0 and p < 0.0:
        raise ZeroDivisionError(f"** : 0.0 ** {p!r} (zero to a negative power) is undefined")
    if u < 0.0 and not p.is_integer():
        raise ValueError(f"** : {u!r} ** {p!r} (a negative base to a non-integer power) is not a real number")
    try:
        return u**p
    except OverflowError:
        raise OverflowError(f"** : {u!r} ** {p!r} overflows a float") from None


def _pow_value(base: Value, exponent: Value) -> Value:
    """base ** exponent with both Values: y = uᵛ, ∂y/∂u = v·uᵛ⁻¹, ∂y/∂v = uᵛ·ln u."""
    u, v = base.data, exponent.data
    if u < 0.0:
        raise ValueError(
            f"** : {u!r} ** Value({v!r}): with a Value exponent the base must be "
            f"non-negative, since ∂(uᵛ)/∂v = uᵛ·ln u needs ln u (use a number exponent)"
        )
    y = _checked_pow(u, v)
    if u == 0.0:
        # 0ᵛ = 0 for v > 0: ∂/∂v = uᵛ·ln u → 0 as u → 0⁺; ∂/∂u = v·uᵛ⁻¹ is 1 at v = 1, 0 above.
        if v < 1.0:
            raise ValueError(
                f"** : the derivative of u ** {v!r} at u = 0.0 is infinite "
                f"(u ** v is not differentiable at 0 for v < 1)"
            )
        du, dv = (1.0 if v == 1.0 else 0.0), 0.0
    else:
        du, dv = v * _checked_pow(u, v - 1.0), y * math.log(u)
    return _node(y, "**", (base, exponent), (du, dv))  # ∂/∂u = v·uᵛ⁻¹, ∂/∂v = uᵛ·ln u
