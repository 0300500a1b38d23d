"""The one table of primitive operations: each op's forward function and its local derivatives.

Every operation of the engine is a row of ``TABLE`` below, stated once:

    name       the op's name, used as ``node.op`` (a Python identifier)
    inputs     its parents' names; ``w*`` is a vector (a list of parents), the others are scalars
    forward    y as an expression of the inputs
    derivs     ∂y/∂(each input), expressions of the inputs and of y itself

The expressions are Python, written over a small set of math functions (``exp``, ``log``,
``sigmoid``, ``step``, …). That one text is read many ways, which is the point of this module:

- on floats: the engine turns each row into a small Python function that computes y and its
  local derivatives when a node is made (``float_source`` shows that code);
- on Values: the same derivative expressions evaluated with Value arithmetic give derivatives
  that can be differentiated again (``higher.py``: second derivatives, Hessians);
- as text and LaTeX: ``to_text`` and ``to_latex`` print an expression with the parents' names
  substituted, so trace and the stepper read "∂a/∂z = 1 − tanh²(z)";
- as Python source: ``to_python`` renames the inputs, for the code that ``compile.py`` writes.

A number that an op lifts into the graph (the 3 of ``x * 3``) is a constant parent; its
derivative is never needed, so an op's parameters (an exponent, a leaky slope) are simply
constant parents of its node: ``x ** 2`` is ``pow(x, 2)``, the same rule as ``x ** y``.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# ---------------------------------------------------------------------------------------------
# The math functions the rules are written in, on floats. Each is careful at the edges: a domain
# error names the function and the value; nothing overflows where the true result is finite.
# ---------------------------------------------------------------------------------------------


def exp(u: float) -> float:
    """eᵘ; beyond u ≈ 709.78 it exceeds the largest float, which is an OverflowError."""
    try:
        return math.exp(u)
    except OverflowError:
        raise OverflowError(f"exp({u!r}) overflows a float") from None


def log(u: float) -> float:
    """ln u for u > 0."""
    if u <= 0.0:
        raise ValueError(f"log({u!r}): log is defined only for positive numbers")
    return math.log(u)


def sigmoid(u: float) -> float:
    """σ(u) = 1 / (1 + e⁻ᵘ), never overflowing: only e to a non-positive power is computed."""
    if u >= 0.0:
        return 1.0 / (1.0 + math.exp(-u))
    e = math.exp(u)
    return e / (1.0 + e)


def sech2(u: float) -> float:
    """sech²(u) = 1 − tanh²(u) = 4e^(−2|u|) / (1 + e^(−2|u|))², without the cancellation of 1 − tanh².

    (At |u| = 20, tanh(u) rounds to ±1 and 1 − tanh² to 0, though sech² is 1.7e-17.)
    """
    e = math.exp(-2.0 * abs(u))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def softplus(u: float) -> float:
    """log(1 + eᵘ) = max(u, 0) + log(1 + e^−|u|): the exponent is never positive."""
    return max(u, 0.0) + math.log1p(math.exp(-abs(u)))


def relu(u: float) -> float:
    """max(u, 0)."""
    return u if u > 0.0 else 0.0


def leaky_relu(u: float, k: float) -> float:
    """u for u > 0, k·u otherwise."""
    return u if u > 0.0 else k * u


def step(u: float) -> float:
    """[u > 0]: 1 for u > 0, else 0 (so ReLU′(0) = 0, as the chapter and PyTorch)."""
    return 1.0 if u > 0.0 else 0.0


def select(u: float, a: float, b: float) -> float:
    """a if u > 0 else b."""
    return a if u > 0.0 else b


def sign(u: float) -> float:
    """−1, 0 or 1."""
    return 1.0 if u > 0.0 else -1.0 if u < 0.0 else 0.0


def pow(u: float, v: float) -> float:
    """uᵛ, with its domain errors named instead of a complex number or a bare crash."""
    if u == 0.0 and v < 0.0:
        raise ZeroDivisionError(f"0.0 ** {v!r} (zero to a negative power) is undefined")
    if u < 0.0 and not v.is_integer():
        raise ValueError(f"{u!r} ** {v!r} (a negative base to a non-integer power) is not a real number")
    try:
        return u**v
    except OverflowError:
        raise OverflowError(f"{u!r} ** {v!r} overflows a float") from None


def pow_minus_one(u: float, v: float) -> float:
    """uᵛ⁻¹, the factor of pow's derivative v·uᵛ⁻¹; 0 where v = 0 (u⁰ = 1 is flat, even at u = 0).

    At v = 0 the factor is only ever multiplied by v = 0, and u⁻¹ would be infinite at u = 0. The
    sign of a negative base is exact even where v − 1 rounds to v (|v| ≥ 2⁵³).
    """
    if v == 0.0:
        return 0.0
    if u < 0.0 and v.is_integer() and abs(v) >= 2.0**53:
        # every float this large is even, so v − 1 is odd: uᵛ⁻¹ = −|u|ᵛ⁻¹ (the magnitude is 0 or inf)
        return -pow(-u, v - 1.0)
    return pow(u, v - 1.0)


def xlogy(x: float, y: float) -> float:
    """x·ln y, taken as 0 where x = 0 and y ≥ 0 (the limit of uᵛ·ln u as u → 0⁺ for v > 0).

    For y < 0 there is no real ln y, even where x = 0: ∂uᵛ/∂v at u < 0 is undefined, also when
    uᵛ underflows to 0 ((−e⁵⁰)⁻⁵⁰), so the error of log is raised (the engine stores inf)."""
    return 0.0 if x == 0.0 and y >= 0.0 else x * log(y)


def dot(w: Sequence[float], x: Sequence[float]) -> float:
    """Σᵢ wᵢ xᵢ = w₀x₀ + w₁x₁ + …, added left to right as it is written out (0 for no terms)."""
    # Not sum(): from Python 3.12 it compensates rounding, and compiled code writes the products
    # out as w0 * x0 + w1 * x1 + …, which must give these very bits on every Python.
    products = map(operator.mul, w, x)
    total = next(products, 0.0)
    for p in products:
        total += p
    return total


def logsumexp(u: Sequence[float]) -> float:
    """log Σᵢ e^uᵢ = m + log Σᵢ e^(uᵢ − m) with m = max u: every exponent ≤ 0, the sum in [1, n]."""
    m = max(u)
    return m + math.log(math.fsum(math.exp(a - m) for a in u))


def softmax(u: Sequence[float]) -> tuple[float, ...]:
    """e^(uᵢ − m) / Σⱼ e^(uⱼ − m): the same shift, so exact for logits of any size (even ±1e300)."""
    m = max(u)
    e = [math.exp(a - m) for a in u]
    s = math.fsum(e)
    return tuple(a / s for a in e)


def square(u: float) -> float:
    """u²."""
    return u * u


def cross_entropy(z: Sequence[float], t: float) -> float:
    """−log softmax(z)[t] = (m − z_t) + log Σᵢ e^(zᵢ − m), m = max z: exact for logits up to ±1e300."""
    m = max(z)
    return (m - z[int(t)]) + math.log(math.fsum(math.exp(a - m) for a in z))


def softmax_minus_onehot(z: Sequence[float], t: float) -> tuple[float, ...]:
    """softmax(z) − onehot(t): the gradient of cross-entropy with respect to the logits, ŷ − y."""
    p = softmax(z)
    return tuple(pi - 1.0 if i == int(t) else pi for i, pi in enumerate(p))


def ones(u: Sequence[float]) -> tuple[float, ...]:
    """A 1 for each element of u (the derivative of a sum)."""
    return (1.0,) * len(u)


# the names a rule may use, on floats (the engine's first-order path and generated code)
_FUNCTIONS = (exp, log, sigmoid, sech2, softplus, relu, leaky_relu, step, select, sign, pow, pow_minus_one,
              xlogy, dot, logsumexp, softmax, square, cross_entropy, softmax_minus_onehot, ones)  # fmt: skip
FLOAT_MATH: dict[str, Any] = {f.__name__: f for f in _FUNCTIONS}
FLOAT_MATH.update(tanh=math.tanh, sin=math.sin, cos=math.cos, abs=abs, sum=sum)


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
    _rule("sigmoid",    "u",        "sigmoid(u)",         ["y * sigmoid(-u)"],     "σ"),  # σ(u)·σ(−u)
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
# Reading an expression as Python source with other names (for generated code).
# ---------------------------------------------------------------------------------------------


class _Rename(ast.NodeTransformer):
    """Replace names by expressions (an input's name by a variable, y by the node's name) and
    integer literals by floats, so generated code computes with floats only."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            return ast.parse(self.names[node.id], mode="eval").body
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if type(node.value) is int:
            return ast.Constant(float(node.value))
        return node


def to_python(expr: str, names: dict[str, str] | None = None) -> str:
    """An expression as Python source, its names replaced: to_python("1 / u", {"u": "z1"}) = "1.0 / z1"."""
    _check_expr(expr, names, "to_python")
    for name, code in (names or {}).items():  # each replacement is code here, not display text
        try:
            ast.parse(code, mode="eval")
        except SyntaxError as e:
            raise ValueError(
                f"to_python: names[{name!r}] is not a Python expression: {code!r} ({e.msg})"
            ) from None
    tree = _Rename(names or {}).visit(ast.parse(expr, mode="eval"))
    return ast.unparse(ast.fix_missing_locations(tree))


# ---------------------------------------------------------------------------------------------
# Reading an expression as mathematics: text with Unicode (trace) and LaTeX (derivations).
# ---------------------------------------------------------------------------------------------

_PREC = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2, ast.Pow: 4}

# how the table's functions read; {0}, {1} are the arguments as printed
_TEXT_CALLS = {
    "exp": "exp({0})", "log": "ln {0}", "tanh": "tanh({0})", "sigmoid": "σ({0})",
    "sech2": "1 − tanh²({0})", "softplus": "softplus({0})", "relu": "ReLU({0})",
    "leaky_relu": "LeakyReLU({0}; {1})", "step": "ReLU′({0})", "select": "{1} if {0} > 0 else {2}",
    "sign": "sign({0})", "abs": "|{0}|", "sin": "sin({0})", "cos": "cos({0})", "pow": "{0}^{1}",
    "pow_minus_one": "{0}^({1}−1)", "xlogy": "{0}·ln {1}", "dot": "{0}·{1}", "sum": "Σ {0}",
    "logsumexp": "log Σ exp({0})", "softmax": "softmax({0})", "ones": "1", "square": "{0}²",
    "cross_entropy": "−log softmax({0})[{1}]", "softmax_minus_onehot": "softmax({0}) − onehot({1})",
}  # fmt: skip
_LATEX_CALLS = {
    "exp": r"e^{{{0}}}", "log": r"\ln {0}", "tanh": r"\tanh({0})", "sigmoid": r"\sigma({0})",
    "sech2": r"\left(1 - \tanh^2({0})\right)", "softplus": r"\operatorname{{softplus}}({0})",
    "relu": r"\operatorname{{ReLU}}({0})", "leaky_relu": r"\operatorname{{LeakyReLU}}({0}; {1})",
    "step": r"\operatorname{{ReLU}}'({0})",
    "select": r"\begin{{cases}}{1} & {0} > 0\\ {2} & \text{{else}}\end{{cases}}",
    "sign": r"\operatorname{{sign}}({0})", "abs": r"\left|{0}\right|", "sin": r"\sin({0})",
    "cos": r"\cos({0})", "pow": "{{{0}}}^{{{1}}}", "pow_minus_one": "{{{0}}}^{{{1} - 1}}",
    "xlogy": r"{0} \ln {1}", "dot": r"{0} \cdot {1}", "sum": r"\sum {0}",
    "logsumexp": r"\log \sum e^{{{0}}}", "softmax": r"\operatorname{{softmax}}({0})", "ones": "1",
    "square": "{{{0}}}^2", "cross_entropy": r"-\log \operatorname{{softmax}}({0})_{{{1}}}",
    "softmax_minus_onehot": r"\operatorname{{softmax}}({0}) - e_{{{1}}}",
}  # fmt: skip


def _number(x: float, latex: bool) -> str:
    """A literal as a person writes it: 1 not 1.0, a true minus sign."""
    s = f"{x:.6g}"
    return s if latex else s.replace("-", "−")


class _Printer:
    """Print an expression tree as text or LaTeX, with minimal parentheses."""

    def __init__(self, names: dict[str, str], latex: bool) -> None:
        self.names, self.latex = names, latex

    def show(self, node: ast.AST, prec: int = 0) -> str:
        latex = self.latex
        if isinstance(node, ast.Constant):  # a negative number after an operator is bracketed: u − (−2)
            s = _number(node.value, latex)
            return f"({s})" if node.value < 0 and prec > 1 else s
        if isinstance(node, ast.Name):
            return self.names.get(node.id, node.id)
        if isinstance(node, ast.UnaryOp):  # only unary minus occurs in the table
            s = ("-" if latex else "−") + self.show(node.operand, 3)
            return f"({s})" if prec > 2 else s
        if isinstance(node, ast.BinOp):
            p = _PREC[type(node.op)]
            if isinstance(node.op, ast.Div) and latex:
                return rf"\frac{{{self.show(node.left)}}}{{{self.show(node.right)}}}"
            if isinstance(node.op, ast.Pow):
                base, power = self.show(node.left, 5), self.show(node.right, 0)
                s = f"{{{base}}}^{{{power}}}" if latex else f"{base}^{power}"
            else:
                sym = {ast.Add: "+", ast.Sub: "-" if latex else "−", ast.Mult: r"\cdot" if latex else "·",
                       ast.Div: "/"}[type(node.op)]  # fmt: skip
                left = self.show(node.left, p)
                right = self.show(node.right, p + 1)  # a − (b − c): the right side binds tighter
                s = f"{left} {sym} {right}" if sym in "+-−" or latex else f"{left}{sym}{right}"
                if not latex and sym == "·":
                    s = f"{left}·{right}"
            return f"({s})" if p < prec else s
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [self.show(a, 0) for a in node.args]
            table = _LATEX_CALLS if latex else _TEXT_CALLS
            form = table.get(node.func.id)
            if form is None:
                return f"{node.func.id}({', '.join(args)})"
            s = form.format(*args)
            if node.func.id == "square" and isinstance(node.args[0], ast.BinOp):
                s = form.format(f"({args[0]})")
            needs = node.func.id in ("sech2", "xlogy", "dot", "select", "log") and prec > 1
            return f"({s})" if needs and not (latex and node.func.id == "sech2") else s
        raise ValueError(f"cannot print {ast.dump(node)}")


class _Fold(ast.NodeTransformer):
    """Put known numbers (constants' values) in for names and fold what becomes plain arithmetic,
    so pow's rule v·u^(v−1) reads 2·u for a square rather than 2·u^(2−1)."""

    def __init__(self, values: dict[str, float]) -> None:
        self.values = values

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.Constant(self.values[node.id]) if node.id in self.values else node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.operand, ast.Constant):
            return ast.Constant(-node.operand.value)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        a, b = node.left, node.right
        if isinstance(a, ast.Constant) and isinstance(b, ast.Constant) and not isinstance(node.op, ast.Pow):
            folded = ast.fix_missing_locations(ast.Expression(node))
            try:
                v = eval(compile(folded, "<rule>", "eval"))
            except ArithmeticError:  # 1/0: shown as it is, not folded
                return node
            return ast.Constant(v) if math.isfinite(v) else node  # nor an overflow to inf
        if isinstance(node.op, (ast.Add, ast.Sub)) and isinstance(b, ast.Constant) and b.value == 0:
            return a
        if isinstance(node.op, ast.Mult) and isinstance(a, ast.Constant) and a.value == 1:
            return b
        if isinstance(node.op, ast.Mult) and isinstance(b, ast.Constant) and b.value == 1:
            return a
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name == "pow_minus_one" and isinstance(node.args[1], ast.Constant):
            p = node.args[1].value - 1  # u^(p−1) with p known
            if p == 1:
                return node.args[0]
            if p == 0:
                return ast.Constant(1)
            return ast.Call(ast.Name("pow"), [node.args[0], ast.Constant(p)], [])
        return node


def _check_expr(expr: Any, names: Any, who: str) -> None:
    """A TypeError unless expr is a str and names a dict (or None)."""
    if not isinstance(expr, str):
        raise TypeError(f"{who}: expr must be a str (a Python expression), got {type(expr).__name__}")
    if names is not None and not isinstance(names, dict):
        raise TypeError(f"{who}: names must be a dict of name → replacement, got {type(names).__name__}")
    for name, shown in (names or {}).items():
        if not isinstance(shown, str):
            raise TypeError(f"{who}: names[{name!r}] must be a str, got {type(shown).__name__}")
    try:
        ast.parse(expr, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"{who}: expr is not a Python expression: {expr!r} ({e.msg})") from None


def _tree(expr: str, values: dict[str, float] | None, who: str = "to_text") -> ast.AST:
    """The expression's syntax tree, with known values put in and folded."""
    if values is not None and not isinstance(values, dict):
        raise TypeError(f"{who}: values must be a dict of name → number, got {type(values).__name__}")
    for name, v in (values or {}).items():
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{who}: values[{name!r}] must be a number, got {type(v).__name__}")
    tree = ast.parse(expr, mode="eval").body
    return _Fold(values).visit(tree) if values else tree


def to_text(expr: str, names: dict[str, str] | None = None, values: dict[str, float] | None = None) -> str:
    """An expression as a person writes it: to_text("y * sigmoid(-u)", {"u": "z", "y": "ŷ"}) = "ŷ·σ(−z)".

    ``values`` gives numbers for names that are constants (the exponent of a square), folded in.
    """
    _check_expr(expr, names, "to_text")
    return _Printer(names or {}, latex=False).show(_tree(expr, values, "to_text"))


def to_latex(expr: str, names: dict[str, str] | None = None, values: dict[str, float] | None = None) -> str:
    """An expression as LaTeX: to_latex("1 / u", {"u": "z_1"}) = "\\frac{1}{z_1}"."""
    _check_expr(expr, names, "to_latex")
    return _Printer(names or {}, latex=True).show(_tree(expr, values, "to_latex"))


# ---------------------------------------------------------------------------------------------
# Reading a rule as a Python function on floats: the engine's node makers.
# ---------------------------------------------------------------------------------------------


_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}  # how errors name them


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
    lines.append(f"    y = {to_python(rule.forward)}")
    lines.append("    if not isfinite(y):")
    operands = ", ".join(f"*{P}" if v else P for P, v in zip(params, rule.vectors, strict=True))
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
