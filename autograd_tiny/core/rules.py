"""The one table of primitive operations: each op's forward function and its local derivatives.

Every operation of the engine is a row of ``TABLE`` below, stated once:

    name       the op's name, used as ``node.op`` (a Python identifier)
    inputs     its parents' names; ``w*`` is a vector (a list of parents), the others are scalars
    forward    y as an expression of the inputs
    derivs     ∂y/∂(each input), expressions of the inputs and of y itself

The expressions are Python, over a small set of math functions (``exp``, ``log``, ``sigmoid``,
``step``, …: floats.py). That one text is read many ways, which is the point of this module:

- on floats: the engine turns each row into a small Python function that computes y and its
  local derivatives when a node is made (``float_source`` shows that code);
- on Values: the same derivative expressions evaluated with Value arithmetic give derivatives
  that can be differentiated again (transforms/higher.py: second derivatives, Hessians);
- as text and LaTeX: ``to_text`` and ``to_latex`` (printing.py) print an expression with the names
  of the parents substituted, so trace and the stepper read "∂a/∂z = 1 − tanh²(z)";
- as Python source: ``to_python`` renames the inputs, for the code that transforms/compile writes.

A number that an op lifts into the graph (the 3 of ``x * 3``) is a constant parent; its
derivative is never needed, so an op's parameters (an exponent, a leaky slope) are simply
constant parents of its node: ``x ** 2`` is ``pow(x, 2)``, the same rule as ``x ** y``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autograd_tiny.core.floats import *  # noqa: F403  the names the rules use, as rules.square etc.
from autograd_tiny.core.floats import FLOAT_MATH
from autograd_tiny.core.printing import to_latex as to_latex  # re-exported: rules.to_latex
from autograd_tiny.core.printing import to_python, to_text


class _NoDerivatives(tuple):
    """An empty tuple that is not *the* empty tuple, so that it can mark something."""

    __slots__ = ()


# The local_grads of a number constant (engine.Constant): it has no parents, and nobody ever needs
# a derivative with respect to it, so the ops below never compute one.
NO_DERIVATIVES = _NoDerivatives()


# ---------------------------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One primitive op: its name, inputs, forward expression and one derivative per input."""

    name: str
    inputs: tuple[str, ...]  # "u", "v"; a trailing * marks a vector input: ("w*", "x*", "b")
    forward: str
    derivs: tuple[str, ...]
    symbol: str  # how a drawing labels the op node

    @property
    def names(self) -> tuple[str, ...]:
        """The inputs' names without the vector marks."""
        return tuple(n.rstrip("*") for n in self.inputs)

    @property
    def vectors(self) -> tuple[bool, ...]:
        """For each input, whether it is a vector."""
        return tuple(n.endswith("*") for n in self.inputs)

    @property
    def arity(self) -> int | None:
        """The number of parents, or None if it has a vector input (any number)."""
        return None if any(self.vectors) else len(self.inputs)

    def split(self, parents: Sequence[Any]) -> list[Any]:
        """A node's flat parents grouped as this rule's inputs: affine's (w…, x…, b) → [w, x, b]."""
        if isinstance(parents, (str, bytes, dict, set)) or not isinstance(parents, Sequence):
            raise TypeError(f"{self.name}.split: parents must be a list, got {type(parents).__name__}")
        k = sum(self.vectors)
        if not k and len(parents) != len(self.inputs):
            raise ValueError(
                f"{self.name}.split: parents has {len(parents)} entries, the op takes {len(self.inputs)}"
            )
        if k and (len(parents) < len(self.inputs) - k or (len(parents) - (len(self.inputs) - k)) % k):
            raise ValueError(f"{self.name}.split: {len(parents)} parents do not fit the inputs {self.inputs}")
        if not k:
            return list(parents)
        n = (len(parents) - (len(self.inputs) - k)) // k  # every vector input has the same length
        groups, i = [], 0
        for vec in self.vectors:
            groups.append(list(parents[i : i + n]) if vec else parents[i])
            i += n if vec else 1
        return groups

    def locate(self, k: int, n_parents: int) -> tuple[int, int | None]:
        """Which input a node's k-th parent is, and its place in that vector (None for a scalar)."""
        for what, x in (("k", k), ("n_parents", n_parents)):
            if isinstance(x, bool) or not isinstance(x, int):
                raise TypeError(f"{self.name}.locate: {what} must be an int, got {type(x).__name__}")
        if self.arity is not None and n_parents != self.arity:
            raise ValueError(f"{self.name}.locate: n_parents = {n_parents}, the op takes {self.arity}")
        if not 0 <= k < n_parents:
            raise ValueError(
                f"{self.name}.locate: k = {k} is not a parent number of a node with {n_parents} parents"
            )
        vec = sum(self.vectors)
        n = (n_parents - (len(self.inputs) - vec)) // vec if vec else 1  # each vector input's length
        start = 0  # the parents of input j are parents[start : start + (n if a vector else 1)]
        for j, is_vector in enumerate(self.vectors):
            width = n if is_vector else 1
            if start <= k < start + width:
                return j, (k - start) if is_vector else None
            start += width
        raise ValueError(
            f"{self.name}.locate: k = {k} is not a parent number of a node with {n_parents} parents"
        )


def _rule(name: str, inputs: str, forward: str, derivs: Sequence[str], symbol: str = "") -> Rule:
    """A Rule from the table's compact columns."""
    return Rule(name, tuple(inputs.split()), forward, tuple(derivs), symbol or name)


# fmt: off
TABLE: list[Rule] = [
    #      name          inputs      y =                   ∂y/∂(each input)                         drawn as
    _rule("add",        "u v",      "u + v",              ["1", "1"],                              "+"),
    _rule("sub",        "u v",      "u - v",              ["1", "-1"],                             "−"),
    _rule("mul",        "u v",      "u * v",              ["v", "u"],                              "×"),
    _rule("div",        "u v",      "u / v",              ["1 / v", "-y / v"],                     "÷"),
    _rule("neg",        "u",        "-u",                 ["-1"],                                  "−"),
    _rule("pow",        "u v",      "pow(u, v)",          ["v * pow_minus_one(u, v)", "xlogy(y, u)"], "**"),
    _rule("exp",        "u",        "exp(u)",             ["y"]),
    _rule("log",        "u",        "log(u)",             ["1 / u"]),
    _rule("tanh",       "u",        "tanh(u)",            ["sech2(u)"]),            # 1 − tanh²(u)
    _rule("sigmoid",    "u",        "sigmoid(u)",         ["sigmoid_slope(y, u)"], "σ"),  # y(1 − y)
    _rule("relu",       "u",        "relu(u)",            ["step(u)"]),             # ReLU′(0) = 0
    _rule("leaky_relu", "u k",      "leaky_relu(u, k)",   ["select(u, 1, k)", "select(u, 0, u)"]),
    _rule("softplus",   "u",        "softplus(u)",        ["sigmoid(u)"]),
    _rule("abs",        "u",        "abs(u)",             ["sign(u)"]),
    _rule("sin",        "u",        "sin(u)",             ["cos(u)"]),
    _rule("cos",        "u",        "cos(u)",             ["-sin(u)"]),
    # n-ary ops: one node for a whole sum, dot product or neuron, as the chapter writes z = w·x + b
    _rule("sum",        "u*",       "sum(u)",             ["ones(u)"],                             "Σ"),
    _rule("dot",        "w* x*",    "dot(w, x)",          ["x", "w"],                              "w·x"),
    _rule("affine",     "w* x* b",  "dot(w, x) + b",      ["x", "w", "1"],                         "w·x+b"),
    _rule("logsumexp",  "u*",       "logsumexp(u)",       ["softmax(u)"],                          "logΣexp"),
    # the losses the chapter treats as one step, each with the chapter's local derivative
    _rule("squared_error",   "u v",  "square(u - v)",       ["2 * (u - v)", "-2 * (u - v)"], "(ŷ − {})²"),
    _rule("bce",             "u t",  "bce(u, t)",           ["bce_slope(u, t)", "log((1 - u) / u)"],
          "BCE(y = {})"),  # of a probability ŷ: ∂/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)), and with σ′ it is ŷ − y
    _rule("bce_with_logits", "z t",  "softplus(z) - t * z", ["sigmoid(z) - t", "-z"],        "BCE(y = {})"),
    _rule("cross_entropy",   "z* t", "cross_entropy(z, t)", ["softmax_minus_onehot(z, t)", "0"], "CE({})"),
]
# fmt: on
RULES: dict[str, Rule] = {r.name: r for r in TABLE}

# The one-argument functions a user may call by name (the CLI's expression parser reads this list).
UNARY_FUNCTIONS = tuple(r.name for r in TABLE if r.inputs == ("u",) and r.name != "neg")


def is_trivial(expr: str, rule: Rule) -> bool:
    """Whether an expression is a number or an input's name: such a derivative is always finite."""
    node = ast.parse(expr, mode="eval").body
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and node.id in rule.names)


# ---------------------------------------------------------------------------------------------
# Reading a rule as a Python function on floats: the engine's node makers.
# ---------------------------------------------------------------------------------------------


_CATCH = "    except (ArithmeticError, ValueError, TypeError):"  # a forward computation that failed
_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}  # how errors name them
# The operands whose inf or NaN (a .data set by hand) can give a finite y (tanh ∞ = 1, 1/∞ = 0, ∞⁰ = 1):
# the node maker screens these too. Any other inf or NaN operand makes y inf or NaN (σ maps one to
# NaN in floats.py), and a forward that raises on one is caught: both are refused by name.
HIDES = {"relu": "u", "tanh": "u", "exp": "u", "softplus": "u", "div": "v", "pow": "u v", "leaky_relu": "k"}


def float_source(rule: Rule) -> str:
    """The source of ``make_<name>``: the function the engine runs to make a node of this op.

    It lifts a number operand to a constant, reads the parents' data, computes y and the local
    derivatives on floats (none for a constant parent: nobody needs them) and makes the node.
    A derivative that cannot be computed at this point (∂√u/∂u at 0) is stored as inf, refused by
    backward only if a gradient ever flows through it. ``print(float_source(RULES["mul"]))``
    shows what the engine really runs for ``*``.
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"float_source: rule must be a Rule (e.g. RULES['mul']), got {type(rule).__name__}")
    names = rule.names
    params = [n.upper() for n in names]  # the parent Values: U, V (or lists W, X)
    hints = [f"{P}: {'list[Value]' if vec else 'Value | float'!r}" for P, vec in zip(params, rule.vectors)]  # noqa: B905
    lines = [f"def make_{rule.name}({', '.join(hints)}) -> 'Value':"]
    for n, P, vec in zip(names, params, rule.vectors, strict=True):
        if vec:
            lines.append(f"    {n} = [p.data for p in {P}]")
        else:
            lines.append(f"    if {P}.__class__ is not Value:")
            symbol = _OPERATORS.get(rule.name, rule.name)
            lines.append(f"        {P} = lift({P}, {symbol!r})  # a number becomes a Constant")
            lines.append(f"    {n} = {P}.data")
    operands = ", ".join(f"*{P}" if v else P for P, v in zip(params, rule.vectors, strict=True))
    refuse = f"        refuse_operands({rule.name!r}, ({operands},))  # a .data set by hand to inf"
    lines += ["    try:", f"        y = {to_python(rule.forward)}", _CATCH]
    lines += [refuse, "        raise"]
    screen = "".join(f" + {n} - {n}" for n in HIDES.get(rule.name, "").split())
    lines.append(f"    if y - y{screen}:  # 0.0 if y (and each operand that y can hide) is finite, else NaN")
    lines.append(f"        not_finite({rule.name!r}, {operands}, y=y)")
    trivial = all(is_trivial(e, rule) for e in rule.derivs)
    parts = []
    for expr, n, P, vec in zip(rule.derivs, names, params, rule.vectors, strict=True):
        src = to_python(expr)
        if vec:
            # a vector input gets one derivative per element: a vector expression, or a number for all
            node = ast.parse(expr, mode="eval").body
            parts.append(f"*({src},) * len({n})" if isinstance(node, ast.Constant) else f"*{src}")
        elif trivial or ast.parse(expr, mode="eval").body.__class__ is ast.Constant:
            parts.append(src)
        else:
            parts.append(f"0.0 if {P}.local_grads is NO_DERIVATIVES else {src}")
    derivs = "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    parents = "(" + ", ".join(f"*{P}" if vec else P for P, vec in zip(params, rule.vectors, strict=True))
    parents += ",)" if len(params) == 1 else ")"
    if trivial:
        lines.append(f"    d = {derivs}")
    else:
        lines.append("    try:")
        lines.append(f"        d = {derivs}")
        lines.append("    except (ArithmeticError, ValueError):  # undefined here: stored as inf")
        lines.append(f"        d = derivatives_one_by_one({rule.name!r}, {parents}, {', '.join(names)}, y)")
    lines += [
        "    out = new(Value)",
        "    out.data = y",
        "    out.grad = 0.0",
        '    out.label = ""',
        f"    out.op = {rule.name!r}",
        f"    out.parents = {parents}",
        "    out.local_grads = d",
        "    return out",
    ]
    return "\n".join(lines) + "\n"


def _derivative_functions(rule: Rule) -> list[Callable[..., Any]]:
    """∂y/∂(each input) as a function of the inputs and y, on floats."""
    args = ", ".join((*rule.names, "y"))
    return [eval(f"lambda {args}: {to_python(d)}", FLOAT_MATH) for d in rule.derivs]


_FLOAT_DERIVS = {rule.name: _derivative_functions(rule) for rule in TABLE}


def derivatives_one_by_one(op: str, parents: Sequence[Any], *args: Any) -> tuple[float, ...]:
    """The local derivatives computed one at a time: a constant parent's is 0 (never needed), and
    one that cannot be computed is inf.

    (uᵛ at u = 0 with v < 1 has ∂/∂u = ∞; 0.0 ** Value(v) has ∂/∂u = ∞ but ∂/∂v = 0. An infinite
    derivative is stored, and backward refuses it only if a gradient has to flow through it.)
    """
    rule = RULES[op]
    out: list[float] = []
    for f, vec, group in zip(_FLOAT_DERIVS[op], rule.vectors, rule.split(parents), strict=True):
        count = len(group) if vec else 1
        if not vec and getattr(group, "local_grads", None) is NO_DERIVATIVES:  # a constant
            out.append(0.0)
            continue
        try:
            d = f(*args)
        except (ArithmeticError, ValueError):
            d = math.inf
        out.extend(d if isinstance(d, (tuple, list)) else (d,) * count)
    return tuple(out)


def float_functions(env: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """Every rule's ``make_<name>``, compiled with ``env`` as its global names.

    ``env`` must hold ``Value``, ``lift``, ``new`` and ``not_finite`` by the time the
    functions run (the engine fills them in once its classes exist); the math comes from here.
    """
    env.update(FLOAT_MATH, isfinite=math.isfinite, derivatives_one_by_one=derivatives_one_by_one)
    env["NO_DERIVATIVES"] = NO_DERIVATIVES
    ops = {}
    for rule in TABLE:
        exec(float_source(rule), env)
        f = ops[rule.name] = env[f"make_{rule.name}"]
        dy = ", ".join(f"∂y/∂{n} = {to_text(d)}" for n, d in zip(rule.names, rule.derivs, strict=True))
        f.__doc__ = f"y = {to_text(rule.forward)}; {dy} (generated from rules.TABLE)"
    return ops


def table_markdown() -> str:
    """The table as Markdown, one row per op, in the notation a person writes (the README's copy)."""
    lines = ["| op | y = | local derivatives |", "| --- | --- | --- |"]
    for rule in TABLE:
        names = {n: n for n in rule.names}
        dy = ", ".join(
            f"∂y/∂{n} = {to_text(d, names)}" for n, d in zip(rule.names, rule.derivs, strict=True) if d != "0"
        )
        inputs = ", ".join(f"{n}…" if v else n for n, v in zip(rule.names, rule.vectors, strict=True))
        y = to_text(rule.forward, names).replace("|", "\\|")  # |u| inside a Markdown table cell
        lines.append(f"| `{rule.name}({inputs})` | {y} | {dy} |")
    return "\n".join(lines)
