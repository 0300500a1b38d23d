"""What compile records of a graph; checking a fresh graph against the record; replaying the engine on it."""

from __future__ import annotations

from collections.abc import Sequence

from autograd_tiny.core import rules
from autograd_tiny.core.engine import OPS, Constant, CustomOp, Value, lift

# ---------------------------------------------------------------------------------------------
# Checking what is compiled.
# ---------------------------------------------------------------------------------------------


def check_root(root: object) -> Value:
    """``root`` as a Value, or a TypeError."""
    if not isinstance(root, Value):
        raise TypeError(f"compile: root must be a Value (the output of a graph), got {type(root).__name__}")
    return root


def check_inputs(inputs: object, what: str = "inputs") -> list[Value]:
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


def refuse_custom(order: Sequence[Value]) -> None:
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


def record_graph(order: Sequence[Value], inputs: Sequence[Value]) -> list[Entry]:
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


def first_difference(
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


def replay(
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
