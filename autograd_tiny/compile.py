"""Compile a recorded graph to Python: its forward and backward pass written out as float code.

The engine builds a graph of Value nodes and walks it. ``to_python(root, inputs)`` writes the same
computation out as a Python function of the inputs' numbers, one line per node of the forward pass
and one line per chain-rule step of the backward pass, named in the chapter's notation:

    z2 = w2 * a1 + b2  # z2 = w2·a1 + b2
    ...
    dL_dw2 += a1 * dL_dz2  # ∂z2/∂w2 = a1

Each forward line and each local derivative is the rule table's own expression (``rules.py``), with
its small float functions written out as a student would (``relu(z)`` as ``z if z > 0.0 else 0.0``,
``dot`` as a sum of products, added left to right as ``rules.dot`` adds), and every gradient
receives ``local * upstream`` in the engine's order (reverse topological order), so
``compile(root, inputs)`` returns exactly the engine's numbers, bit for bit, only faster: no nodes
are made and nothing is looked up.

What is compiled is the *recorded* graph: the function computes, for new input numbers, what that
graph computes. Python code with an ``if`` on a value can build a different graph for other numbers;
``Compiled.check(root, inputs)`` compares a fresh graph with the recorded one (ops, wiring,
constants) and raises a ValueError naming the first difference, and ``compile(f, example_inputs)``
compiles a function of Values and, by default, makes that check on every call. (ReLU's derivative
step(z) depends on the data but not the structure: it is computed, like every local derivative.)

Numbers: a Constant (the 10 of ``z2 - 10``) and a leaf that is not an input are written as
literals, and their derivatives are never computed; neither is any gradient that no input needs.
A value or gradient that is not finite, or a domain error, makes ``Compiled`` run the engine on the
recorded graph, so the error is the engine's own, naming the op.

A graph of more than 10,000 op nodes is written in pieces: a function per 10,000 nodes of the
forward pass, one per piece for its backward lines, and the function itself calling them in turn
(the same lines in the same order, so the same bits). One function with a million variables would
run each line slower; in pieces a node costs the same at 10^6 nodes as at 10^4.

``compile_batch`` compiles a training loss over many examples: a forward and a backward function
that loop over the examples (one branch per example structure, reused for every example and step),
and a function for the loss on top; the parameters' gradients are added to in the engine's order.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from autograd_tiny import rules
from autograd_tiny.engine import OPS, Constant, CustomOp, Value, finite, lift
from autograd_tiny.graph import topological_order
from autograd_tiny.trace import display_names, num

__all__ = ["Compiled", "CompiledBatch", "compile", "compile_batch", "to_python"]

# names generated code uses besides the nodes': they cannot name a node
_RESERVED = frozenset(rules.FLOAT_MATH) | {
    "isfinite",
    "OverflowError",
    "params",
    "data",
    "saved",
    "seeds",
    "grads",
}
_LINE = 100  # wrap long lists of names (the zero-initialised gradients) at about this width


# ---------------------------------------------------------------------------------------------
# Checking what is compiled.
# ---------------------------------------------------------------------------------------------


def _check_root(root: object) -> Value:
    """``root`` as a Value, or a TypeError."""
    if not isinstance(root, Value):
        raise TypeError(f"compile: root must be a Value (the output of a graph), got {type(root).__name__}")
    return root


def _check_inputs(inputs: object, what: str = "inputs") -> list[Value]:
    """The inputs as a list of distinct leaf Values, or a clear error."""
    if isinstance(inputs, (Value, str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"compile: {what} must be a list of Values, got {type(inputs).__name__}")
    out = list(inputs)
    seen: set[int] = set()
    for k, v in enumerate(out):
        if not isinstance(v, Value):
            raise TypeError(f"compile: {what}[{k}] must be a Value, got {type(v).__name__}")
        if isinstance(v, Constant):
            raise ValueError(
                f"compile: {what}[{k}] is a constant the graph lifted from a number, not an input"
            )
        if v.parents:
            raise ValueError(
                f"compile: {what}[{k}] ({v.label or v.op}) is computed by {v.op}: an input must be a leaf "
                "(a Value made from a number)"
            )
        if id(v) in seen:
            raise ValueError(f"compile: {what}[{k}] ({v.label or 'unlabelled'}) is listed twice")
        seen.add(id(v))
    return out


def _refuse_custom(order: Sequence[Value]) -> None:
    """A ValueError naming the first op made by ``Value.from_op``: its rule is not in the table."""
    for n in order:
        if isinstance(n, CustomOp) or (n.parents and n.op not in rules.RULES):
            raise ValueError(
                f"compile: the graph contains the op {n.op!r} made with Value.from_op; only the ops of "
                "the rule table (rules.TABLE) can be written as code: its derivative is known only as numbers"
            )


# ---------------------------------------------------------------------------------------------
# The recorded structure: what a fresh graph is compared with, and how the engine is replayed.
# ---------------------------------------------------------------------------------------------

Entry = tuple  # ("input", k) | ("leaf", repr) | ("constant", repr) | ("op", name, parent positions)


def _record(order: Sequence[Value], inputs: Sequence[Value]) -> list[Entry]:
    """The graph as a list of entries, one per node in topological order (leaves included)."""
    pos = {id(n): i for i, n in enumerate(order)}
    which = {id(v): k for k, v in enumerate(inputs)}
    out: list[Entry] = []
    for n in order:
        if n.parents:
            out.append(("op", n.op, tuple(pos[id(p)] for p in n.parents)))
        elif id(n) in which:
            out.append(("input", which[id(n)]))
        else:  # repr keeps every bit (and the sign of a zero), so equal strings are equal numbers
            out.append(("constant" if isinstance(n, Constant) else "leaf", repr(n.data)))
    return out


def _describe(entry: Entry, labels: Sequence[str], names: Sequence[str]) -> str:
    """One entry in words: 'relu(z1)', 'the constant 10.0', 'input w1'."""
    if entry[0] == "op":
        return f"{entry[1]}({', '.join(labels[i] or f'node {i}' for i in entry[2])})"
    if entry[0] == "input":
        return f"input {names[entry[1]]}"
    return f"the {'constant' if entry[0] == 'constant' else 'fixed leaf'} {entry[1]}"


def _first_difference(
    old: Sequence[Entry], new: Sequence[Entry], labels: Sequence[str], new_labels: Sequence[str],
    names: Sequence[str],
) -> str | None:  # fmt: skip
    """How two recorded graphs differ first, in words, or None if they are the same."""
    for i, (a, b) in enumerate(zip(old, new)):  # noqa: B905 (the lengths are compared below)
        if a != b:
            where = labels[i] or new_labels[i] or f"node {i}"
            return (
                f"node {i} ({where}) is {_describe(b, new_labels, names)} here but "
                f"{_describe(a, labels, names)} in the compiled graph"
            )
    if len(old) != len(new):
        return f"the compiled graph has {len(old)} nodes, this one {len(new)}"
    return None


def _replay(
    entries: Sequence[Entry], labels: Sequence[str], xs: Sequence[float], n_inputs: int
) -> tuple[list[Value], list[float]]:
    """Run the recorded graph through the engine at new input numbers: its nodes and gradients.

    Used when compiled code stops (a domain error or a number that is not finite), so the error a
    user sees is the engine's own, naming the op; fresh leaves are made, so no ``.grad`` changes.
    """
    nodes: list[Value] = []
    inputs: list[Value | None] = [None] * n_inputs
    for entry, label in zip(entries, labels, strict=True):
        kind = entry[0]
        if kind == "input":
            v = Value(xs[entry[1]], label)
            inputs[entry[1]] = v
        elif kind == "leaf":
            v = Value(float(entry[1]), label)
        elif kind == "constant":
            v = lift(float(entry[1]), "a compiled graph")
        else:
            ps = [nodes[i] for i in entry[2]]
            # a division goes through the operator, whose error names the zero divisor
            v = ps[0] / ps[1] if entry[1] == "div" else OPS[entry[1]](*rules.RULES[entry[1]].split(ps))
            v.label = label
        nodes.append(v)
    nodes[-1].backward()
    return nodes, [v.grad if v is not None else 0.0 for v in inputs]


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


def _wrap(text: str) -> str:
    """A name inside a formula, parenthesised if it has an operator in it: 2·(ŷ−y)."""
    return f"({text})" if any(c in text for c in "+−-*/·^ ") and not text.startswith("−") else text


class _Names:
    """Unique identifiers (for code) and display labels (for comments) of the nodes of one function."""

    def __init__(self, reserved: set[str]) -> None:
        self.used = set(_RESERVED) | reserved
        self.code: dict[int, str] = {}
        self.shown: dict[int, str] = {}

    def copy(self) -> _Names:
        """Another namer that starts from this one's names (for one branch of a function)."""
        other = _Names(set())
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
            self.shown[id(node)] = shown.get(id(node), node.label)
        else:
            self.shown[id(node)] = name
        return name


def _shown_names(nodes: list[Value]) -> dict[int, str]:
    """How the comments name each labelled node: as trace does (a name several nodes would share
    gets #<index>, its place in ``nodes``), so a comment and a trace row say the same."""
    return {id(n): shown for n, shown in zip(nodes, display_names(nodes), strict=True) if n.label}


# ---------------------------------------------------------------------------------------------
# Writing the lines.
# ---------------------------------------------------------------------------------------------


class _Writer:
    """The forward and backward lines of a piece of a graph.

    ``order``: the op nodes to compute, parents first. ``names``: identifiers of those nodes and of
    the nodes whose numbers are arguments. Any other leaf is a literal. ``wrt``: the nodes whose
    gradients are wanted; a gradient is computed for a node only if some path leads from it to one
    of them. ``d``: how gradients are named (dL for ∂L/∂…).
    """

    def __init__(
        self, order: Sequence[Value], names: _Names, wrt: Sequence[Value], d: str,
        grads: dict[int, str] | None = None, seeded: Sequence[Value] = (),
    ) -> None:  # fmt: skip
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
        return self.names.shown.get(id(node)) or (node.label if node.label else num(node.data))

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


def _finite_check(terms: str, what: str, kind: str = "a value or gradient") -> list[str]:
    """Lines that stop the function ``what`` if any number that ``terms`` (an iterable, in code)
    yields is not finite (one sum: inf and NaN survive addition, so the sum is finite only if every
    term is, unless it overflows)."""
    return [
        "# inf or NaN anywhere is refused, as the engine refuses it (its backward() names the op)",
        f"if not isfinite(sum({terms})):",
        f'    raise OverflowError("{what}: {kind} is not finite (or their sum overflows)")',
    ]


def _imports(source: str) -> list[str]:
    """The import lines for the functions of the rule table that ``source`` calls."""
    code = "\n".join(line.split("  # ", 1)[0] for line in source.splitlines())  # comments left out
    called = set(re.findall(r"\b(\w+)\(", code)) & set(rules.FLOAT_MATH)
    modules = {c: getattr(rules.FLOAT_MATH[c], "__module__", "") for c in called}
    from_math = sorted({"isfinite"} | {c for c in called if modules[c] == "math"})
    from_rules = sorted(c for c in called if modules[c] == rules.__name__)  # abs and sum are built in
    lines = [f"from math import {', '.join(from_math)}"]
    if from_rules:
        lines += ["", f"from autograd_tiny.rules import {', '.join(from_rules)}"]
    return lines


def _indent(lines: Sequence[str]) -> list[str]:
    return ["    " + line if line else "" for line in lines]


# ---------------------------------------------------------------------------------------------
# One function of the inputs: to_python and compile.
# ---------------------------------------------------------------------------------------------


class _Source(NamedTuple):
    """A generated function: its text, its parameters' names, its counts of nodes and steps."""

    text: str
    params: list[str]
    nodes: int
    steps: int


def _function(
    root: Value,
    inputs: Sequence[Value],
    name: str,
    order: Sequence[Value] | None = None,
    bases: dict[int, str] | None = None,
) -> _Source:
    """The source of ``name(*inputs) -> (root, [gradients])``, with its parameters and counts.

    ``order`` (the op nodes, parents first) defaults to the graph's; ``inputs`` are then leaves.
    ``compile_batch`` passes the loss's own nodes, with examples' outputs among the inputs (named
    by ``bases``).
    """
    full = topological_order(root)
    if order is None:
        _refuse_custom(full)
        order = [n for n in full if n.parents]  # the inputs are leaves
    # index as trace numbers its rows (constants left out), so t7 here is n7 there
    rows = [n for n in full if not isinstance(n, Constant) or n is root]
    index = {id(n): i for i, n in enumerate(rows)}
    names = _Names({name})
    shown = _shown_names(rows)
    bases = bases or {}
    params = [names.add(v, index.get(id(v), k), shown, bases.get(id(v))) for k, v in enumerate(inputs)]
    for n in order:  # an unlabelled root is y, as in y = f(x)
        names.add(n, index[id(n)], shown, "y" if n is root and not n.label else None)
    root_code = names.code.get(id(root))
    # ∂L/∂…: named after the root's label; an unlabelled root is called y
    label = names.shown.get(id(root)) if root.label else "y"
    d = names.fresh("d" + (identifier(root.label) or "y"))
    in_graph = {id(n) for n in full}
    w = _Writer(order, names, [v for v in inputs if id(v) in in_graph], d, seeded=[root])
    doc = (
        f'"""{label} and its gradient with respect to {", ".join(params) or "nothing"}, by the chain rule."""'
    )
    start = []  # the root's gradient, 1, and the inputs' gradients' first values, 0
    if id(root) in w.grad:
        start = [f"{w.grad[id(root)]} = 1.0", *w.zero_lines({id(root)})]
    grads = [w.grad.get(id(v), "0.0") for v in inputs]
    result = f"return {root_code or repr(root.data)}, [{', '.join(grads)}]"
    if len(order) > _PIECE:
        text = _in_pieces(name, params, doc, start, order, w, [g for g in grads if g != "0.0"], result)
        return _Source(text, params, len(order), w.steps)
    body = [doc, "# forward pass: one line per node, parents first", *w.forward]
    if start:
        body.append(
            f"# backward pass: ∂{label}/∂u += ∂v/∂u · ∂{label}/∂v for each node v and parent u, "
            "children first"
        )
        body += [*start, *w.backward]
    checked = w.values + [g for g in grads if g != "0.0"]
    body += _finite_check(_tuple(checked), name) if checked else []
    body.append(result)
    head = f"def {name}({', '.join(params)}):"
    return _Source("\n".join([head, *_indent(body)]) + "\n", params, len(order), w.steps)


# ---------------------------------------------------------------------------------------------
# A long graph in pieces.
# ---------------------------------------------------------------------------------------------

# Op nodes per function in a long graph. CPython numbers a function's variables, and a variable
# numbered beyond 255 (65,535) costs an extra instruction (two) at every use: the compiled chain
# of 10^6 ops ran at 1.7× the time per node of 10^4 in one function. In pieces of 10^4 nodes, each
# with its own variables, a node costs what it costs in a graph of 10^4.
_PIECE = 10_000
_WORD = re.compile(r"\b(?!\d)\w+")  # the names in a line of code (θ, ŷ too), keywords, functions


def _block(lines: Sequence[str]) -> tuple[dict[str, None], dict[str, None]]:
    """The names a block of generated lines reads before it writes them, and those it writes (in
    order of first use). Every line is ``target = expr``, ``target += expr`` or ``target -= expr``."""
    reads: dict[str, None] = {}
    writes: dict[str, None] = {}
    for line in lines:
        target, op, expr = line.split("  # ", 1)[0].split(" ", 2)
        for word in _WORD.findall(expr):
            if word not in writes:
                reads[word] = None
        if op != "=" and target not in writes:  # += reads its target first
            reads[target] = None
        writes[target] = None
    return reads, writes


def _in_pieces(
    name: str, params: list[str], doc: str, start: list[str], order: Sequence[Value], w: _Writer,
    grads: list[str], result: str,
) -> str:  # fmt: skip
    """The source of ``name`` for a long graph: functions of ``_PIECE`` nodes' forward lines, then
    one per piece for its backward lines (last piece first), called in turn by ``name``, which
    passes each number from the function that makes it to the functions that use it.

    ``start``: the lines that give the root's gradient and the inputs' gradients their first
    values. The lines are those of the function in one piece, in the same order, so the numbers
    are the same, bit for bit. A piece's forward values that only its own backward function reads
    travel as one tuple, so ``name`` holds few variables however long the graph."""
    cuts = range(0, len(order), _PIECE)
    k = len(cuts)
    # the blocks of lines in the order they run: forward 1, …, k, then backward k, …, 1
    blocks = [
        (w.names.fresh(f"{name}_forward_{i + 1}"), w.forward[a : a + _PIECE], i) for i, a in enumerate(cuts)
    ]
    for i in reversed(range(k)):
        lines = [
            line for n in reversed(order[cuts[i] : cuts[i] + _PIECE]) for line in w.steps_of.get(id(n), ())
        ]
        if lines:
            blocks.append((w.names.fresh(f"{name}_backward_{i + 1}"), lines, i))
    scanned = [_block(lines) for _, lines, _ in blocks]
    variables = (
        set(params) | set(_WORD.findall(" ".join(start))) | {v for _, writes in scanned for v in writes}
    )
    ins = [[v for v in reads if v in variables] for reads, _ in scanned]
    readers: dict[str, list[int]] = {}  # a name → the blocks that read it, in the order they run
    for b, names in enumerate(ins):
        for v in names:
            readers.setdefault(v, []).append(b)
    last = set(grads) | set(_WORD.findall(result))  # what the whole function checks and returns
    back = {i: b for b, (_, _, i) in enumerate(blocks) if b >= k}  # piece → its backward block
    saved: dict[int, tuple[str, list[str]]] = {}  # piece → its tuple's name in ``name``, its values
    top = [
        doc,
        f"# {len(order):,} nodes: the forward pass in functions of {_PIECE:,} nodes, then the backward "
        "pass of each, last first",
    ]
    functions = []
    for b, ((fn, lines, i), (_, writes)) in enumerate(zip(blocks, scanned, strict=True)):
        piece = order[cuts[i] : cuts[i] + _PIECE]
        first, end = w.names.code[id(piece[0])], w.names.code[id(piece[-1])]
        nodes = f"{first} to {end}" if end != first else first
        body = [f'"""The {"forward" if b < k else "backward"} pass of {nodes}."""', *lines]
        args, call = ins[b], ins[b]
        if b == k:  # the backward pass begins
            top += start
        if b >= k and i in saved:  # this piece's own forward values, from its tuple
            tuple_name, values = saved[i]
            body.insert(1, f"{_targets(values)} = saved")
            args = ["saved", *[v for v in args if v not in set(values)]]
            call = [tuple_name, *args[1:]]
        outs = [v for v in writes if v in last or any(r > b for r in readers.get(v, ()))]
        returned = list(outs)
        if b < k:
            body += _finite_check(_tuple(list(writes)), fn, "a value")
            own = [v for v in outs if v not in last and i in back and readers[v] == [back[i]]]
            if own:
                saved[i] = (w.names.fresh(f"saved_{i + 1}"), own)
                returned = [v for v in outs if v not in set(own)] + [_tuple(own)]
                outs = [v for v in outs if v not in set(own)] + [saved[i][0]]
        if returned:
            body.append(f"return {', '.join(returned)}")
        functions.append("\n".join([f"def {fn}({', '.join(args)}):", *_indent(body)]) + "\n")
        called = f"{fn}({', '.join(call)})"
        top.append(f"{', '.join(outs)} = {called}" if outs else called)
    if len(blocks) == k:  # no gradient to compute
        top += start
    top += _finite_check(_tuple(grads), name, "a gradient") if grads else []
    top.append(result)
    functions.append("\n".join([f"def {name}({', '.join(params)}):", *_indent(top)]) + "\n")
    return "\n\n".join(functions)


def _module(functions: Sequence[str]) -> str:
    """Generated functions with the imports they need: a file that runs as it is."""
    source = "\n\n".join(functions)
    return "\n".join(_imports(source)) + "\n\n\n" + source


def _function_name(name: object) -> str:
    """A valid name for the generated function: a TypeError if not a str, a ValueError if not a name."""
    if not isinstance(name, str):
        raise TypeError(f"compile: name must be a str (a Python identifier), got {type(name).__name__}")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"compile: name must be a Python identifier, got {name!r}")
    return name


def to_python(root: Value, inputs: Sequence[Value], name: str = "f") -> str:
    """The source of a function of the inputs' numbers that returns (root, [∂root/∂input, ...]).

    One line per node, one per chain-rule step, each with its formula as a comment; the same float
    expressions as the engine in the engine's order, so the numbers are the engine's, bit for bit.
    A graph of more than 10,000 op nodes comes in pieces of 10,000 nodes, each a function.
    """
    root = _check_root(root)
    inputs = _check_inputs(inputs)
    return _module([_function(root, inputs, _function_name(name)).text])


def _exec(source: str, filename: str) -> dict[str, Any]:
    """Run generated source in a namespace of its own and return that namespace."""
    namespace: dict[str, Any] = {"__name__": "autograd_tiny.compiled"}
    exec(builtins.compile(source, filename, "exec"), namespace)
    return namespace


def _numbers(values: Sequence[Any], what: Sequence[str]) -> Sequence[float]:
    """The inputs as finite floats: as they are when they already are (one quick look at each),
    else each through ``finite``, whose error names it as ``what[i]``."""
    for x in values:
        if type(x) is not float or x - x != 0.0:  # x − x is 0 for a finite x, NaN for ±inf and NaN
            return [finite(v, w) for v, w in zip(values, what, strict=True)]
    return values


class Compiled:
    """A recorded graph compiled to Python: call it with the inputs' numbers for (root, gradients).

    ``.source`` is the code; the numbers are the engine's, bit for bit. ``check(root, inputs)``
    refuses a graph whose structure differs from the compiled one.
    """

    def __init__(
        self,
        root: Value,
        inputs: Sequence[Value],
        name: str = "f",
        function: Callable[..., Value] | None = None,
        check: bool = False,
    ) -> None:
        """Compile the graph of ``root`` as a function of ``inputs`` (use ``compile``)."""
        root = _check_root(root)
        inputs = _check_inputs(inputs)
        self.name = _function_name(name)
        made = _function(root, inputs, self.name)
        self.source = _module([made.text])
        self.nodes, self.steps = made.nodes, made.steps  # op nodes, chain-rule steps
        self._fn = _exec(self.source, f"<compiled {self.name}>")[self.name]
        order = topological_order(root)
        self._entries = _record(order, inputs)
        self._labels = [n.label for n in order]
        self.input_names = [v.label for v in inputs]
        self._what = [
            f"{self.name}: input {i} ({label or 'unlabelled'})" for i, label in enumerate(self.input_names)
        ]
        self._params = ", ".join(made.params)
        self._function = function
        self.checks = bool(check) and function is not None

    def __call__(self, *xs: float) -> tuple[float, list[float]]:
        """(root, [∂root/∂input for each input]) at these numbers, one per input, in order."""
        if len(xs) != len(self.input_names):
            raise TypeError(
                f"{self.name}() takes {len(self.input_names)} numbers ({self._params}), got {len(xs)}"
            )
        values = _numbers(xs, self._what)
        if self.checks:
            self._check_function(values)
        try:
            return self._fn(*values)
        except (ArithmeticError, ValueError):
            # not finite somewhere, or a domain error: the engine says where, in its own words (or,
            # if the check was only cautious, gives the numbers)
            nodes, grads = _replay(self._entries, self._labels, values, len(values))
            return nodes[-1].data, grads

    def _check_function(self, values: Sequence[float]) -> None:
        """Build the function's graph at these numbers and compare it with the compiled one."""
        xs = [Value(v, label) for v, label in zip(values, self.input_names, strict=True)]
        root = self._function(*xs)  # type: ignore[misc]
        if not isinstance(root, Value):
            raise TypeError(f"compile: {self.name} must return a Value, got {type(root).__name__}")
        self.check(root, xs)

    def check(self, root: Value, inputs: Sequence[Value]) -> None:
        """Raise a ValueError naming the first difference if ``root``'s graph (with ``inputs`` in the
        places of the compiled inputs) is not the compiled one: its ops, wiring, constants, leaves."""
        root = _check_root(root)
        inputs = _check_inputs(inputs)
        if len(inputs) != len(self.input_names):
            raise ValueError(
                f"compile: check got {len(inputs)} inputs, the compiled function has {len(self.input_names)}"
            )
        order = topological_order(root)
        _refuse_custom(order)
        difference = _first_difference(
            self._entries, _record(order, inputs), self._labels, [n.label for n in order], self.input_names
        )
        if difference:
            raise ValueError(
                f"compile: this graph is not the one compiled as {self.name}: {difference}; "
                "compile it again (the graph depends on the numbers, e.g. through an `if` on a value)"
            )

    def __repr__(self) -> str:
        """Compiled f(x, w1, …) → L: 5 nodes, 9 chain-rule steps."""
        checked = ", checked against its function on every call" if self.checks else ""
        steps = f"{self.nodes} nodes, {self.steps} chain-rule steps"
        return f"<Compiled {self.name}({self._params}): {steps}{checked}>"


def compile(
    root: Value | Callable[..., Value],
    inputs: Sequence[Value] | Sequence[float],
    name: str | None = None,
    check: bool = True,
) -> Compiled:
    """``compile(root, inputs)``: the recorded graph as a callable of the inputs' numbers.

    ``compile(f, example_inputs)``: build f's graph at these numbers (inputs labelled by f's
    parameters) and compile it; each call then rebuilds the graph to check that it is the same
    (``check=False`` skips that, for a function whose graph never depends on its numbers).
    """
    if isinstance(root, Value) or not callable(root):
        return Compiled(
            _check_root(root), _check_inputs(inputs), _function_name("f" if name is None else name)
        )
    f = root
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"compile: example_inputs must be a list of numbers, got {type(inputs).__name__}")
    try:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = [p.name for p in inspect.signature(f).parameters.values() if p.kind in positional]
    except (TypeError, ValueError):  # a builtin without a signature
        params = []
    labels = [
        p if k < len(params) and identifier(p) == p else f"x{k}" for k, p in enumerate(params[: len(inputs)])
    ]
    labels += [f"x{k}" for k in range(len(labels), len(inputs))]
    xs = [
        Value(finite(x, f"compile: example input {k}"), label)
        for k, (x, label) in enumerate(zip(inputs, labels, strict=True))
    ]
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"compile: the function must return a Value, got {type(out).__name__}")
    fname = getattr(f, "__name__", "f")
    if name is None:
        name = fname if fname.isidentifier() and not keyword.iskeyword(fname) else "f"
    fname = name
    return Compiled(out, xs, _function_name(fname), function=f, check=check)


# ---------------------------------------------------------------------------------------------
# A loss over many examples: one function per example structure.
# ---------------------------------------------------------------------------------------------


class _Example:
    """One example's part of a batch graph: its nodes (parents first), outputs and data leaves."""

    def __init__(self, nodes: list[Value], outputs: list[Value], params: dict[int, int]) -> None:
        self.nodes, self.outputs = nodes, outputs
        local = {id(n): i for i, n in enumerate(nodes)}
        self.data: list[Value] = []  # the leaves that are neither parameters nor constants: its x
        where: dict[int, int] = {}
        entries = []
        for n in nodes:
            refs = []
            for p in n.parents:
                if id(p) in local:
                    refs.append(("node", local[id(p)]))
                elif id(p) in params:
                    refs.append(("param", params[id(p)]))
                elif isinstance(p, Constant):
                    refs.append(("constant", repr(p.data)))
                else:
                    if id(p) not in where:
                        where[id(p)] = len(self.data)
                        self.data.append(p)
                    refs.append(("data", where[id(p)]))
            entries.append((n.op, tuple(refs)))
        # examples with equal structures share one branch of the forward and backward functions
        self.structure = (tuple(entries), tuple(local[id(o)] for o in outputs))
        self.values = tuple(p.data for p in self.data)


class CompiledBatch:
    """A loss over many examples compiled piece by piece: a forward and a backward function looping
    over the examples (a branch per example structure, reused for every example that has it), and
    one function for the loss on top.

    Call it with the parameters' numbers: (loss, [∂loss/∂parameter, ...], [each example's outputs]),
    the engine's numbers bit for bit. The examples' data (their x) are fixed when it is compiled.
    """

    def __init__(
        self, root: Value, inputs: Sequence[Value], outputs: Sequence[Sequence[Value] | Value]
    ) -> None:
        """Compile (use ``compile_batch``)."""
        root = _check_root(root)
        params = _check_inputs(inputs)
        if not params:
            raise ValueError("compile_batch: inputs must list at least one parameter to differentiate by")
        if isinstance(outputs, (Value, str, bytes)) or not isinstance(outputs, Sequence) or not outputs:
            raise TypeError(
                "compile_batch: outputs must be a non-empty list with each example's output node(s)"
            )
        groups = []
        for e, o in enumerate(outputs):  # each example: one output node, or a list of them
            if not isinstance(o, (Value, list, tuple)):
                raise TypeError(f"compile_batch: outputs[{e}] must be a Value or a list of Values")
            groups.append([o] if isinstance(o, Value) else list(o))
        order = topological_order(root)
        _refuse_custom(order)
        pos = {id(n): i for i, n in enumerate(order)}
        param_index = {id(p): k for k, p in enumerate(params)}
        owner = self._owners(groups, pos)
        ops = [n for n in order if n.parents]
        top = [n for n in ops if id(n) not in owner]
        self._check_layout(ops, top, owner, groups, param_index)
        members: list[list[Value]] = [[] for _ in groups]
        for n in ops:
            if id(n) in owner:
                members[owner[id(n)]].append(n)
        examples = [_Example(m, g, param_index) for m, g in zip(members, groups, strict=True)]
        # backward: the examples in reverse order of where the engine's order places them
        self._backward_order = sorted(range(len(examples)), key=lambda e: -pos[id(members[e][0])])

        # one forward and one backward function, each a loop over the examples with a branch per
        # structure; gradients named ∂L/∂… after the loss (y if unlabelled)
        d = "d" + (identifier(root.label) or "y")
        structures: dict[tuple, int] = {}
        kinds: list[_Example] = []  # the first example of each structure
        for ex in examples:
            if ex.structure not in structures:
                structures[ex.structure] = len(structures) + 1
                kinds.append(ex)
        flat = [o for g in groups for o in g]
        bases = {id(o): f"ex{e}_{identifier(o.label) or 'out'}" for e, g in enumerate(groups) for o in g}
        top_source = _function(root, [*params, *flat], "loss", order=top, bases=bases).text
        self.source = _module([top_source, *self._example_functions(kinds, params, d)])
        namespace = _exec(self.source, "<compiled batch>")
        self._top, self._forward = namespace["loss"], namespace["forward"]
        self._backward = namespace["backward"]
        self._examples = [(structures[ex.structure], ex.values) for ex in examples]
        # backward visits the examples in its order, each with its outputs' gradients grads[a:b]
        starts = [len(params)]
        for g in groups:
            starts.append(starts[-1] + len(g))
        self._seeds = [(e, starts[e], starts[e + 1]) for e in self._backward_order]
        self.structures = len(structures)
        self.examples_per_structure = [0] * len(structures)
        for ex in examples:
            self.examples_per_structure[structures[ex.structure] - 1] += 1
        self.n_params = len(params)
        self._what = [f"compiled batch: parameter {k}" for k in range(len(params))]
        self._entries = _record(order, params)
        self._labels = [n.label for n in order]
        self._output_positions = [[pos[id(o)] for o in g] for g in groups]

    @staticmethod
    def _owners(groups: list[list[Value]], pos: dict[int, int]) -> dict[int, int]:
        """For each node of an example (its outputs and everything computed on the way to them from
        leaves), the example's index; a node two examples share is an error."""
        owner: dict[int, int] = {}
        for e, g in enumerate(groups):
            for o in g:
                if not isinstance(o, Value) or not o.parents:
                    raise ValueError(
                        f"compile_batch: example {e}'s outputs must be computed Values (op nodes)"
                    )
                if id(o) not in pos:
                    raise ValueError(
                        f"compile_batch: an output of example {e} ({o.label or o.op}) is not in the graph "
                        "of the loss"
                    )
            stack = list(g)
            while stack:
                n = stack.pop()
                if id(n) in owner:
                    if owner[id(n)] != e:
                        raise ValueError(
                            f"compile_batch: {n.label or n.op} belongs to examples {owner[id(n)]} and {e}: "
                            "examples may share only parameters and leaves"
                        )
                    continue
                owner[id(n)] = e
                stack.extend(p for p in n.parents if p.parents)
        return owner

    @staticmethod
    def _check_layout(
        ops: list[Value],
        top: list[Value],
        owner: dict[int, int],
        groups: list[list[Value]],
        params: dict[int, int],
    ) -> None:
        """Refuse a graph whose engine order could not be kept example by example (ValueError)."""
        outputs = {id(o) for g in groups for o in g}
        for n in top:
            for p in n.parents:
                if p.parents and id(p) in owner and id(p) not in outputs:
                    raise ValueError(
                        f"compile_batch: the loss reads {p.label or p.op}, inside example {owner[id(p)]}: "
                        "list it among that example's outputs"
                    )
        # the engine visits each example's nodes one after another, and the loss's own uses of the
        # parameters (a penalty Σ p²) before every example: then each example can run as one call
        span: dict[int, list[int]] = {}
        last_example = -1
        for i, n in enumerate(ops):
            if id(n) in owner:
                span.setdefault(owner[id(n)], []).append(i)
                last_example = i
        for e, at in span.items():
            if at[-1] - at[0] + 1 != len(at):
                raise ValueError(
                    f"compile_batch: example {e}'s nodes are not consecutive in the graph's order"
                )
        for i, n in enumerate(ops):
            if id(n) not in owner and i < last_example and any(id(p) in params for p in n.parents):
                raise ValueError(
                    f"compile_batch: the loss uses the parameters ({n.label or n.op}) before the last "
                    "example's nodes: build the loss from the examples' terms first"
                )

    @staticmethod
    def _example_functions(kinds: list[_Example], params: list[Value], d: str) -> list[str]:
        """The source of forward(params, examples) and backward(params, examples, grads): each a loop
        over the examples, with one branch per structure when there are several."""
        reserved = {"forward", "backward", "examples", "outputs", "structure"}
        base = _Names(reserved)
        shown_params = _shown_names(params)
        pnames = [base.add(p, i, shown_params) for i, p in enumerate(params)]
        pgrads = {id(p): base.fresh(f"{d}_d{name}") for p, name in zip(params, pnames, strict=True)}
        forward: list[list[str]] = []
        backward: list[list[str]] = []
        used: set[int] = set()  # the parameters whose gradient some structure adds to
        for ex in kinds:
            names = base.copy()
            shown = _shown_names([*params, *ex.data, *ex.nodes])
            dnames = [names.add(x, len(params) + i, shown) for i, x in enumerate(ex.data)]
            for i, n in enumerate(ex.nodes):
                names.add(n, len(params) + len(ex.data) + i, shown)
            w = _Writer(ex.nodes, names, params, d, pgrads, seeded=ex.outputs)
            used |= {id(p) for p in params if id(p) in w.grad}
            outs = [names.code[id(o)] for o in ex.outputs]
            unpack = [f"{_targets(dnames)} = data"] if dnames else []
            forward.append([
                *unpack,
                *w.forward,
                f"outputs.append({_tuple(outs)})",
                f"saved.append({_tuple(w.values)})",
            ])  # fmt: skip
            backward.append([
                *unpack,
                f"{_targets(w.values)} = saved",
                f"{_targets([w.grad.get(id(o), '_') for o in ex.outputs])} = seeds",
                *w.zero_lines({id(p) for p in params} | {id(o) for o in ex.outputs}),
                *w.backward,
            ])  # fmt: skip
        grads = [pgrads[id(p)] if id(p) in used else "_" for p in params]
        unpack = [f"{_targets(pnames)} = params"] if pnames else []
        return [
            _loop(
                "forward(params, examples)",
                "Every example's forward pass: its outputs, and the values its backward pass reads.",
                [*unpack, "outputs, saved = [], []"],
                "structure, data",
                forward,
                "outputs, saved",
                _finite_check("map(sum, saved)", "forward", "a value"),  # every number of every example
            ),
            _loop(
                "backward(params, examples, grads)",
                "Every example's chain-rule steps, added to the gradients in the engine's order.",
                [*unpack, f"{_targets(grads)} = grads"],
                "structure, data, saved, seeds",
                backward,
                _tuple([g if g != "_" else f"grads[{i}]" for i, g in enumerate(grads)]),
            ),
        ]

    def __call__(self, values: Sequence[float]) -> tuple[float, list[float], list[tuple[float, ...]]]:
        """(loss, [∂loss/∂parameter], [each example's outputs]) at these parameter numbers."""
        if (
            isinstance(values, (str, bytes))
            or not isinstance(values, Sequence)
            or len(values) != self.n_params
        ):
            raise TypeError(f"compile_batch: call with a list of the {self.n_params} parameters' numbers")
        params = tuple(_numbers(tuple(values), self._what))
        try:
            outs, saved = self._forward(params, self._examples)
            flat = [v for o in outs for v in o]
            loss, grads = self._top(*params, *flat)  # the loss, its gradients: parameters', then outputs'
            examples = [(*self._examples[e], saved[e], grads[a:b]) for e, a, b in self._seeds]
            acc = self._backward(params, examples, tuple(grads[: self.n_params]))
            if not math.isfinite(sum(acc)):
                raise OverflowError("compiled batch: a gradient is not finite")
            return loss, list(acc), outs
        except (ArithmeticError, ValueError):  # the engine names the op (or, if it was only the sum, agrees)
            nodes, grads = _replay(self._entries, self._labels, params, self.n_params)
            outs = [tuple(nodes[i].data for i in at) for at in self._output_positions]
            return nodes[-1].data, grads, outs

    def __repr__(self) -> str:
        """CompiledBatch: n examples, k structures, P parameters."""
        return (
            f"<CompiledBatch: {len(self._examples)} examples in {self.structures} structure(s), "
            f"{self.n_params} parameters>"
        )


def _loop(
    head: str, doc: str, before: list[str], targets: str, branches: list[list[str]], result: str,
    after: Sequence[str] = (),
) -> str:  # fmt: skip
    """def head: before; for targets in examples: <the branch of each structure>; after; return result."""
    if len(branches) == 1:
        body = _indent(branches[0])
    else:
        body = []
        for k, lines in enumerate(branches, start=1):
            body += [f"{'if' if k == 1 else 'elif'} structure == {k}:", *_indent(lines)]
        body = _indent(body)
    lines = [f'"""{doc}"""', *before, f"for {targets} in examples:", *body, *after, f"return {result}"]
    return "\n".join([f"def {head}:", *_indent(lines)]) + "\n"


def _targets(names: Sequence[str]) -> str:
    """The left side of an unpacking: 'a, b' (or 'a,' for one)."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _tuple(names: Sequence[str]) -> str:
    """A tuple display: '(a, b)' (or '(a,)')."""
    return f"({_targets(names)})"


def compile_batch(
    root: Value, inputs: Sequence[Value], outputs: Sequence[Sequence[Value] | Value]
) -> CompiledBatch:
    """A loss over many examples, compiled with one code branch per example structure (training).

    ``inputs``: the parameters; ``outputs``: each example's output node(s) (a model's outputs). The
    examples may share only parameters and leaves; the loss built on their outputs gets a function of
    its own. Call the result with the parameters' numbers.
    """
    return CompiledBatch(root, inputs, outputs)
