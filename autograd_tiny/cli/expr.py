"""A safe parser for expressions such as "tanh(x * w + b) ** 2": an allow-list, never ``eval``.

Allowed: numbers, the bound variable names, + − * / ** (binary), unary − and +, parentheses, and
calls of the Value functions below with one argument. Everything else (attribute access, any
other call, keyword arguments, subscripts, lambdas, comparisons, strings, comprehensions, …) is
refused with an ``ExpressionError`` naming what was found.

Python's own parser (``ast``) reads the text, so precedence is Python's: −x ** 2 is −(x ** 2) and
2 ** −x is 2 ** (−x). Building the graph from the syntax tree is a loop over an explicit stack, not
recursion, so thousands of nested unary minuses or chained operators are as fine as three.

The texts' notation is read too: the minus sign − (U+2212), × and · for products, ÷, and
superscript powers (x², e⁻¹). Statements separated by ``;`` name values as the chapter does,
``"z = w*x + b; L = (z - y)**2"``: each name labels its node, and the last statement is the root.
"""

from __future__ import annotations

import ast
import keyword
import math
import unicodedata
import warnings
from collections.abc import Callable, Mapping

from autograd_tiny.core.engine import Value, lift
from autograd_tiny.core.rules import UNARY_FUNCTIONS

# The functions an expression may call: every one-input op of the rule table (rules.py), plus
# sqrt (u ** 0.5) and leaky_relu with its default slope, which are Value methods built on the table.
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    **{name: getattr(Value, name) for name in UNARY_FUNCTIONS},
    "sqrt": Value.sqrt,
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


def clip(text: str, limit: int = 60) -> str:
    """``text`` cut to at most ``limit`` characters (the last one an ellipsis) for an error message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shorten(text: str, limit: int = 60) -> str:
    """``text`` quoted as Python would (repr), cut to at most ``limit`` characters for an error message."""
    return clip(repr(text), limit)


_MINUSES = "\u2212\u2012\u2013\ufe63\uff0d"  # − ‒ – ﹣ －: the minus signs texts and keyboards type
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺·", "0123456789-+.")
_NOTATION = str.maketrans({**dict.fromkeys(_MINUSES, "-"), "×": "*", "·": "*", "⋅": "*", "÷": "/"})


def read_number(text: str) -> float:
    """A number as the texts write it: 2.5, −1 (a true minus sign), 1e-3, 3/2 or −3/2, full-width
    digits; a ValueError (its message says what was wrong) for anything else."""
    s = unicodedata.normalize("NFKC", text).strip().translate(_NOTATION)
    top, slash, bottom = s.partition("/")
    try:
        value = float(top) / float(bottom) if slash else float(s)
    except ZeroDivisionError:
        raise ValueError("it divides by zero") from None
    except (ValueError, OverflowError):
        raise ValueError("not a number") from None
    return value


def notation(expression: str) -> str:
    """The texts' notation as Python: − → -, × and · → *, ÷ → /, x² → x**(2), e⁻¹ → e**(-1)."""
    out, i = [], 0
    while i < len(expression):
        c = expression[i]
        if c in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺":
            j = i
            while j < len(expression) and expression[j] in "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺":
                j += 1
            out.append(f"**({expression[i:j].translate(_SUPERSCRIPTS)})")
            i = j
            continue
        out.append(c.translate(_NOTATION))
        i += 1
    return "".join(out)


def parse_bindings(pairs: list[str]) -> dict[str, float]:
    """["x=1", "y=2.5"] → {"x": 1.0, "y": 2.5}, with a clear error for anything else."""
    out: dict[str, float] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        # Python reads identifiers in NFKC form (the full-width ｘ is x), so the binding must too.
        name = unicodedata.normalize("NFKC", name.strip())
        if not sep or not name.isidentifier():
            raise ExpressionError(f"bad binding {shorten(pair)}: write NAME=NUMBER, e.g. x=1.5")
        if keyword.iskeyword(name):
            raise ExpressionError(f"bad binding {shorten(pair)}: {name} is a Python keyword, not a name")
        if name in FUNCTIONS:
            raise ExpressionError(f"bad binding {shorten(pair)}: {name} is a function name")
        if name in out:
            raise ExpressionError(f"{clip(name, 40)} is bound twice")
        try:
            value = read_number(text)
        except ValueError as e:
            raise ExpressionError(f"bad number {shorten(text.strip())} for {clip(name, 40)}: {e}") from None
        if not math.isfinite(value):
            raise ExpressionError(
                f"bad number {shorten(text.strip())} for {clip(name, 40)}: it must be finite "
                f"(a float's largest magnitude is about 1.8e308)"
            )
        out[name] = value
    return out


def _names_in(tree: ast.AST) -> set[str]:
    """The variable names an expression reads (function names excluded)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called}


def parse(expression: str) -> ast.Expression:
    """The checked syntax tree of ``expression``, or an ExpressionError saying what is wrong."""
    if not isinstance(expression, str):
        raise TypeError(f"the expression must be a str, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    if not expression.strip():
        raise ExpressionError("the expression is empty: write one such as 'tanh(w*x + b)'")
    try:
        with warnings.catch_warnings():
            # Python warns about some text while parsing it ("3is": invalid decimal literal); a
            # warning here is a problem with the expression, so it becomes the SyntaxError below.
            warnings.simplefilter("error")
            tree = ast.parse(notation(expression.strip()), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"cannot parse {shorten(expression)}: {e.msg}") from None
    except (RecursionError, MemoryError):  # Python's parser has its own depth limits
        raise ExpressionError(f"cannot parse {shorten(expression)}: it is nested too deeply") from None
    except (ValueError, Warning) as e:  # a null character, a lone surrogate, a warning raised as such
        raise ExpressionError(f"cannot parse {shorten(expression)}: {e}") from None
    _check_syntax(tree)
    return tree


def statements(expression: str) -> list[tuple[str | None, str]]:
    """``"z = w*x + b; L = (z - y)**2"`` → [("z", "w*x + b"), ("L", "(z - y)**2")]; a statement
    without ``NAME =`` has None for its name (only the last may be unnamed)."""
    parts = [part.strip() for part in expression.split(";")]
    out: list[tuple[str | None, str]] = []
    for k, part in enumerate(parts):
        if not part and len(parts) > 1 and k == len(parts) - 1:  # a trailing ; is harmless
            continue
        name, eq, rest = part.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if eq and not rest.startswith("=") and name.isidentifier() and not name.endswith(("<", ">", "!")):
            if keyword.iskeyword(name) or name in FUNCTIONS:
                raise ExpressionError(
                    f"{clip(name, 40)} cannot name a value: it is a Python keyword or a function"
                )
            out.append((name, rest.strip()))
        else:
            out.append((None, part))
    unnamed = [k for k, (name, _) in enumerate(out) if name is None]
    if unnamed and unnamed[0] != len(out) - 1:
        text = out[unnamed[0]][1]
        raise ExpressionError(
            f"{shorten(text)} is not the last statement: only the last may be unnamed (NAME = ...)"
        )
    return out


def evaluate(expression: str, variables: Mapping[str, Value]) -> Value:
    """Build the graph of ``expression`` over the given variables (Values) and return its root.

    Every variable must be used, and every name used must be bound. ``NAME = ...`` statements,
    separated by ``;``, label their nodes (the last is the root). A domain error of the engine
    (log(0), x / 0, exp(1000)) propagates as the engine's ValueError, ZeroDivisionError or
    OverflowError.
    """
    if not isinstance(expression, str):
        raise TypeError(f"the expression must be a str, got {type(expression).__name__}")
    if len(expression) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    steps = statements(expression) if ";" in expression or "=" in expression else []
    if len(steps) <= 1 and not (steps and steps[0][0]):
        return _evaluate_one(expression, variables)
    env, used = dict(variables), set()
    for name, text in steps:
        if name in env:
            raise ExpressionError(f"{clip(name, 40)} is named twice (or is also a variable)")
        tree = parse(text)
        names = _names_in(tree)
        _check_names(names, env)
        used |= names
        value = _build(tree.body, env)
        if name is not None:
            if any(value is v for v in env.values()):  # z = x: a name for a value that has one
                raise ExpressionError(
                    f"{clip(name, 40)} = {clip(text, 30)} names a value that has a name already"
                )
            value.label = name
            env[name] = value
    unused = [n for n in env if n not in used and env[n] is not value]
    if unused:
        raise ExpressionError(f"{', '.join(unused)} bound or named but not used in the expression")
    return value


def _evaluate_one(expression: str, variables: Mapping[str, Value]) -> Value:
    """The root of one expression (no statements) over the variables."""
    tree = parse(expression)
    used = _names_in(tree)
    _check_names(used, variables)
    extra = sorted(set(variables) - used)
    if extra:
        raise ExpressionError(f"{', '.join(extra)} bound but not used in the expression")
    return _build(tree.body, variables)


def _check_names(used: set[str], variables: Mapping[str, Value]) -> None:
    """An ExpressionError for a function used as a value or a name with no value."""
    functions = sorted(used & set(FUNCTIONS))
    if functions:
        raise ExpressionError(f"{functions[0]} is a function: call it, as in {functions[0]}(x)")
    unbound = sorted(used - set(variables))
    if unbound:
        raise ExpressionError(f"unbound name(s) {', '.join(unbound)}: give each a value, e.g. {unbound[0]}=1")


def _check_syntax(tree: ast.Expression) -> None:
    """Refuse every construct outside the allow-list, outermost first, naming what it is."""
    for node in ast.walk(tree):  # ast.walk keeps its own queue: no recursion
        if isinstance(node, (ast.Expression, ast.Name, ast.Load, ast.USub, ast.UAdd, *_BINARY)):
            continue
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ExpressionError(f"only numbers are allowed as constants, not {clip(repr(value))}")
            if not math.isfinite(_as_float(value)):
                raise ExpressionError(
                    f"the number {_literal(value)} is too large for a float (the largest is about 1.8e308)"
                )
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            continue
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            continue
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExpressionError(
                    f"calling {_source(node.func)} is not allowed: the functions are {', '.join(FUNCTIONS)}"
                )
            if node.keywords or len(node.args) != 1:
                raise ExpressionError(f"{node.func.id}() takes exactly one argument")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
            raise ExpressionError("the operator BitXor (^) is not allowed: use ** for powers, as in x ** 2")
        else:
            raise ExpressionError(f"{_describe(node)} is not allowed in an expression")


def _as_float(value: int | float) -> float:
    """A number literal as a float; inf for an integer too large for one."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _literal(value: int | float) -> str:
    """A number literal as short text (an integer of thousands of digits is not spelled out)."""
    if isinstance(value, int) and value.bit_length() > 200:
        try:
            digits = len(str(abs(value)))
        except ValueError:  # beyond Python's limit on converting an int to text (4300 digits)
            digits = int(value.bit_length() * math.log10(2)) + 1
        return f"of {digits} digits"
    return clip(repr(value), 40)


def _source(node: ast.AST) -> str:
    """A short piece of source text for a node, for an error message."""
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):  # ast.unparse recurses; a very deep node has no short text
        return "that expression"
    return clip(text, 40)


def _children(node: ast.AST) -> list[ast.AST]:
    """The operands _build needs first, left to right (a literal exponent is read in place)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _number(node.right) is not None:
            return [node.left]
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [] if _number(node) is not None else [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _build(root: ast.AST, env: Mapping[str, Value]) -> Value:
    """Turn a syntax tree, already checked by _check_syntax, into Value operations.

    The nodes are visited in post-order (operands before the operation, left before right) with
    a stack of finished operands, as a calculator in reverse Polish notation: no recursion.
    """
    order, pending = [], [root]
    while pending:  # node, then its operands right to left; reversed, that is post-order
        node = pending.pop()
        order.append(node)
        pending.extend(_children(node))
    order.reverse()
    done: list[Value] = []
    for node in order:
        number = _number(node)
        if number is not None:  # 2, −2.5, − − 3: a number, one constant (not a chain of negations)
            done.append(lift(number, "a number"))  # a Constant, as the 3 of x * 3 in Python
        elif isinstance(node, ast.Name):
            done.append(env[node.id])
        elif isinstance(node, ast.BinOp):
            exponent = _number(node.right) if isinstance(node.op, ast.Pow) else None
            if exponent is not None:  # x ** 2: a number exponent, so x may be < 0
                done.append(done.pop() ** exponent)
            else:
                right, left = done.pop(), done.pop()
                done.append(_BINARY[type(node.op)](left, right))
        elif isinstance(node, ast.UnaryOp):
            operand = done.pop()
            done.append(-operand if isinstance(node.op, ast.USub) else operand)
        elif isinstance(node, ast.Call):
            done.append(FUNCTIONS[node.func.id](done.pop()))
        else:  # unreachable after _check_syntax
            raise ExpressionError(f"{_describe(node)} is not allowed in an expression")
    return done.pop()


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
        return sign * _as_float(node.value)
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
        ast.Tuple: "a tuple (a comma outside a function call)",
        ast.JoinedStr: "an f-string",
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
