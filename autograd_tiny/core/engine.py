"""The scalar reverse-mode engine: ``Value``, its operations and ``backward()``.

Notation. Every operation makes a node y = f(u) or y = f(u, v) from its parents u, v. At the
moment the node is made, all the numbers it depends on are known, so it also records its
*local derivatives* ∂y/∂u (and ∂y/∂v): the chapter's "local gradient". The backward pass then
needs no calculus at all, only the chain rule

    ∂L/∂u += ∂y/∂u · ∂L/∂y        for every node y and each of its parents u,

applied in reverse topological order.

The rules themselves (y = tanh(u), ∂y/∂u = 1 − tanh²(u), …) are not written here: each op is one
row of the table in ``rules.py``, and the engine makes a node of op ``name`` with the function
``OPS[name]`` that the table generates (``rules.float_source`` prints it). Each operator below is
one line that picks its row; the conveniences (sqrt, reflected operators) are one line each too.

Design notes for the curious:
- A node stores plain numbers (its local derivatives), never a closure. micrograd's closures
  capture their own output node, a reference cycle that only the cycle collector can free; here a
  graph is freed by reference counting the moment its last name goes away.
- Each node's ``parents`` is a tuple in argument order with duplicates kept, so ``x + x`` has
  parents ``(x, x)`` and contributes both edges: ∂(x + x)/∂x = 1 + 1 = 2.
- A number in an expression (the 3 of ``x * 3``) becomes a ``Constant`` leaf: a parent like any
  other, whose gradient nobody needs. A local derivative that cannot be computed (∂√u/∂u at 0) is
  stored as inf, and ``backward`` refuses it, naming the op, only if a gradient flows through it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real

from autograd_tiny.core import rules
from autograd_tiny.core.floats import not_finite, refuse_operands
from autograd_tiny.core.graph import topological_order
from autograd_tiny.core.rules import NO_DERIVATIVES

Number = int | float
_isfinite = math.isfinite
_INT_LIMIT = 2**1023  # every int below this in size is a finite float


def brief(x: object, width: int = 40) -> str:
    """repr(x) cut to ``width`` characters; an int too long for repr (10**5000) is described."""
    try:
        text = repr(x)
    except ValueError:  # CPython refuses to print an int of more than 4,300 digits
        if isinstance(x, int):
            return f"an int of about {round(x.bit_length() * math.log10(2))} digits"
        return f"a {type(x).__name__} too large to print"
    return text if len(text) <= width else text[:width] + "…"


def real_number(x: object, what: str) -> float:
    """``x`` as a float, or a TypeError naming ``what`` if it is not a real number."""
    if type(x) is float:  # the common case; np.float64 (a float subclass) is converted below
        return x
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__}: {brief(x, 60)}")
    try:
        return float(x)
    except OverflowError:  # a huge int or Fraction
        raise OverflowError(f"{what} is too large for a float: {brief(x)}") from None


def finite(x: object, what: str) -> float:
    """``x`` as a finite float: a TypeError if it is not a real number, a ValueError if inf or NaN."""
    x = real_number(x, what)
    if not _isfinite(x):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return x


def lift(x: object, op: str) -> Value:
    """An operand as a Value: a number becomes a ``Constant`` leaf; anything else is a TypeError."""
    if isinstance(x, Value):
        return x
    c = _new(Value)
    if type(x) is int and -_INT_LIMIT < x < _INT_LIMIT:  # the 3 of x ** 3
        x = float(x)
    # the message naming the op is made only when needed: it would cost more than the whole check
    c.data = x if type(x) is float and _isfinite(x) else finite(x, f"the operand of {op}")
    c.grad = 0.0
    c.label = ""
    c.op = ""
    c.parents = ()
    c.local_grads = NO_DERIVATIVES  # what marks it as a constant
    return c


# Every op of the table as a function that makes its node: OPS["mul"](u, v) is u * v. The code is
# generated from the op's row (print(rules.float_source(rules.RULES["mul"])) shows it); it runs
# with _ENV as its global names, which are filled in below, once the classes exist.
_ENV: dict[str, object] = {}
OPS: dict[str, Callable[..., Value]] = rules.float_functions(_ENV)


class Value:
    """A scalar in a computation graph: its data, its gradient and how it was computed."""

    # __slots__ keeps a node at ~80 bytes and makes attribute access faster; there is no
    # per-instance __dict__, so a typo such as ``v.gard = 1`` is an error, not a new attribute.
    __slots__ = ("data", "grad", "label", "op", "parents", "local_grads")

    def __init__(self, data: Number, label: str = "") -> None:
        """A leaf node holding ``data`` (converted to float); ``label`` names it in traces."""
        data = finite(data, "Value data")
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
        parents: Sequence[Value],
        local_grads: Sequence[Number],
        label: str = "",
        rule: Callable[..., Sequence[Value | Number]] | None = None,
    ) -> Value:
        """A node made by ``op`` from ``parents``, with local derivatives ∂y/∂parent: a new primitive.

        To add an operation of your own, compute y and its local derivatives from the parents'
        data and pass them here; ``backward()`` and ``gradcheck`` then treat it like any other op.
        ``rule(*parents)`` returning the local derivatives as Values (or numbers) lets
        ``higher.py`` differentiate through it twice; without one, a second derivative is refused.
        """
        if not isinstance(op, str) or not op:
            raise TypeError(f"from_op: op must be a non-empty str naming the operation, got {op!r}")
        if isinstance(parents, Value) or not isinstance(parents, (tuple, list)):
            raise TypeError(f"{op}: parents must be a tuple of Values, got {type(parents).__name__}")
        if isinstance(local_grads, (str, bytes)) or not isinstance(local_grads, (tuple, list)):
            raise TypeError(f"{op}: local_grads must be a tuple of numbers, got {type(local_grads).__name__}")
        parents = tuple(parents)
        if not all(isinstance(p, Value) for p in parents):
            raise TypeError(f"{op}: every parent must be a Value")
        refuse_operands(op, parents)  # a .data set by hand to inf or NaN
        grads = tuple(real_number(d, f"{op}: a local derivative") for d in local_grads)
        if len(grads) != len(parents):
            raise ValueError(f"{op}: {len(parents)} parents but {len(grads)} local derivatives")
        if not all(_isfinite(d) for d in grads):
            raise ValueError(f"{op}: local derivatives must be finite, got {grads}")
        if not isinstance(label, str):
            raise TypeError(f"{op}: label must be a str, got {type(label).__name__}")
        if rule is not None and not callable(rule):
            raise TypeError(f"{op}: rule must be a function of the parents, got {type(rule).__name__}")
        node = _new(CustomOp)
        node.data = finite(data, f"{op}: the result")
        node.grad, node.label, node.op, node.parents, node.local_grads = 0.0, label, op, parents, grads
        node.rule = rule
        return node

    # ----------------------------------------------------------------------------------------
    # Operations: each makes a node with the function the rule table generated for its op.
    # ----------------------------------------------------------------------------------------

    # Each operator is the op's function from the table; a number operand is lifted to a Constant.
    __add__ = OPS["add"]  # self + other
    __sub__ = OPS["sub"]  # self - other
    __mul__ = OPS["mul"]  # self * other
    __neg__ = OPS["neg"]  # -self
    __pow__ = OPS["pow"]  # self ** other (a number or a Value exponent)
    exp = OPS["exp"]
    log = OPS["log"]
    tanh = OPS["tanh"]
    sigmoid = OPS["sigmoid"]  # σ(u) = 1 / (1 + e⁻ᵘ), exact 0 or 1 far out, never overflowing
    relu = OPS["relu"]  # max(0, u), with ReLU′(0) = 0
    softplus = OPS["softplus"]  # log(1 + eᵘ), without overflow for any finite u
    abs = OPS["abs"]  # |u|, with derivative sign(u), 0 at u = 0
    sin = OPS["sin"]
    cos = OPS["cos"]

    def __radd__(self, other: Number) -> Value:
        """other + self."""
        return OPS["add"](other, self)

    def __rsub__(self, other: Number) -> Value:
        """other - self."""
        return OPS["sub"](other, self)

    def __rmul__(self, other: Number) -> Value:
        """other * self."""
        return OPS["mul"](other, self)

    def __truediv__(self, other: Value | Number) -> Value:
        """self / other."""
        other = lift(other, "/")
        if other.data == 0.0:
            raise ZeroDivisionError(f"division by zero: {self.data!r} / {other.data!r}")
        return OPS["div"](self, other)

    def __rtruediv__(self, other: Number) -> Value:
        """other / self."""
        return lift(other, "/") / self

    def __rpow__(self, other: Number) -> Value:
        """other ** self (a number base, a Value exponent)."""
        return OPS["pow"](other, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """u if u > 0 else slope·u, with derivative ``slope`` at 0 (as ReLU′(0) = 0)."""
        return OPS["leaky_relu"](self, lift(slope, "leaky_relu's slope"))

    def sqrt(self) -> Value:
        """Square root of self (self ** 0.5)."""
        return self**0.5

    # ----------------------------------------------------------------------------------------
    # Reverse mode.
    # ----------------------------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node (times ``grad``).

        Leaves accumulate across calls (zero them between steps); intermediate nodes are reset and
        recomputed by every call. A gradient that overflows, or flows through an infinite local
        derivative, is an error naming the op where it happened.
        """
        seed = finite(grad, "the gradient passed to backward()")  # a NaN seed would poison every grad
        order = topological_order(self)  # parents before children; self is last
        held, before = [], []  # leaves with gradients from earlier calls, and those gradients
        for node in order:
            if node.grad:  # a fresh graph has none: nothing to do
                if not node.parents:  # a leaf accumulates: keep what it had, add it back at the end
                    held.append(node)
                    before.append(node.grad)
                node.grad = 0.0  # an intermediate result's gradient belongs to this pass only
        self.grad += seed
        # Walk children before parents. When a node is reached, every path from self to it has
        # already delivered its contribution, so node.grad = ∂self/∂node is complete and can be
        # passed on to its parents by the chain rule: ∂L/∂u += ∂y/∂u · ∂L/∂y.
        total = 0.0  # the sum of every gradient: inf or NaN if any of them is
        for node in reversed(order):
            g = node.grad
            total += g
            if node.parents:  # a leaf has nobody to pass its gradient to
                for parent, local in zip(node.parents, node.local_grads):  # noqa: B905 (equal by construction)
                    parent.grad += local * g
        if total - total != 0.0:  # total − total is 0 for a finite total, NaN for ±inf and NaN
            try:
                grads = {id(n): n.grad for n in order}
                for node in reversed(order):  # the first non-finite gradient, and where it came from
                    if not _isfinite(node.grad):
                        check_gradient(order, node, grads)
            except ArithmeticError:
                _restore_leaves(order, held, before)
                raise
        # A leaf accumulates: this pass's gradient is added to the earlier ones as one number, so
        # two calls give exactly twice one call's gradient.
        for leaf, g in zip(held, before):  # noqa: B905 (equal by construction)
            now = leaf.grad
            leaf.grad += g
            if leaf.grad - leaf.grad != 0.0:  # each was finite, their sum overflows
                _restore_leaves(order, held, before)
                raise OverflowError(
                    f"backward: the gradient of {leaf.label or 'a leaf'} overflows when added to the one "
                    f"it holds from before: {g!r} + {now!r} (zero the gradients between steps?)"
                )

    def __repr__(self) -> str:
        """Value(data=..., grad=...[, label=...])."""
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"


class _ConstantCheck(type):
    """``isinstance(v, Constant)``: whether v is a Value marked as a constant."""

    def __instancecheck__(cls, v: object) -> bool:
        """True for a Value whose local_grads is the constant marker."""
        return getattr(v, "local_grads", None) is NO_DERIVATIVES


class Constant(metaclass=_ConstantCheck):
    """A number an operation lifted into the graph (the 3 of ``x * 3``): a leaf needing no gradient.

    Not a subclass of Value: a constant is a plain ``Value`` whose ``local_grads`` is the marker
    ``rules.NO_DERIVATIVES``, and ``isinstance(v, Constant)`` asks for that marker. So the backward
    pass meets one type of node, which CPython runs about 10% faster than a mix of two.
    """


class CustomOp(Value):
    """A node made by ``Value.from_op``: its op is the user's, with an optional Value-space rule."""

    __slots__ = ("rule",)


def _restore_leaves(order: list[Value], held: list[Value], before: list[float]) -> None:
    """Put every leaf's gradient back as it was before a backward() call that failed."""
    earlier = {id(leaf): g for leaf, g in zip(held, before)}  # noqa: B905
    for n in order:
        if not n.parents:
            n.grad = earlier.get(id(n), 0.0)


def check_gradient(order: list[Value], node: Value, grads: dict[int, float]) -> None:
    """Raise, naming the op, if ``node``'s gradient ``grads[id(node)]`` is inf or NaN.

    Called only when that happened; it finds the child whose chain-rule step produced the bad
    number. A constant's gradient is never used, so an infinite one there is no error.
    """
    if isinstance(node, Constant):
        return
    for child in order:
        g = grads.get(id(child), 0.0)
        for parent, local in zip(child.parents, child.local_grads):  # noqa: B905
            if parent is node and not _isfinite(local * g):
                operands = ", ".join(repr(p.data) for p in child.parents)
                if not _isfinite(local):
                    raise OverflowError(
                        f"backward: the local derivative of {child.op}({operands}) with respect to "
                        f"{node.label or 'its input'} is {local!r} (not finite there), and a gradient "
                        f"of {g!r} has to flow through it"
                    )
                raise OverflowError(
                    f"backward: the gradient overflows at {child.op}({operands}): local derivative "
                    f"{local!r} × upstream gradient {g!r} = {local * g!r}"
                )
    raise OverflowError(
        f"backward: the gradient of {node.label or node.op or 'a leaf'} is {grads[id(node)]!r}"
    )


_new = object.__new__
_ENV.update(Value=Value, lift=lift, new=_new, not_finite=not_finite, refuse_operands=refuse_operands)
