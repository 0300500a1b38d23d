"""Writing the lines: forward and backward float code for each node, named as the chapter names them."""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from autograd_tiny.core import floats, rules
from autograd_tiny.core.engine import Constant, Value
from autograd_tiny.core.names import display_names
from autograd_tiny.core.printing import num, printable

# names generated code uses besides the nodes': they cannot name a node
# names the generated code uses for itself, which no node may take: math's functions, Python's
# built-ins (sum, float, …: a node called sum would break the finite check) and the code's own
_RESERVED = (
    frozenset(rules.FLOAT_MATH)
    | frozenset(dir(builtins))
    | {
        "isfinite",
        "OverflowError",
        "params",
        "data",
        "saved",
        "seeds",
        "grads",
    }
)
_LINE = 100  # wrap long lists of names (the zero-initialised gradients) at about this width


# ---------------------------------------------------------------------------------------------
# Inlining: the rule table's small float functions written out where they are called.
# ---------------------------------------------------------------------------------------------

# What a student writes for each by hand. Each gives the function's own bits for every float
# (tests/test_compile.py checks that on signed zeros, infinities and NaN), and a call costs more
# than the arithmetic inside it. A function with a domain check (pow, log) stays a call unless its
# exponent is a whole number written in the code.
_INLINE = {
    "relu": "u if u > 0.0 else 0.0",
    "step": "1.0 if u > 0.0 else 0.0",
    "leaky_relu": "u if u > 0.0 else k * u",
    "select": "a if u > 0.0 else b",
    "sign": "1.0 if u > 0.0 else -1.0 if u < 0.0 else 0.0",
}
_DOT_TERMS = 32  # a longer dot product stays a call: a line of thousands of terms reads as nothing
# each inline form's names are its function's parameters, in order: relu(u), leaky_relu(u, k), …
_INLINE_ARGS = {name: tuple(inspect.signature(rules.FLOAT_MATH[name]).parameters) for name in _INLINE}


def _literal(node: ast.AST) -> float | None:
    """The number a literal (2.0, -3.0) stands for, or None if ``node`` is not one."""
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return value if type(value) is float else None


class _Inline(ast.NodeTransformer):
    """Rewrite calls of the table's functions into the arithmetic they do (see ``_INLINE``)."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        args = node.args
        if name in _INLINE and all(isinstance(a, (ast.Name, ast.Constant, ast.UnaryOp)) for a in args):
            # only simple arguments, so that writing one twice computes nothing twice
            params = dict(zip(_INLINE_ARGS[name], args, strict=True))
            return _Substitute(params).visit(ast.parse(_INLINE[name], mode="eval").body)
        if name == "dot" and all(isinstance(a, ast.List) for a in args) and len(args[0].elts) <= _DOT_TERMS:
            # w·x = w0 * x0 + w1 * x1 + …, added left to right as rules.dot adds
            terms = [ast.BinOp(w, ast.Mult(), x) for w, x in zip(args[0].elts, args[1].elts, strict=True)]
            out: ast.expr = terms[0] if terms else ast.Constant(0.0)
            for t in terms[1:]:
                out = ast.BinOp(out, ast.Add(), t)
            return out
        v = _literal(args[1]) if name in ("pow", "pow_minus_one") and len(args) == 2 else None
        if v is not None and v.is_integer() and abs(v) < 2.0**53:
            # a whole-number exponent has no domain error but 0 ** negative (ZeroDivisionError,
            # which Compiled hands to the engine to explain): uᵛ is u ** v, and uᵛ⁻¹ is u ** (v − 1)
            if name == "pow":
                return ast.BinOp(args[0], ast.Pow(), args[1])
            if v == 0.0:
                return ast.Constant(0.0)  # pow_minus_one(u, 0) = 0: u⁰ is flat
            if v == 2.0:
                return args[0]  # ∂u²/∂u = 2·u: u ** 1.0 is u, bit for bit
            return ast.BinOp(args[0], ast.Pow(), _number(v - 1.0))
        return node


class _Substitute(ast.NodeTransformer):
    """Replace the names of an inline form by the call's arguments."""

    def __init__(self, params: dict[str, ast.expr]) -> None:
        self.params = params

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.params.get(node.id, node)


def _number(x: float) -> ast.expr:
    """A float literal, as ``ast.parse(repr(x))`` writes it (−1.0 is a minus sign and 1.0)."""
    return ast.parse(repr(x), mode="eval").body


def _code(expr: str, code: dict[str, str], templates: dict | None = None) -> str:
    """A rule's expression as the Python that compiled code runs: names replaced, calls inlined.

    ``templates``: lines already written, to be reused. Each is written once per expression and
    kind of arguments, with every variable in it as a slot _0, _1, … (so nothing else in the line
    can be taken for a slot), and then filled in: one variable for another changes nothing else
    in the line, so a graph of 10^6 nodes is written in a minute, not three. A number is part of
    the key: it can change the line (pow(u, 2.0) is u ** 2.0)."""
    variables: list[str] = []

    def slot(v: str) -> str:
        if not v.isidentifier():
            return v
        variables.append(v)
        return f"_{len(variables) - 1}"

    shape = tuple(
        (k, "[" + ", ".join(map(slot, v[1:-1].split(", "))) + "]" if v[:1] == "[" else slot(v))
        for k, v in code.items()
    )
    templates = {} if templates is None else templates
    template = templates.get((expr, shape))
    if template is None:
        tree = _Inline().visit(ast.parse(rules.to_python(expr, dict(shape)), mode="eval"))
        template = templates[expr, shape] = ast.unparse(ast.fix_missing_locations(tree))
    return _SLOT.sub(lambda m: variables[int(m[1])], template)


def _text(expr: str, text: dict[str, str], values: dict[str, float], templates: dict) -> str:
    """``rules.to_text(expr, text, values)``, written once per expression, names and numbers with
    the names' texts as slots, then filled in (the printer never looks inside a name's text)."""
    key = (expr, tuple(text), tuple((k, repr(v)) for k, v in values.items()))  # repr: −0.0 is not 0.0
    template = templates.get(key)
    if template is None:
        template = templates[key] = rules.to_text(expr, {k: f"\0{i}\0" for i, k in enumerate(text)}, values)
    shown = list(text.values())
    return _HOLE.sub(lambda m: shown[int(m[1])], template)


_SLOT = re.compile(r"\b_(\d+)\b")
_HOLE = re.compile("\0(\\d+)\0")


# ---------------------------------------------------------------------------------------------
# Names: labels made into Python identifiers, and labels as the chapter writes them.
# ---------------------------------------------------------------------------------------------


def identifier(label: str) -> str:
    """A label as a Python name: 'W1[0,1]' → 'W1_0_1', 'ŷ−y' → 'ŷ_y'; '' if nothing usable is left."""
    s = unicodedata.normalize("NFKC", label)  # Python reads ﬁ as fi: names are compared in this form
    s = re.sub(r"\W+", "_", s).strip("_")
    if s[:1].isdigit():
        s = "_" + s
    if keyword.iskeyword(s):
        s += "_"
    return s if s.isidentifier() else ""


def comment_safe(text: str) -> str:
    """A label as it may stand in a comment or a docstring of generated code: data, never code.

    A label is the user's text, and may come from a file: a line break in it (\\n, \\r, U+2028, …)
    would start a statement, a quote or backslash could end the docstring or make a bad escape.
    So a backslash and a double quote are escaped, and every character that is not printable (line
    and paragraph breaks, NUL and other controls) is written as its escape: the text stays one line.
    """
    return printable(text.replace("\\", "\\\\").replace('"', '\\"'))


def _wrap(text: str) -> str:
    """A name inside a formula, parenthesised if it has an operator in it: 2·(ŷ−y)."""
    return f"({text})" if any(c in text for c in "+−-*/·^ ") and not text.startswith("−") else text


class Names:
    """Unique identifiers (for code) and display labels (for comments) of the nodes of one function."""

    def __init__(self, reserved: set[str]) -> None:
        """No node named yet; ``reserved`` holds names that the code uses for other things."""
        self.used = set(_RESERVED) | reserved
        self.code: dict[int, str] = {}
        self.shown: dict[int, str] = {}

    def copy(self) -> Names:
        """Another namer that starts from this one's names (for one branch of a function)."""
        other = Names(set())
        other.used, other.code, other.shown = set(self.used), dict(self.code), dict(self.shown)
        return other

    def fresh(self, base: str, index: int | None = None) -> str:
        """``base``, or base_<index> (then more underscores) if that name is taken."""
        name = base
        if name in self.used and index is not None:
            name = f"{base}_{index}"
        while name in self.used:
            name += "_"
        self.used.add(name)
        return name

    def add(self, node: Value, index: int, shown: dict[int, str], base: str | None = None) -> str:
        """Name a node: its label as an identifier (or ``base``), t<index> if it has none."""
        name = self.fresh(base or identifier(node.label) or f"t{index}", index)
        self.code[id(node)] = name
        if base:
            self.shown[id(node)] = name
        elif node.label:
            self.shown[id(node)] = comment_safe(shown.get(id(node), node.label))
        else:
            self.shown[id(node)] = name
        return name


def shown_names(nodes: list[Value]) -> dict[int, str]:
    """How the comments name each labelled node: as trace does (a name several nodes would share
    gets #<index>, its place in ``nodes``), so a comment and a trace row say the same."""
    return {id(n): shown for n, shown in zip(nodes, display_names(nodes), strict=True) if n.label}


# ---------------------------------------------------------------------------------------------
# Writing the lines.
# ---------------------------------------------------------------------------------------------


class Writer:
    """The forward and backward lines of a piece of a graph.

    ``order``: the op nodes to compute, parents first. ``names``: identifiers of those nodes and of
    the nodes whose numbers are arguments. Any other leaf is a literal. ``wrt``: the nodes whose
    gradients are wanted; a gradient is computed for a node only if some path leads from it to one
    of them. ``d``: how gradients are named (dL for ∂L/∂…).
    """

    def __init__(
        self, order: Sequence[Value], names: Names, wrt: Sequence[Value], d: str,
        grads: dict[int, str] | None = None, seeded: Sequence[Value] = (),
    ) -> None:  # fmt: skip
        """A writer for the nodes ``order``, named by ``names``, with gradients for ``wrt`` (prefix ``d``)."""
        self.order, self.names, self.d = order, names, d
        self.forward: list[str] = []
        self.steps = 0
        self.values = [names.code[id(n)] for n in order]  # every forward value, for the finite check
        wanted = {id(v) for v in wrt}
        # needs: the nodes through which a gradient reaches an input (a forward sweep over the order)
        self.needs = set(wanted)
        for n in order:
            if any(id(p) in self.needs for p in n.parents):
                self.needs.add(id(n))
        self.wanted = wanted
        # gradients that have a value before the first chain-rule step (the root's 1, an example's
        # output's seed), and those whose first contribution is an assignment: added to from then on
        self.assigned: set[int] = {id(v) for v in seeded}
        self.grad: dict[int, str] = {k: g for k, g in (grads or {}).items() if k in self.needs}
        for n in [*reversed(order), *wrt]:
            if id(n) in self.needs and id(n) not in self.grad:
                self.grad[id(n)] = names.fresh(f"{d}_d{names.code[id(n)]}")
        self.steps_of: dict[int, list[str]] = {}  # a node's chain-rule lines, by id
        self.templates: dict = {}  # lines and formulas written so far, with slots (see _code)
        for n in order:
            self.forward.append(self._forward(n))
        for n in reversed(order):
            if id(n) in self.grad:
                self.steps_of[id(n)] = self._backward(n)

    @property
    def backward(self) -> list[str]:
        """Every chain-rule line, children first (a node's lines together, as ``steps_of`` has them)."""
        return [line for n in reversed(self.order) for line in self.steps_of.get(id(n), ())]

    # operands -----------------------------------------------------------------------------------

    def code(self, node: Value) -> str:
        """A node's number in code: its variable, or a literal for a constant or fixed leaf."""
        return self.names.code.get(id(node)) or repr(node.data)

    def shown(self, node: Value) -> str:
        """A node in a comment: its label, or its number."""
        return self.names.shown.get(id(node)) or (comment_safe(node.label) if node.label else num(node.data))

    def _operands(self, rule: rules.Rule, groups: list[Any], y: str | None) -> tuple[dict, dict, dict]:
        """The rule's input names as code, as text and (for constants) as numbers to fold in."""
        code: dict[str, str] = {} if y is None else {"y": y}
        text: dict[str, str] = {}
        values: dict[str, float] = {}
        for name, vec, g in zip(rule.names, rule.vectors, groups, strict=True):
            if vec:
                code[name] = "[" + ", ".join(self.code(p) for p in g) + "]"
                shown = [self.shown(p) for p in g]
                if len(shown) > 4:
                    shown = [shown[0], shown[1], "…", shown[-1]]
                text[name] = _wrap(shown[0]) if len(g) == 1 else "(" + ", ".join(shown) + ")"
            elif id(g) in self.names.code or (g.label and not isinstance(g, Constant)):
                code[name] = self.code(g)
                text[name] = _wrap(self.shown(g))
            else:  # a number: its value is folded into the formula, as trace does (2·u, not v·u^(v−1))
                code[name] = repr(g.data)
                values[name] = g.data
        return code, text, values

    # lines --------------------------------------------------------------------------------------

    def _forward(self, n: Value) -> str:
        """y = <the rule's forward expression>  # y = <the same as the chapter writes it>."""
        rule = rules.RULES[n.op]
        code, text, values = self._operands(rule, rule.split(n.parents), None)
        name = self.names.code[id(n)]
        formula = _text(rule.forward, text, values, self.templates)
        return f"{name} = {_code(rule.forward, code, self.templates)}  # {self.shown(n)} = {formula}"

    def _backward(self, n: Value) -> list[str]:
        """One line per parent that needs a gradient: ∂L/∂u += ∂y/∂u · ∂L/∂y."""
        rule = rules.RULES[n.op]
        groups = rule.split(list(n.parents))
        code, text, values = self._operands(rule, groups, self.names.code[id(n)])
        text["y"] = _wrap(self.shown(n))
        where = rule.split(list(range(len(n.parents))))  # parent k → (input j, element i)
        place: dict[int, tuple[int, int | None]] = {}
        for j, g in enumerate(where):
            for i, k in enumerate(g) if isinstance(g, list) else [(None, g)]:
                place[k] = (j, i)
        lines: list[str] = []
        vectors: dict[int, str] = {}  # input j → the variable holding its vector of derivatives
        gy = self.grad[id(n)]
        for k, p in enumerate(n.parents):
            if id(p) not in self.grad:
                continue  # a constant, a fixed leaf, or a node from which no input is reached
            j, i = place[k]
            expr = rule.derivs[j]
            if i is None:
                local = _code(expr, code, self.templates)
                formula = _text(expr, text, values, self.templates)
            else:
                local, formula = self._element(rule, j, i, groups, code, text, values, vectors, lines, n)
            gp = self.grad[id(p)]
            comment = f"  # ∂{_wrap(self.shown(n))}/∂{_wrap(self.shown(p))} = {formula}"
            # An inner node's gradient is assigned its first contribution rather than added to 0.0:
            # that differs only in the sign of a zero, and a gradient is only ever multiplied and
            # added to sums that start at 0.0, where +0 and −0 give the same bits. An input's
            # gradient (returned, or carried from example to example) is added to, as in the engine.
            first = id(p) not in self.wanted and id(p) not in self.assigned
            if first:
                self.assigned.add(id(p))
            if local == "1.0":  # 1·g is g exactly, and a − g is a + (−1)·g exactly (IEEE 754)
                lines.append(f"{gp} = {gy}{comment}" if first else f"{gp} += {gy}{comment}")
            elif local == "-1.0":
                lines.append(f"{gp} = -{gy}{comment}" if first else f"{gp} -= {gy}{comment}")
            else:
                if i is None:  # local · upstream, parenthesised as Python needs
                    step = _code(f"({expr}) * upstream_", {**code, "upstream_": gy}, self.templates)
                else:
                    step = ast.unparse(
                        ast.BinOp(ast.parse(local, mode="eval").body, ast.Mult(), ast.Name(gy))
                    )
                lines.append(f"{gp} {'=' if first else '+='} {step}{comment}")
            self.steps += 1
        return lines

    def _element(
        self,
        rule: rules.Rule,
        j: int,
        i: int,
        groups: list[Any],
        code: dict,
        text: dict,
        values: dict,
        vectors: dict[int, str],
        lines: list[str],
        n: Value,
    ) -> tuple[str, str]:
        """The local derivative with respect to element i of vector input j, as code and text."""
        expr = rule.derivs[j]
        tree = ast.parse(expr, mode="eval").body
        if isinstance(tree, ast.Name) and tree.id in rule.names:  # ∂(w·x)/∂wᵢ = xᵢ
            other = groups[rule.names.index(tree.id)][i]
            return self.code(other), self.shown(other)
        if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name) and tree.func.id == "ones":
            return "1.0", "1"
        if isinstance(tree, ast.Constant):  # the same number for every element
            return rules.to_python(expr), rules.to_text(expr)
        if j not in vectors:  # a vector of derivatives, computed once as the engine does: softmax(u)
            name = self.names.fresh(f"d{self.names.code[id(n)]}_d{rule.names[j]}")
            vectors[j] = name
            lines.append(
                f"{name} = {_code(expr, code)}  # ∂{_wrap(self.shown(n))}/∂{rule.names[j]} = "
                f"{rules.to_text(expr, text, values)}"
            )
        return f"{vectors[j]}[{i}]", f"{_wrap(rules.to_text(expr, text, values))}[{i}]"

    def zero_lines(self, skip: set[int]) -> list[str]:
        """Gradients that start at 0.0 (all but ``skip``: a seed, an accumulator), a few to a line."""
        zeros = [g for k, g in self.grad.items() if k not in skip and k not in self.assigned]
        lines, line = [], ""
        for g in zeros:
            if line and len(line) + len(g) + 3 > _LINE - 10:
                lines.append(line + " = 0.0")
                line = ""
            line = f"{line} = {g}" if line else g
        if line:
            lines.append(line + " = 0.0")
        return lines


def finite_check(terms: str, what: str, kind: str = "a value or gradient") -> list[str]:
    """Lines that stop the function ``what`` if any number that ``terms`` (an iterable, in code)
    yields is not finite (one sum: inf and NaN survive addition, so the sum is finite only if every
    term is, unless it overflows)."""
    return [
        "# inf or NaN anywhere is refused, as the engine refuses it (its backward() names the op)",
        f"if not isfinite(sum({terms})):",
        f'    raise OverflowError("{what}: {kind} is not finite (or their sum overflows)")',
    ]


def import_lines(source: str) -> list[str]:
    """The import lines for the functions of the rule table that ``source`` calls."""
    code = "\n".join(line.split("  # ", 1)[0] for line in source.splitlines())  # comments left out
    called = set(re.findall(r"\b(\w+)\(", code)) & set(rules.FLOAT_MATH)
    modules = {c: getattr(rules.FLOAT_MATH[c], "__module__", "") for c in called}
    from_math = sorted({"isfinite"} | {c for c in called if modules[c] == "math"})
    from_rules = sorted(c for c in called if modules[c] == floats.__name__)  # abs and sum are built in
    lines = [f"from math import {', '.join(from_math)}"]
    if from_rules:
        lines += ["", f"from autograd_tiny.rules import {', '.join(from_rules)}"]
    return lines


def indented(lines: Sequence[str]) -> list[str]:
    """The lines one level deeper (four spaces), blank lines left blank."""
    return ["    " + line if line else "" for line in lines]


def unpacking(names: Sequence[str]) -> str:
    """The left side of an unpacking: 'a, b' (or 'a,' for one)."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def tuple_display(names: Sequence[str]) -> str:
    """A tuple display: '(a, b)' (or '(a,)')."""
    return f"({unpacking(names)})"
