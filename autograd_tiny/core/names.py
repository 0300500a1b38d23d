"""What every view calls a node: its name (``display_names``) and a drawing's op label (``op_label``)."""

from __future__ import annotations

from collections import Counter

from autograd_tiny.core.engine import Constant, CustomOp, Value
from autograd_tiny.core.printing import factor, num
from autograd_tiny.core.rules import RULES


def op_label(node: Value, digits: int = 6) -> str:
    """How a drawing labels an op: its symbol, with its number constants inside (× 3, − 10, 2 **)."""
    ours = node.op in RULES and not isinstance(node, CustomOp)  # else the user's op name, as it is
    symbol = RULES[node.op].symbol if ours else node.op
    consts = [p.data if isinstance(p, Constant) else None for p in node.parents]
    if ours and "{}" in symbol:  # a loss: its target is written into it, (ŷ − 10)², BCE(y = 0)
        return symbol.format(factor(consts[-1], digits) if consts[-1] is not None else "y")
    if len(consts) == 2 and consts[1] is not None:  # after the symbol, a negative in parentheses: − (−0.25)
        return f"{symbol} {factor(consts[1], digits)}"
    if len(consts) == 2 and consts[0] is not None:
        return f"{num(consts[0], digits)} {symbol}"
    return symbol


def display_names(order: list[Value]) -> list[str]:
    """Display names: the label; an unlabelled node is n<index> (a constant, which is a row only
    when it is the root, is its number); a name that several nodes would share gets #<index>
    appended, so every row has a name of its own (two labelled u, or a label n1 and node 1).
    An unlabelled input leaf is n<index> too, not its number: ∂L/∂3 would read as a derivative by
    a constant, and two inputs holding 2.0 would look like one."""
    names = [n.label or (num(n.data) if isinstance(n, Constant) else f"n{i}") for i, n in enumerate(order)]
    while True:  # a label may itself read u#1: repeat until no two are alike (each pass adds #i)
        counts = Counter(names)
        if len(counts) == len(names):
            return names
        names = [f"{name}#{i}" if counts[name] > 1 else name for i, name in enumerate(names)]


# A constant that an op's formula writes by name, not by its number: a BCE's target is y, as its op
# reads "BCE(y = 0)", so that ∂L/∂ŷ reads (ŷ − y)/(ŷ(1 − ŷ)) and ∂L/∂z = σ(z) − y, as the chapter.
NAMED_CONSTANTS = {"bce": {"t": "y"}, "bce_with_logits": {"t": "y"}}
