"""A safe parser for expressions such as "tanh(x * w + b) ** 2": an allow-list, never ``eval``.

Allowed: numbers, the bound variable names, + − * / ** (binary), unary − and +, parentheses, and
calls of the Value functions below with one argument. Everything else (attribute access, any
other call, keyword arguments, subscripts, lambdas, comparisons, strings, comprehensions, …) is
refused with an ``ExpressionError`` naming what was found.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping

from autograd_tiny.engine import Value

FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "sqrt": Value.sqrt,
    "abs": Value.abs,
    "sin": Value.sin,
    "cos": Value.cos,
    "softplus": Value.softplus,
    "leaky_relu": Value.leaky_relu,
}
_BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
MAX_LENGTH = 2000  # characters; a longer "expression" is refused before parsing


class ExpressionError(ValueError):
    """The expression is not one this parser accepts, or names an unbound variable."""


def parse_bindings(pairs: list[str]) -> dict[str, float]:
    """["x=1", "y=2.5"] → {"x": 1.0, "y": 2.5}, with a clear error for anything else."""
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"bad binding {pair!r}: write NAME=NUMBER, e.g. x=1.5")
        if name in FUNCTIONS:
            raise ExpressionError(f"bad binding {pair!r}: {name} is a function name")
        if name in out:
            raise ExpressionError(f"{name} is bound twice")
        try:
            value = float(text)
        except ValueError:
            raise ExpressionError(f"bad number {text.strip()!r} for {name}") from None
        if not math.isfinite(value):
            raise ExpressionError(f"bad number {text.strip()!r} for {name}: it must be finite")
        out[name] = value
    return out


def _names_in(tree: ast.AST) -> set[str]:
    """The variable names an expression reads (function names excluded)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def evaluate(expression: str, variables: Mapping[str, Value]) -> Value:
    """Build the graph of ``expression`` over the given variables (Values) and return its root.

    Every variable must be used, and every name used must be bound.
    """
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"cannot parse {expression!r}: {e.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    _check_syntax(tree)
    used = _names_in(tree)
    unbound = sorted(used - set(variables))
    if unbound:
        raise ExpressionError(f"unbound name(s) {', '.join(unbound)}: give each a value, e.g. {unbound[0]}=1")
    extra = sorted(set(variables) - used)
    if extra:
        raise ExpressionError(f"{', '.join(extra)} bound but not used in the expression")
    try:
        return _build(tree.body, variables)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply") from None


def _check_syntax(tree: ast.Expression) -> None:
    """Refuse every construct outside the allow-list, outermost first, naming what it is."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Name, ast.Load, ast.USub, ast.UAdd, *_BINARY)):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExpressionError(f"only numbers are allowed as constants, not {node.value!r}")
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            continue
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            continue
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                what = ast.unparse(node.func)
                raise ExpressionError(
                    f"calling {what} is not allowed: the functions are {', '.join(FUNCTIONS)}"
                )
            if node.keywords or len(node.args) != 1:
                raise ExpressionError(f"{node.func.id}() takes exactly one argument")
        else:
            raise ExpressionError(f"{_describe(node)} is not allowed in an expression")


def _build(node: ast.AST, env: Mapping[str, Value]) -> Value:
    """Turn one syntax node, already checked by _check_syntax, into Value operations."""
    if isinstance(node, ast.Constant):
        return Value(node.value)
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _number(node.right) is not None:
            return _build(node.left, env) ** _number(node.right)  # x ** 2: a number exponent, so x may be < 0
        return _BINARY[type(node.op)](_build(node.left, env), _build(node.right, env))
    if isinstance(node, ast.UnaryOp):
        operand = _build(node.operand, env)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](_build(node.args[0], env))
    raise ExpressionError(f"{_describe(node)} is not allowed in an expression")  # unreachable after checking


def _number(node: ast.AST) -> float | None:
    """The value of a literal number, or of − or + applied to one; None for anything else."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        return sign * node.value
    return None


def _describe(node: ast.AST) -> str:
    """A short human name for a refused syntax node."""
    names = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripting",
        ast.Lambda: "lambda",
        ast.Compare: "comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if-else",
        ast.Starred: "*-unpacking",
        ast.NamedExpr: "the := operator",
    }
    for kind, text in names.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.UnaryOp):
        return f"the unary operator {type(node.op).__name__}"
    if isinstance(node, (ast.operator, ast.unaryop, ast.expr_context)):
        return f"the operator {type(node).__name__}"
    return type(node).__name__
