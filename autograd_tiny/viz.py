"""Drawing a computation graph with Graphviz: ``to_dot`` (DOT source) and ``draw_dot`` (a Digraph).

Each Value is a box "label | data | grad"; each operation is a small ellipse between its inputs
and its result, so the picture reads as the chapter's computational graph. Node ids come from
topological position (n0, n1, …), so the same graph gives the same DOT text on every run.
Producing DOT needs only the ``graphviz`` Python package; rendering SVG or PNG needs Graphviz's
``dot`` program.
"""

from __future__ import annotations

import math
import os
import re
from numbers import Integral
from typing import Any

import graphviz

from autograd_tiny.engine import Constant, Value
from autograd_tiny.graph import topological_order
from autograd_tiny.trace import num, op_label

INSTALL_HINT = (
    "Graphviz's `dot` program was not found, so the graph cannot be rendered. Install Graphviz "
    "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; conda: conda install "
    "graphviz; Windows: https://graphviz.org/download) and make sure `dot` is on PATH. "
    "to_dot() still gives the DOT source without it."
)


class GraphvizNotFound(RuntimeError):
    """Rendering was asked for but Graphviz's ``dot`` program is not installed."""


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering failures say how to install Graphviz."""

    summary = "a computation graph"

    def __repr__(self) -> str:
        """A short, stable description (the picture itself is the rich display)."""
        return f"<Drawing of {self.summary}>"

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Write the rendered file (SVG, PNG, …) and return its path, as Digraph.render does."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(INSTALL_HINT) from None

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """The rendered bytes (or text), as Digraph.pipe does."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(INSTALL_HINT) from None


_RECORD_SPECIAL = re.compile(r'([{}|<>"\\])')
_LAYER = re.compile(r"^[A-Za-z](\d+)\[")  # W1[0,1], b1[0], z1[0], a1[0] → layer 1


def _escape(text: str) -> str:
    """Escape the characters that structure a record label."""
    return _RECORD_SPECIAL.sub(r"\\\1", text)


def _grad_colour(g: float, largest: float) -> tuple[str, str]:
    """(fill colour, style) for |∂L/∂node|: darker for larger; grey and dashed for exactly 0.

    ``largest`` is the largest finite |grad| in the graph. A NaN or infinite grad is drawn red.
    """
    if g == 0.0:
        return "#dddddd", "filled,dashed"  # no gradient arrives: a dead unit or a cut path
    if not math.isfinite(g):
        return "#f4a582", "filled,bold"  # a gradient that overflowed or became NaN: a bug to look at
    # position on a log scale: 0 for the largest |grad|, 1 for 10⁻⁶ of it or less. The ratio is taken
    # as a difference of logs, so 1e-200 against 1e200 (a ratio that underflows to 0) is fine too.
    t = min(1.0, max(0.0, (math.log10(largest) - math.log10(abs(g))) / 6.0))
    pale, dark = (0xFF, 0xF5, 0xEB), (0xFD, 0x8D, 0x3C)  # light enough to read black text on
    rgb = [round(d + (p - d) * t) for p, d in zip(pale, dark, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb), "filled"


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    group_layers: bool = False,
    color_by_grad: bool = False,
    max_nodes: int | None = 500,
    format: str = "svg",
) -> Drawing:
    """The graph ending at ``root`` as a ``graphviz.Digraph`` (shown inline by Jupyter).

    ``rankdir`` "LR" or "TB"; ``show_grad`` adds each node's grad; ``group_layers`` boxes an MLP's
    nodes by layer (from the labels W1[..], z1[..], a1[..]); ``color_by_grad`` shades each Value by
    |grad| so vanishing gradients and dead units (grad exactly 0, dashed grey) stand out; a graph
    larger than ``max_nodes`` is refused rather than left to Graphviz for minutes (``max_nodes=None``:
    no limit).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot expects a Value as root, got {type(root).__name__}")
    if not isinstance(rankdir, str):
        raise TypeError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT' (a str), got {type(rankdir).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    for name, flag in (
        ("show_grad", show_grad),
        ("group_layers", group_layers),
        ("color_by_grad", color_by_grad),
    ):
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {type(flag).__name__}: {flag!r:.40}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, Integral)):
        kind = type(max_nodes).__name__
        raise TypeError(f"max_nodes must be a positive int or None (no limit), got {kind}: {max_nodes!r:.40}")
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int or None (no limit), got {max_nodes!r}")
    if not isinstance(format, str):
        raise TypeError(f"format must be a str such as 'svg' or 'png', got {type(format).__name__}")
    order = topological_order(root)
    if max_nodes is not None and len(order) > max_nodes:
        raise ValueError(
            f"the graph has {len(order)} nodes, more than max_nodes={max_nodes}: Graphviz would take "
            f"very long to lay it out. Draw a smaller graph (one example, fused neurons) or pass a "
            f"larger max_nodes (None: no limit)."
        )
    index = {id(n): i for i, n in enumerate(order)}
    largest = max((abs(n.grad) for n in order if math.isfinite(n.grad)), default=0.0)
    g = Drawing(format=format, graph_attr={"rankdir": rankdir}, node_attr={"fontname": "Helvetica"})
    g.summary = f"{root.label or 'a graph'}: {len(order)} values, {sum(1 for n in order if n.op)} operations"
    clusters: dict[str, list[tuple[str, dict[str, str]]]] = {}
    loose: list[tuple[str, dict[str, str]]] = []
    for i, n in enumerate(order):
        if isinstance(n, Constant) and n is not root:
            continue  # a number constant is drawn inside its op (× 3, − 10, ** 2), not as a box
        fields = [_escape(n.label)] if n.label else []
        fields.append(f"data {_escape(num(n.data))}")
        if show_grad:
            fields.append(f"grad {_escape(num(n.grad))}")
        attrs = {"label": "{ " + " | ".join(fields) + " }", "shape": "record"}
        if color_by_grad:
            attrs["fillcolor"], attrs["style"] = _grad_colour(n.grad, largest)
        items = [(f"n{i}", attrs)]
        if n.op:
            items.append((f"n{i}op", {"label": op_label(n), "shape": "ellipse", "fontsize": "11"}))
        m = _LAYER.match(n.label)
        group = f"layer {m.group(1)}" if m else ("input" if n.label.startswith("x[") else None)
        (clusters.setdefault(group, []) if group_layers and group else loose).extend(items)
    for name, items in clusters.items():
        with g.subgraph(name=f"cluster_{name.replace(' ', '_')}") as c:
            c.attr(label=name, style="rounded", color="#888888")
            for node_id, attrs in items:
                c.node(node_id, **attrs)
    for node_id, attrs in loose:
        g.node(node_id, **attrs)
    for i, n in enumerate(order):
        if n.op:
            g.edge(f"n{i}op", f"n{i}")
            for p in n.parents:  # one edge per argument: x + x draws two
                if not isinstance(p, Constant):
                    g.edge(f"n{index[id(p)]}", f"n{i}op")
    return g


def to_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    group_layers: bool = False,
    color_by_grad: bool = False,
    max_nodes: int | None = 500,
) -> str:
    """The DOT source of ``draw_dot(root, ...)``: plain text, no Graphviz program needed."""
    return draw_dot(root, rankdir, show_grad, group_layers, color_by_grad, max_nodes).source


def render(root: Value, path: str | os.PathLike, **options: Any) -> str:
    """Draw the graph and write it to ``path``; the extension picks the format (.svg, .png, .pdf, .dot)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render: path must be a file name (a str or Path), got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str):  # a PathLike of bytes
        raise TypeError(f"render: path must be a file name (a str or Path), got {path!r:.60}")
    fmt = os.path.splitext(path)[1][1:].lower()
    folder = os.path.dirname(path) or "."
    if fmt not in ("svg", "png", "pdf", "dot"):
        raise ValueError(
            f"render: cannot tell the format of {path!r}: use a .svg, .png, .pdf or .dot file name"
        )
    if not os.path.isdir(folder):  # checked before drawing, which can take a while
        raise FileNotFoundError(f"render: cannot write {path!r}: the folder {folder!r} does not exist")
    if fmt == "dot":
        with open(path, "w", encoding="utf-8") as f:
            f.write(to_dot(root, **options))
        return path
    data = draw_dot(root, format=fmt, **options).pipe(format=fmt)  # render first: no half-written file
    with open(path, "wb") as f:
        f.write(data)
    return path
