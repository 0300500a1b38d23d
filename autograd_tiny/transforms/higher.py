"""Derivatives of derivatives (reverse mode, nestable) and forward mode, from the same rule table.

Reverse mode, as ``backward()`` does it, needs only the numbers a node stored when it was made:
its local derivatives. To differentiate a derivative, the chain rule has to be run on *Values*
instead, so that the gradient it produces is itself a graph:

    ∂L/∂u += ∂y/∂u · ∂L/∂y        with ∂y/∂u a Value, from the op's row in ``rules.py``.

``gradients(L, xs, create_graph=True)`` does exactly that, and what it returns can be
differentiated again. On top of it, in the style of HIPS autograd:

    grad(f)(x)              f′(x); grad(grad(f))(x) is f″(x)
    hessian(f)(*xs)         [[∂²f/∂xᵢ∂xⱼ]]
    jacobian(f)(*xs)        [[∂fₖ/∂xⱼ]], by reverse mode (a pass per output) or forward mode

Forward mode (``jvp``) runs the chain rule the other way: a tangent u̇ = ∂u/∂(direction) travels
from the inputs to the output, ẏ = Σ ∂y/∂u · u̇, one sweep per input direction. Section 7 of the
chapter is the comparison: with P inputs and one loss, reverse mode needs one backward pass and
forward mode P sweeps. None of these functions reads or writes any node's ``.grad``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from math import isfinite
from numbers import Real
from typing import Any, NoReturn

from autograd_tiny.core import functional as F
from autograd_tiny.core import rules
from autograd_tiny.core.engine import Constant, CustomOp, Number, Value, brief, finite, lift
from autograd_tiny.core.graph import topological_order

# ---------------------------------------------------------------------------------------------
# The rules' math functions on Values, so that a derivative is a graph that can be differentiated.
# Each is the float function of rules.py, written with Value operations.
# ---------------------------------------------------------------------------------------------


def _const(x: float) -> Value:
    """A number as a constant Value (a derivative that is piecewise constant: step, sign)."""
    return lift(x, "a derivative")


def _by_target(t: Value, one: Callable[[], Value], zero: Callable[[], Value]) -> Value:
    """t·one() + (1 − t)·zero() for a BCE's target t, a term left out where t is the constant 0 or 1
    (its ln or 1/u may be infinite there; floats.bce does the same). A Value t keeps both terms."""
    if not isinstance(t, Constant):
        return t * one() + (1.0 - t) * zero()
    if t.data == 1.0:
        return one()
    return zero() if t.data == 0.0 else t.data * one() + (1.0 - t.data) * zero()


VALUE_MATH: dict[str, Any] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "sigmoid_slope": lambda y, u: y * (-u).sigmoid(),  # σ′(u) = y(1 − y) = σ(u)σ(−u)
    "bce": lambda u, t: -_by_target(t, lambda: u.log(), lambda: (1.0 - u).log()),
    "bce_slope": lambda u, t: _by_target(t, lambda: -1.0 / u, lambda: 1.0 / (1.0 - u)),
    "sech2": lambda u: 4.0 * (2.0 * u).sigmoid() * (-2.0 * u).sigmoid(),  # sech²(u) = 4σ(2u)σ(−2u)
    "softplus": Value.softplus,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
    "step": lambda u: _const(rules.step(u.data)),  # its derivative is 0 wherever it exists
    "select": lambda u, a, b: a if u.data > 0.0 else b,
    "sign": lambda u: _const(rules.sign(u.data)),
    "pow": lambda u, v: u**v,
    "pow_minus_one": lambda u, v: (  # a constant exponent stays a number; 0 for u⁰, as rules.py
        (_const(0.0) if v.data == 0.0 else u ** (v.data - 1.0)) if isinstance(v, Constant) else u ** (v - 1.0)
    ),
    "xlogy": lambda x, y: _const(0.0) if x.data == 0.0 and y.data >= 0.0 else x * y.log(),
    "abs": Value.abs,
    "sin": Value.sin,
    "cos": Value.cos,
    "sum": F.sum,
    "dot": F.dot,
    "logsumexp": F.logsumexp,
    "softmax": F.softmax,
    "ones": lambda u: [1.0] * len(u),
    "square": lambda u: u * u,
    "softmax_minus_onehot": lambda z, t: [
        s - 1.0 if i == int(t.data) else s for i, s in enumerate(F.softmax(z))
    ],
}

# For each op and input: ∂y/∂(that input) as a function of the inputs (Values) and y.
_VALUE_DERIVS: dict[str, list[Callable[..., Any]]] = {
    rule.name: [
        eval(f"lambda {', '.join((*rule.names, 'y'))}: {rules.to_python(d)}", VALUE_MATH) for d in rule.derivs
    ]
    for rule in rules.TABLE
}


def local_derivatives(node: Value, wanted: Collection[int] | None = None) -> list[Value | float | None]:
    """∂node/∂(each parent) as Values (or plain numbers), None for a constant parent.

    From the op's row of the table, or from the ``rule`` given to ``Value.from_op``. ``wanted``
    (parent positions) limits the work to those parents; the others are None, never computed: ∂/∂p
    of x ** p has no real value at x < 0, and ∂/∂x does not need it.
    """
    if not isinstance(node, Value):
        raise TypeError(f"local_derivatives: node must be a Value, got {type(node).__name__}")
    if not node.parents:
        raise ValueError(f"local_derivatives: node {node!r} is a leaf: it has no parents to differentiate by")
    if isinstance(node, CustomOp):
        if node.rule is None:
            raise ValueError(
                f"{node.op}: this op was made by Value.from_op without a rule, so its local derivatives "
                f"are numbers and cannot be differentiated again; pass rule=lambda *parents: (...) "
                f"giving them as Values"
            )
        given = node.rule(*node.parents)
        n = len(node.parents)
        if isinstance(given, (Value, int, float)) and n == 1:
            given = [given]  # one parent: the rule may give its one derivative alone
        if not isinstance(given, (list, tuple)):
            raise TypeError(
                f"{node.op}: its rule must return a tuple of {n} derivatives (Values or numbers), "
                f"got {type(given).__name__}"
            )
        if len(given) != n:
            raise ValueError(f"{node.op}: its rule gave {len(given)} derivatives for {n} parents")
        given = [
            d if isinstance(d, Value) else finite(d, f"{node.op}: its rule's derivative {k}")
            for k, d in enumerate(given)
        ]
        return [None if isinstance(p, Constant) else d for p, d in zip(node.parents, given, strict=True)]
    rule = rules.RULES[node.op]
    groups = rule.split(node.parents)
    out: list[Value | float | None] = []
    for f, group, vec in zip(_VALUE_DERIVS[node.op], groups, rule.vectors, strict=True):
        first = len(out)  # the position of this input's first parent among the node's parents
        if not vec:
            if isinstance(group, Constant) or (wanted is not None and first not in wanted):
                out.append(None)  # a constant, or not asked for: its derivative is never computed
            else:
                out.append(f(*groups, node))
            continue
        asked = [wanted is None or k in wanted for k in range(first, first + len(group))]
        if not any(asked):
            out.extend([None] * len(group))
            continue
        d = f(*groups, node)
        ds = list(d) if isinstance(d, (list, tuple)) else [d] * len(group)
        out.extend(
            None if isinstance(p, Constant) or not a else di
            for p, di, a in zip(group, ds, asked, strict=True)
        )
    return out


def _times(a: Value | float, b: Value | float) -> Value | float:
    """a·b, without making a node for a factor of 1 (or 0)."""
    for x, other in ((a, b), (b, a)):
        if not isinstance(x, Value):
            if x == 1.0:
                return other
            if x == 0.0:
                return 0.0
    return a * b


def _plus(a: Value | float | None, b: Value | float) -> Value | float:
    """a + b, where a may be missing."""
    if a is None or (not isinstance(a, Value) and a == 0.0):
        return b
    if not isinstance(b, Value) and b == 0.0:
        return a
    return a + b


def _check_root_and_inputs(root: Any, inputs: Any, who: str) -> list[Value]:
    """The root must be a Value and the inputs a sequence of Values."""
    if not isinstance(root, Value):
        raise TypeError(f"{who}: the output must be a Value, got {type(root).__name__}")
    return _check_inputs(inputs, who)


def _check_inputs(inputs: Any, who: str) -> list[Value]:
    """The inputs as a list of Values (one Value is a list of one), or a TypeError."""
    if isinstance(inputs, Value):
        inputs = [inputs]
    if isinstance(inputs, (str, bytes, dict, set)) or not isinstance(inputs, (list, tuple)):
        raise TypeError(f"{who}: inputs must be a list of Values, got {type(inputs).__name__}")
    for k, x in enumerate(inputs):
        if not isinstance(x, Value):
            raise TypeError(f"{who}: inputs[{k}] must be a Value, got {type(x).__name__}")
    return list(inputs)


def _reaching(order: Sequence[Value], inputs: Sequence[Value]) -> set[int]:
    """The ids of the nodes of ``order`` (parents first) that depend on one of ``inputs``, inputs
    included: the only nodes a gradient with respect to the inputs can flow through."""
    reach = {id(x) for x in inputs}
    for node in order:
        if node.parents and id(node) not in reach:
            for p in node.parents:
                if id(p) in reach:
                    reach.add(id(node))
                    break
    return reach


def gradients(root: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Any]:
    """∂root/∂x for each x of ``inputs``: floats, or Values that can be differentiated again.

    ``create_graph=False``: the reverse sweep of ``backward()`` on the stored numbers, into a
    table of its own (no ``.grad`` is touched). ``create_graph=True``: the same sweep on Values,
    each local derivative taken from the op's rule, so the result is a graph over the inputs. An
    input the root does not depend on gets 0.0 (or a constant 0). Only the paths from the root to
    the inputs are swept, and a term with a zero factor adds nothing: an infinite local derivative
    elsewhere (∂√z/∂z at z = 0 for a z not asked for, or one times a zero gradient) is no error.
    """
    xs = _check_root_and_inputs(root, inputs, "gradients")
    if not isinstance(create_graph, bool):
        raise TypeError(f"gradients: create_graph must be True or False, got {type(create_graph).__name__}")
    order = topological_order(root)
    if not create_graph:
        _refuse_numbers_inside(order, "gradients")
    reach = _reaching(order, xs)
    if id(root) not in reach:  # the root depends on none of the inputs
        return [0.0 if not create_graph else _const(0.0) for _ in xs]
    if not create_graph:
        return _float_sweep(order, reach, root, xs)
    G: dict[int, Value | float] = {id(root): 1.0}
    for node in reversed(order):
        gn = G.get(id(node))
        if gn is None or not node.parents or (not isinstance(gn, Value) and gn == 0.0):
            continue
        wanted = [k for k, p in enumerate(node.parents) if id(p) in reach]
        if len(wanted) == len(node.parents):
            wanted = None  # every parent: no need to look each one up
        for parent, d in zip(node.parents, local_derivatives(node, wanted), strict=True):
            if d is not None:
                G[id(parent)] = _plus(G.get(id(parent)), _times(d, gn))
    return [v if isinstance(v, Value) else _const(v) for v in (G.get(id(x), 0.0) for x in xs)]


def _float_sweep(order: list[Value], reach: set[int], root: Value, xs: list[Value]) -> list[float]:
    """backward()'s chain rule on the stored numbers, only along paths from the root to ``xs``.

    ∂L/∂u += ∂y/∂u · ∂L/∂y for each edge y → u with u in ``reach``, skipping a term with a zero
    factor: 0 · ∞ is taken as 0, as forward mode does (a zero tangent carries nothing).
    """
    g: dict[int, float] = {id(root): 1.0}
    get = g.get
    for node in reversed(order):
        gn = get(id(node))
        if not gn or not node.parents:  # none reached it, or 0: nothing to pass on
            continue
        for parent, local in zip(node.parents, node.local_grads):  # noqa: B905 (equal by construction)
            if local and id(parent) in reach:
                g[id(parent)] = get(id(parent), 0.0) + local * gn
    out = [get(id(x), 0.0) for x in xs]
    for x, gx in zip(xs, out):  # noqa: B905
        if gx - gx != 0.0:  # inf or NaN reaches an asked-for gradient: say where it came from
            _gradient_not_finite(order, reach, g, x)
    return out


def _gradient_not_finite(order: list[Value], reach: set[int], g: dict[int, float], x: Value) -> NoReturn:
    """Raise an OverflowError naming the chain-rule step where ``x``'s non-finite gradient began.

    From x, follow a child whose own gradient is already non-finite towards the root; the first
    node reached only by finite gradients is where it began: an infinite local derivative, a
    product that overflows, or a sum of finite terms that does.
    """
    children: dict[int, list[Value]] = {}
    for node in order:
        if g.get(id(node)):
            for p in node.parents:
                if id(p) in reach:
                    children.setdefault(id(p), []).append(node)

    def terms(u: Value) -> Iterator[tuple[Value, float, float]]:
        """(child, ∂child/∂u, ∂L/∂child) for each edge that passed a gradient to u."""
        for child in children.get(id(u), ()):
            for parent, local in zip(child.parents, child.local_grads):  # noqa: B905
                if parent is u and local:
                    yield child, local, g[id(child)]

    node = x
    while True:
        upstream = next((c for c, _, gc in terms(node) if not isfinite(gc)), None)
        if upstream is None:
            break
        node = upstream
    name = node.label or "its input"
    for child, local, gc in terms(node):
        operands = ", ".join(repr(p.data) for p in child.parents)
        if not isfinite(local):
            raise OverflowError(
                f"gradients: the local derivative of {child.op}({operands}) with respect to {name} is "
                f"{local!r} (not finite there), and a gradient of {gc!r} has to flow through it"
            )
        if not isfinite(local * gc):
            raise OverflowError(
                f"gradients: the gradient overflows at {child.op}({operands}): local derivative "
                f"{local!r} × upstream gradient {gc!r} = {local * gc!r}"
            )
    raise OverflowError(
        f"gradients: the gradient of {node.label or node.op or 'an input'} overflows: the sum of its "
        f"chain-rule terms is {g[id(node)]!r}"
    )


# ---------------------------------------------------------------------------------------------
# Function transformations, HIPS-autograd style.
# ---------------------------------------------------------------------------------------------

# Nesting. A transform (grad, hessian, jacobian, jvp) runs f on variables of its own and then
# differentiates what f returned; whatever f computes by another transform on the way must come
# back as a graph over those variables (Values), or the outer derivative would treat it as a
# constant and be silently 0. So each transform records, while f runs, its name and variables on a
# stack that belongs to the calling thread (f runs to its end in that thread, so nothing else can
# interleave there), never a module global that another thread's grad() could see; a thread
# started inside f begins with an empty stack, at top level. A transform called while one is
# running, or with a Value, is nested.


class _Running(threading.local):
    """The transforms running in this thread, innermost last: (name, its variables)."""

    stack: tuple[tuple[str, tuple[Value, ...]], ...] = ()


_RUNNING = _Running()


@contextmanager
def running(who: str, variables: Sequence[Value]) -> Iterator[None]:
    """Mark the transform ``who``, differentiating by ``variables``, as running around the block.

    Code that calls a user's f on variables of its own and differentiates the result (the
    transforms here, gradcheck) runs f inside this, so that transforms f calls return Values.
    """
    before = _RUNNING.stack
    _RUNNING.stack = (*before, (who, tuple(variables)))
    try:
        yield
    finally:
        _RUNNING.stack = before


def _nested(args: Sequence[Any]) -> bool:
    """Whether a transform's result must be Values: inside another transform, or given a Value."""
    return bool(_RUNNING.stack) or any(isinstance(a, Value) for a in args)


def _refuse_numbers_inside(order: Sequence[Value], who: str) -> None:
    """A ValueError if a transform is running and this graph depends on its variables: plain
    numbers computed from them would be constants to it, and its derivative silently 0."""
    running = _RUNNING.stack
    if not running:
        return
    ids = {id(n) for n in order}
    for name, variables in reversed(running):
        if any(id(v) in ids for v in variables):
            raise ValueError(
                f"{who}: called inside {name}() on a graph that depends on {name}'s variable, with "
                f"create_graph=False: its result would be plain numbers, constants to {name}(), and "
                f"the derivative through them silently 0; pass create_graph=True (or call grad, "
                f"hessian, jacobian or jvp, which nest)"
            )


def _no_keywords(who: str, kwargs: dict[str, Any]) -> None:
    """A TypeError for keyword arguments, saying how to pass them."""
    if kwargs:
        given = ", ".join(f"{k}={brief(v, 20)}" for k, v in kwargs.items())
        raise TypeError(
            f"{who}: the derivative function takes positional arguments only (it differentiates by "
            f"them), got the keyword argument(s) {given}; pass them by position or close over them, "
            f"e.g. {who}(lambda x: f(x, {given}))"
        )


def _scalar(out: Any, who: str) -> Value:
    """A function's output, checked to be one Value (a list of one is accepted)."""
    if isinstance(out, (list, tuple)) and len(out) == 1:
        out = out[0]
    if isinstance(out, Value):
        return out
    if isinstance(out, (int, float)) and not isinstance(out, bool):
        return _const(out)  # f does not depend on its input at all
    raise TypeError(f"{who}: f must return a scalar Value, got {type(out).__name__}")


def _callable(f: Any, who: str) -> None:
    """A TypeError unless f can be called."""
    if not callable(f):
        raise TypeError(f"{who}: f must be a function, got {type(f).__name__}")


def grad(f: Callable[..., Value], argnum: int = 0) -> Callable[..., Any]:
    """The derivative of a scalar function of scalars with respect to argument ``argnum``.

    ``grad(f)(2.0)`` is f′(2) as a float; ``grad(grad(f))(2.0)`` is f″(2). Inside another
    transform (or called with a Value) it returns a Value, so the outer one can differentiate it.
    At top level with numbers the float is a constant to a later ``gradients()``, even if f closes
    over Values: to differentiate it by one of them, pass that Value or call it inside a transform.
    """
    _callable(f, "grad")
    if isinstance(argnum, bool) or not isinstance(argnum, int):
        raise TypeError(f"grad: argnum must be an int, got {argnum!r}")

    def df(*args: Value | Number, **kwargs: Any) -> Any:
        _no_keywords("grad", kwargs)
        if not -len(args) <= argnum < len(args):
            raise ValueError(f"grad: argnum {argnum} is out of range for {len(args)} argument(s)")
        i = argnum % len(args)
        x = args[i]
        nested = bool(_RUNNING.stack) or isinstance(x, Value)
        # A fresh node for the variable, even when x is already a Value: differentiating by it then
        # never confuses this derivative's variable with an outer one that has the same value.
        leaf = x + 0.0 if isinstance(x, Value) else Value(finite(x, "grad: the argument"), "x")
        # The other arguments, if numbers, become constants: f may use Value methods on every one.
        rest = [lift(a, "grad") if isinstance(a, Real) and not isinstance(a, bool) else a for a in args]
        with running("grad", [leaf]):
            out = _scalar(f(*rest[:i], leaf, *rest[i + 1 :]), "grad")
        (d,) = gradients(out, [leaf], create_graph=nested)
        return d if nested else float(d)

    df.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    df.__doc__ = f"The derivative of {getattr(f, '__name__', 'f')} with respect to argument {argnum}."
    return df


def _leaves(xs: Sequence[Value | Number], who: str) -> list[Value]:
    """Numbers as fresh leaves x0, x1, …; a Value is differentiated through a fresh identity node."""
    if not xs:
        raise ValueError(f"{who}: give at least one input")
    return [
        x + 0.0 if isinstance(x, Value) else Value(finite(x, f"{who}: input {i}"), f"x{i}")
        for i, x in enumerate(xs)
    ]


def hessian(f: Callable[..., Value]) -> Callable[..., list[list[Any]]]:
    """``hessian(f)(*xs)``: the matrix of second derivatives ∂²f/∂xᵢ∂xⱼ, as lists of floats.

    Inside another transform (or given a Value) its entries are Values, so it nests.
    """
    _callable(f, "hessian")

    def H(*xs: Value | Number, **kwargs: Any) -> list[list[Any]]:
        _no_keywords("hessian", kwargs)
        nested = _nested(xs)
        X = _leaves(xs, "hessian")
        with running("hessian", X):
            out = _scalar(f(*X), "hessian")
        first = gradients(out, X, create_graph=True)  # ∂f/∂xᵢ, each a graph over X
        if nested:
            return [gradients(gi, X, create_graph=True) for gi in first]
        return [[float(h) for h in gradients(gi, X)] for gi in first]

    return H


def _outputs(out: Any, who: str) -> list[Value]:
    """A function's outputs as a list of Values."""
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    if not outs:
        raise ValueError(f"{who}: f returned no outputs")
    return [o if isinstance(o, Value) else _scalar(o, who) for o in outs]


def _forward_order(outputs: Sequence[Value]) -> list[Value]:
    """One topological order of everything the outputs depend on."""
    seen: set[int] = set()
    order: list[Value] = []
    for out in outputs:
        for node in topological_order(out):
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
    return order


def tangents(
    outputs: Sequence[Value], inputs: Sequence[Value], direction: Sequence[Any], create_graph: bool = False
) -> list[Any]:
    """Forward mode on a recorded graph: the directional derivative of each output.

    A tangent u̇ starts at each input (its entry of ``direction``) and is carried forward by the
    chain rule, ẏ = Σ ∂y/∂u · u̇, with the local derivatives the nodes stored: one sweep, whatever
    the number of outputs. ``create_graph=True`` carries Values instead (each ∂y/∂u from the op's
    rule; a direction may hold Values), so the result can be differentiated again.
    """
    if isinstance(outputs, Value):
        raise TypeError("tangents: outputs must be a list of Values, got a Value (wrap it in a list)")
    if isinstance(outputs, (str, bytes, dict, set)) or not isinstance(outputs, (list, tuple)):
        raise TypeError(f"tangents: outputs must be a list of Values, got {type(outputs).__name__}")
    for k, o in enumerate(outputs):
        if not isinstance(o, Value):
            raise TypeError(f"tangents: outputs[{k}] must be a Value, got {type(o).__name__}")
    xs = _check_inputs(inputs, "tangents")
    if isinstance(direction, (str, bytes, dict, set)) or not isinstance(direction, (list, tuple)):
        raise TypeError(f"tangents: direction must be a list of numbers, got {type(direction).__name__}")
    if len(direction) != len(xs):
        raise ValueError(f"tangents: {len(xs)} inputs but {len(direction)} numbers in direction")
    if not isinstance(create_graph, bool):
        raise TypeError(f"tangents: create_graph must be True or False, got {type(create_graph).__name__}")
    order = _forward_order(outputs)
    if create_graph:
        return _tangent_graphs(order, outputs, xs, direction)
    _refuse_numbers_inside(order, "tangents")
    t = {id(x): finite(d, f"tangents: direction[{k}]") for k, (x, d) in enumerate(zip(xs, direction))}  # noqa: B905
    for node in order:
        if node.parents and id(node) not in t:
            # only the parents that carry a tangent count: one with u̇ = 0 adds nothing, even where
            # ∂y/∂u is infinite (√u at 0), as backward() refuses such a derivative only when a
            # gradient flows through it (inf · 0 would be NaN)
            pairs = zip(node.parents, node.local_grads)  # noqa: B905 (equal by construction)
            dot = sum([local * t[id(p)] for p, local in pairs if t.get(id(p), 0.0)], 0.0)
            if dot - dot != 0.0:  # inf or NaN: refuse it, naming the op, as reverse mode does
                _tangent_not_finite(node, t, dot)
            t[id(node)] = dot
    return [t.get(id(o), 0.0) for o in outputs]


def _tangent_graphs(
    order: list[Value], outputs: Sequence[Value], xs: list[Value], direction: Sequence[Any]
) -> list[Value]:
    """Forward mode on Values: ẏ = Σ ∂y/∂u · u̇ with each ∂y/∂u a Value from the op's rule."""
    t: dict[int, Value | float] = {}
    for k, (x, d) in enumerate(zip(xs, direction)):  # noqa: B905 (checked equal)
        t[id(x)] = d if isinstance(d, Value) else finite(d, f"tangents: direction[{k}]")
    for node in order:
        if not node.parents or id(node) in t:
            continue
        # a parent carries a tangent if it has one that is not the number 0 (a Value 0 may have a
        # derivative of its own); only those parents' local derivatives are computed
        carried = [k for k, p in enumerate(node.parents) if _carries(t.get(id(p)))]
        if carried:
            dot: Value | float | None = None
            for k, d in enumerate(local_derivatives(node, carried)):
                if d is not None:
                    dot = _plus(dot, _times(d, t[id(node.parents[k])]))
            if dot is not None:
                t[id(node)] = dot
    return [v if isinstance(v, Value) else _const(v) for v in (t.get(id(o), 0.0) for o in outputs)]


def _carries(tangent: Value | float | None) -> bool:
    """Whether a tangent can contribute: a Value, or a number other than 0."""
    return isinstance(tangent, Value) or (tangent is not None and tangent != 0.0)


def _tangent_not_finite(node: Value, t: dict[int, float], dot: float) -> None:
    """Raise an OverflowError saying why ``node``'s tangent ``dot`` is not finite."""
    operands = ", ".join(repr(p.data) for p in node.parents)
    for p, local in zip(node.parents, node.local_grads):  # noqa: B905
        tp = t.get(id(p), 0.0)
        if tp and local - local != 0.0:
            raise OverflowError(
                f"forward mode: the local derivative of {node.op}({operands}) with respect to "
                f"{p.label or 'its input'} is {local!r} (not finite there), and a tangent of {tp!r} "
                "has to flow through it"
            )
    raise OverflowError(
        f"forward mode: the tangent overflows at {node.op}({operands}): "
        f"Σ local derivative × tangent = {dot!r}"
    )


def _numbers(xs: Any, what: str) -> list[Any]:
    """A list of inputs or tangents, refusing what is not one."""
    if isinstance(xs, (str, bytes, dict, set)) or not isinstance(xs, (list, tuple)):
        raise TypeError(f"jvp: {what} must be a list of numbers, got {type(xs).__name__}")
    return list(xs)


def jvp(f: Callable[..., Any], inputs: Sequence[Any], tangents_: Sequence[Any]) -> tuple[Any, Any]:
    """(f(inputs), the derivative of f at inputs in the direction ``tangents_``) by forward mode.

    For a scalar f both are floats; for a list-valued f both are lists. Inside another transform
    (or given a Value among the inputs or tangents) they are Values, so it nests.
    """
    _callable(f, "jvp")
    xs, ts = _numbers(inputs, "inputs"), _numbers(tangents_, "tangents")
    if len(xs) != len(ts):
        raise ValueError(f"jvp: {len(xs)} inputs but {len(ts)} tangents")
    nested = _nested([*xs, *ts])
    X = _leaves(xs, "jvp")
    with running("jvp", X):
        raw = f(*X)
    outs = _outputs(raw, "jvp")
    dots = tangents(outs, X, ts, create_graph=nested)
    values = outs if nested else [o.data for o in outs]
    if isinstance(raw, (list, tuple)):
        return values, dots
    return values[0], dots[0]


def jacobian(f: Callable[..., Any], mode: str = "reverse") -> Callable[..., list[list[Any]]]:
    """``jacobian(f)(*xs)``: [[∂fₖ/∂xⱼ]] (a row per output), by reverse or forward mode.

    Reverse mode makes one backward sweep per output; forward mode one tangent sweep per input.
    Both give the same matrix: floats, or Values inside another transform (or given a Value).
    """
    _callable(f, "jacobian")
    if mode not in ("reverse", "forward"):
        raise ValueError(f"jacobian: mode must be 'reverse' or 'forward', got {mode!r}")

    def J(*xs: Value | Number, **kwargs: Any) -> list[list[Any]]:
        _no_keywords("jacobian", kwargs)
        nested = _nested(xs)
        X = _leaves(xs, "jacobian")
        with running("jacobian", X):
            outs = _outputs(f(*X), "jacobian")
        if mode == "reverse":
            if nested:
                return [gradients(o, X, create_graph=True) for o in outs]
            return [[float(d) for d in gradients(o, X)] for o in outs]
        n = len(X)
        columns = [tangents(outs, X, [1.0 if i == j else 0.0 for i in range(n)], nested) for j in range(n)]
        return [[columns[j][k] for j in range(n)] for k in range(len(outs))]

    return J
