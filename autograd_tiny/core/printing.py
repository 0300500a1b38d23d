"""How numbers and the rule table's expressions read: as text, as LaTeX, as Python with other names.

``num(x)`` writes a number as a person does (−0.25, not -0.25); ``to_text`` and ``to_latex`` print
a derivative expression with the parents' names substituted ("∂a/∂z = 1 − tanh²(z)"); ``to_python``
renames its inputs for generated code. Nothing here knows about Values: these are functions of
strings and numbers, shared by the engine's docstrings and by every view.
"""

from __future__ import annotations

import ast
import math
from typing import Any


def printable(text: str) -> str:
    """``text`` with every character that is not printable (NUL and other controls, line and
    paragraph breaks) written as its Python escape (\\x00, \\n, \\u2028): one line, safe in a
    DOT label, a comment or a docstring."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def num(x: float, digits: int = 6) -> str:
    """A number as a person writes it: ``digits`` significant digits, a true minus sign, no trailing .0."""
    s = f"{x:.{digits}g}"
    return s.replace("-", "−") if s != "-0" else "0"


def factor(x: float, digits: int = 6) -> str:
    """A number inside a product or a sum: negatives in parentheses, as in 2 · (−6)."""
    return f"({num(x, digits)})" if x < 0 else num(x, digits)


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
    "sigmoid_slope": "{0}(1 − {0})", "bce": "−[{1}·ln {0} + (1 − {1})·ln(1 − {0})]",
    "bce_slope": "({0} − {1})/({0}(1 − {0}))", "sech2": "1 − tanh²({0})", "softplus": "softplus({0})",
    "relu": "ReLU({0})",
    "leaky_relu": "LeakyReLU({0}; {1})", "step": "ReLU′({0})", "select": "{1} if {0} > 0 else {2}",
    "sign": "sign({0})", "abs": "|{0}|", "sin": "sin({0})", "cos": "cos({0})", "pow": "{0}^{1}",
    "pow_minus_one": "{0}^({1}−1)", "xlogy": "{0}·ln {1}", "dot": "{0}·{1}", "sum": "Σ {0}",
    "logsumexp": "log Σ exp({0})", "softmax": "softmax({0})", "ones": "1", "square": "{0}²",
    "cross_entropy": "−log softmax({0})[{1}]", "softmax_minus_onehot": "softmax({0}) − onehot({1})",
}  # fmt: skip
_LATEX_CALLS = {
    "exp": r"e^{{{0}}}", "log": r"\ln {0}", "tanh": r"\tanh({0})", "sigmoid": r"\sigma({0})",
    "sigmoid_slope": r"{0}\left(1 - {0}\right)",
    "bce": r"-\left[{1} \ln {0} + (1 - {1}) \ln(1 - {0})\right]",
    "bce_slope": r"\frac{{{0} - {1}}}{{{0}\left(1 - {0}\right)}}",
    "sech2": r"\left(1 - \tanh^2({0})\right)",
    "softplus": r"\operatorname{{softplus}}({0})",
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
            if node.func.id in ("log", "xlogy"):  # ln of a sum or a quotient is bracketed: ln(1 − u)
                k = len(args) - 1
                if isinstance(node.args[k], (ast.BinOp, ast.UnaryOp)):
                    args[k] = rf"\left({args[k]}\right)" if latex else f"({args[k]})"
                    form = form.replace("ln {", "ln{")
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
    """An expression as a person writes it: to_text("y * exp(-u)", {"u": "z", "y": "ŷ"}) = "ŷ·exp(−z)".

    ``values`` gives numbers for names that are constants (the exponent of a square), folded in.
    """
    _check_expr(expr, names, "to_text")
    return _Printer(names or {}, latex=False).show(_tree(expr, values, "to_text"))


def to_latex(expr: str, names: dict[str, str] | None = None, values: dict[str, float] | None = None) -> str:
    """An expression as LaTeX: to_latex("1 / u", {"u": "z_1"}) = "\\frac{1}{z_1}"."""
    _check_expr(expr, names, "to_latex")
    return _Printer(names or {}, latex=True).show(_tree(expr, values, "to_latex"))
