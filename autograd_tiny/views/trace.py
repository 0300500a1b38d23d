"""Node-by-node traces: the forward table and the backward pass as chain-rule steps with numbers.

For a root L, ``trace(L)`` lists every node in forward (topological) order with its value, its
gradient ∂L/∂node and its local derivatives, and then the backward pass as the chapter writes it
by hand, one step per edge, in the order the engine performs them:

    ∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12

read "the gradient of L with respect to w2 receives the local derivative ∂z2/∂w2 = a1 times the
gradient already at z2". The gradients in a trace are computed for it from the nodes' local
derivatives, so tracing never changes any node's ``.grad``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from autograd_tiny.core.engine import Constant, CustomOp, Value
from autograd_tiny.core.graph import topological_order
from autograd_tiny.core.names import NAMED_CONSTANTS, display_names, op_label
from autograd_tiny.core.printing import factor, num, to_text
from autograd_tiny.core.rules import RULES
from autograd_tiny.views.latex import LaTeX, derivation_latex

__all__ = ["Row", "Step", "Trace", "display_names", "factor", "num", "op_label", "trace"]


def _top_level(text: str) -> str:
    """The characters of ``text`` outside all brackets: "2·(z − 1) + u" → "2· + u"."""
    depth, top = 0, []
    for c in text:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0:
            top.append(c)
    return "".join(top)


def _wrap_formula(text: str) -> str:
    """A local derivative before "· ∂L/∂y": parenthesised if it is a sum, a difference, a quotient
    or a choice at its top level (1 − tanh²(z), 1/u), not if it is a product (2·(z2 − 10))."""
    flat = _top_level(text)
    return f"({text})" if any(op in flat for op in (" + ", " − ", "/", " if ")) else text


def _wrap(name: str) -> str:
    """A name inside a formula: parenthesised if it has an operator in it, as 2·(ŷ−y)."""
    return f"({name})" if any(c in name for c in "+−-*/·^ ") and not name.startswith("−") else name


WIDTH = 100  # the columns of a printed trace (Trace.format takes others)


def _fill(text: str, width: int, breaks: tuple[str, ...] = (", ",), indent: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken only after one of ``breaks`` (a
    piece longer than a line stays whole); lines after the first start with ``indent``."""
    pieces, start = [], 0
    for i in range(len(text)):
        for b in breaks:
            if text.startswith(b, i) and i > start:
                pieces.append(text[start : i + len(b)])
                start = i + len(b)
    pieces.append(text[start:])
    lines = [""]
    for p in pieces:
        if lines[-1].strip() and len(lines[-1]) + len(p.rstrip()) > width:
            lines[-1] = lines[-1].rstrip()
            lines.append(indent)
        lines[-1] += p
    return [line.rstrip() for line in lines]


def wrt(name: str) -> str:
    """A node's name after ∂, bracketed where it is an expression: ∂L/∂(1−ŷ), but ∂L/∂z2 and ∂L/∂W1[0,1]."""
    return f"({name})" if any(c in name for c in "+−-*/·^ ") else name


_Arguments = tuple[Any, list[Any], dict[str, str], dict[str, float]]


def _arguments(node: Value, names: list[str], own: str) -> _Arguments | None:
    """The op's rule, its argument groups and their text (a constant's number folded in), for every
    local derivative of ``node`` (called ``own``): made once per node, so that a w·x of n inputs
    writes its vectors once, not once per input (n²). None for an op of the user's own."""
    rule = RULES.get(node.op) if not isinstance(node, CustomOp) else None
    if rule is None:
        return None
    groups = rule.split(list(range(len(node.parents))))
    text: dict[str, str] = {"y": _wrap(own)}
    values: dict[str, float] = {}
    for name, g in zip(rule.names, groups, strict=True):
        if isinstance(g, list):
            text[name] = "(" + ", ".join(names[m] for m in g) + ")"
        elif isinstance(node.parents[g], Constant) and name in NAMED_CONSTANTS.get(rule.name, {}):
            text[name] = NAMED_CONSTANTS[rule.name][name]
        elif isinstance(node.parents[g], Constant):
            values[name] = node.parents[g].data  # a constant's number is folded into the formula
        else:
            text[name] = _wrap(names[g])
    return rule, groups, text, values


def _symbol(node: Value, k: int, names: list[str], arguments: _Arguments | None) -> str:
    """How the local derivative of ``node`` with respect to its k-th parent is written, from the
    op's rule in the table, with the parents' names (or a constant's number): ``arguments`` is
    _arguments(node, names, its own name), made once for all its parents."""
    if arguments is None:  # an op of the user's own (Value.from_op): only its numbers are known
        return f"∂{node.op}/∂{wrt(names[k])}"
    rule, groups, text, values = arguments
    j, i = rule.locate(k, len(node.parents))
    expr = rule.derivs[j]
    if i is None:
        return to_text(expr, text, values)
    # one element of a vector input: "x" → that element's name, ones(u) → 1, softmax(u) → softmax(u)ᵢ
    if expr in rule.names:
        return names[groups[rule.names.index(expr)][i]]
    if expr.startswith("ones("):
        return "1"
    whole = to_text(expr, text, values)  # the vector; its element i, as (p − onehot(1))[1]
    return f"{whole}[{i}]" if _atomic(whole) else f"({whole})[{i}]"


def _atomic(text: str) -> bool:
    """Whether ``text`` is one name or call, softmax((u, w)), to be indexed without parentheses."""
    return not any(c in _top_level(text) for c in " +−-·*/^")


@dataclass(frozen=True)
class Row:
    """One node of the forward pass."""

    index: int
    label: str  # the node's label; an unlabelled node n<index> (a constant root: its number)
    op: str
    parents: tuple[str, ...]
    data: float
    grad: float
    local_grads: tuple[float, ...]
    shown_op: str = ""  # how the table shows the op: its symbol with its constants (− 10, ** 2), or "leaf"
    constants: tuple[float | None, ...] = ()  # each parent's exact number if it is a constant, else None


@dataclass(frozen=True)
class Step:
    """One chain-rule step of the backward pass: ∂L/∂parent += local · ∂L/∂child."""

    parent: str
    child: str
    symbol: str
    local: float
    upstream: float
    contribution: float
    root: str
    arg: int = 0  # which argument of the child the parent is (x + x: 0, then 1)
    # σ into the loss BCE: the chapter's shortcut, the two local derivatives combined,
    # ŷ(1 − ŷ) · (ŷ − y)/(ŷ(1 − ŷ)) = ŷ − y: (ŷ's name, ŷ, y's name, y); () for any other step
    combined: tuple[str, float, str, float] | tuple[()] = ()

    @property
    def shortcut(self) -> str:
        """The combined form after the step (", which is ŷ − y = 0.731059 − 0"), or ""."""
        if not self.combined:
            return ""
        a, a_value, t, t_value = self.combined
        return f", which is {a} − {_wrap(t)} = {num(a_value)} − {factor(t_value)}"

    def __str__(self) -> str:
        """∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12."""
        r = self.root
        return (
            f"∂{r}/∂{wrt(self.parent)} += {_wrap_formula(self.symbol)} · ∂{r}/∂{wrt(self.child)} = "
            f"{num(self.local)} · {factor(self.upstream)} = {num(self.contribution)}{self.shortcut}"
        )


def _combined(node: Value, root: Value, consumers: dict[int, list[Value]], name: Any) -> tuple:
    """For the step into a sigmoid's input whose only consumer is the root BCE of that probability:
    (ŷ's name, ŷ, y's name ("y" for a number target, as the op reads "BCE(y = 0)"), y); else ()."""
    users = consumers.get(id(node), [])
    if node.op != "sigmoid" or len(users) != 1 or users[0] is not root or root.op != "bce":
        return ()
    target = root.parents[1]
    t_name = "y" if isinstance(target, Constant) else name(target)
    return (name(node), node.data, t_name, target.data)


class Trace:
    """The forward table and the backward steps of one graph."""

    def __init__(self, root: Value) -> None:
        """Trace the graph that ends at ``root`` (computes ∂root/∂node for every node)."""
        if not isinstance(root, Value):
            raise TypeError(f"trace expects a Value, got {type(root).__name__}")
        # A number constant (the 10 of ŷ − 10) is no node of its own here: it is shown inside its
        # op, by its value, and receives no gradient, since nobody differentiates by a constant.
        order = [n for n in topological_order(root) if not isinstance(n, Constant) or n is root]
        index = {id(n): i for i, n in enumerate(order)}
        names = display_names(order)
        self.root_name = names[-1]

        def name(p: Value) -> str:
            return names[index[id(p)]] if id(p) in index else num(p.data)

        consumers: dict[int, list[Value]] = {}
        for n in order:
            for p in n.parents:
                consumers.setdefault(id(p), []).append(n)
        # The backward pass, recomputed here: g[i] = ∂root/∂(node i).
        grads = [0.0] * len(order)
        grads[-1] = 1.0
        self.steps: list[Step] = []
        for i in range(len(order) - 1, -1, -1):
            node = order[i]
            pnames = [name(p) for p in node.parents]
            arguments = _arguments(node, pnames, names[i]) if node.parents else None
            for k, (p, local) in enumerate(zip(node.parents, node.local_grads, strict=True)):
                if isinstance(p, Constant):
                    continue
                j = index[id(p)]
                contribution = local * grads[i]
                grads[j] += contribution
                symbol = _symbol(node, k, pnames, arguments)
                combined = _combined(node, root, consumers, name)
                self.steps.append(
                    Step(
                        names[j], names[i], symbol, local, grads[i], contribution, self.root_name, k, combined
                    )
                )
        self._named = set(names)  # the nodes of the table (constants are not among them)
        self.rows = [
            Row(
                i,
                names[i],
                n.op,
                tuple(name(p) for p in n.parents),
                n.data,
                grads[i],
                n.local_grads,
                op_label(n) if n.parents else "leaf",
                tuple(p.data if isinstance(p, Constant) else None for p in n.parents),
            )
            for i, n in enumerate(order)
        ]

    def grad(self, name: str) -> float:
        """∂root/∂(the node called ``name``)."""
        for r in self.rows:
            if r.label == name:
                return r.grad
        raise KeyError(f"no node called {name!r} in this trace")

    def _table(self) -> list[tuple[str, ...]]:
        """Header and body of the forward table, as strings."""
        head = ("#", "node", "op", "parents", "data", f"∂{self.root_name}/∂node", "local derivatives")
        body = []
        for r in self.rows:
            local = ", ".join(
                f"∂/∂{wrt(p)} = {num(d)}"
                for p, d in zip(r.parents, r.local_grads, strict=True)
                if p in self._named
            )
            shown = [p for p in r.parents if p in self._named]  # constants are inside the op
            row = (str(r.index), r.label, r.shown_op, ", ".join(shown), num(r.data), num(r.grad), local)
            body.append(row)
        return [head, *body]

    def __str__(self) -> str:
        """The forward table, aligned, then the numbered backward steps, in at most 100 columns."""
        return self.format(WIDTH)

    def format(self, width: int = 100) -> str:
        """The trace as text in at most ``width`` columns (from 60): a long list of parents or of local
        derivatives wraps inside its column, after a comma, and a long step after an "=" or a "·"; a
        piece with no break in it (one parent, one derivative) is never cut, so a column is at least
        as wide as its widest piece."""
        if isinstance(width, bool) or not isinstance(width, int) or width < 60:
            raise ValueError(f"format: width must be a whole number of columns, at least 60, got {width!r}")
        table = self._table()
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        spare = width - sum(widths[:3]) - sum(widths[4:6]) - 2 * 6  # for parents (3) and local (6)
        if widths[3] + widths[6] > spare:  # the two lists share what is left, a third for the parents
            least = [max(len(line) for row in table for line in _fill(row[i], 0)) for i in (3, 6)]
            widths[3] = min(widths[3], max(least[0], spare // 3))
            widths[6] = max(least[1], spare - widths[3])
            widths[3] = max(least[0], min(widths[3], spare - widths[6]))  # what the derivatives left
        lines = ["forward pass"]
        for row in table:
            cells = [_fill(c, w) if i in (3, 6) else [c] for i, (c, w) in enumerate(zip(row, widths))]  # noqa: B905
            for k in range(max(len(c) for c in cells)):
                parts = [(c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
                lines.append("  ".join(parts).rstrip())
        lines += ["", f"backward pass (∂{self.root_name}/∂{self.root_name} = 1)"]
        for k, s in enumerate(self.steps):
            lines += _fill(f"{k + 1:>3}. {s}", width, breaks=(" = ", " · "), indent=" " * 7)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Both tables as HTML, for Jupyter."""
        table = self._table()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in table[0])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table[1:]
        )
        steps = "".join(f"<li><code>{html.escape(str(s))}</code></li>" for s in self.steps)
        return (
            f"<div class='autograd-tiny-trace'><b>forward pass</b><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><b>backward pass</b><ol>{steps}</ol></div>"
        )

    def to_latex(self) -> Any:
        """The derivation in LaTeX with the numbers substituted (Jupyter renders it; str() is the source)."""
        return LaTeX(derivation_latex(self))

    def __len__(self) -> int:
        """The number of nodes."""
        return len(self.rows)

    def __repr__(self) -> str:
        """A one-line summary; ``print(t)`` shows the whole trace."""
        return f"<Trace of {self.root_name}: {len(self.rows)} nodes, {len(self.steps)} chain-rule steps>"


def trace(root: Value) -> Trace:
    """The forward table and backward chain-rule steps of the graph ending at ``root``."""
    return Trace(root)
