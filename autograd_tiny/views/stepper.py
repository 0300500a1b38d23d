"""The backward pass one chain-rule step at a time (``step_through``).

``step_through(root)`` returns a ``Stepper``: in Jupyter it shows the graph, drawn by Graphviz,
with Next / Previous / First / Last buttons (and the keys → ← Home End). Each step is one edge of
the graph, read backward as the chain rule

    ∂L/∂parent += local · upstream          (local = ∂child/∂parent, upstream = ∂L/∂child)

The current edge, the child it comes from (blue), its op (purple) and the parent that receives
the gradient (orange) are highlighted; each node's grad fills in as its contributions arrive, and
a node used by several paths shows each path's share and their sum. The numbers and formulas are
those of ``trace(root).steps``. The page is plain HTML and JavaScript with the drawing inline:
``.save("steps.html")`` writes a file that any browser opens offline. Opening it with
``#step=3`` at the end of its address starts at step 3.

The same steps in the chapter's LaTeX notation are ``derivation_latex`` (latex.py, importable
from here too).
"""

from __future__ import annotations

import html
import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd_tiny.core.engine import Constant, Value
from autograd_tiny.core.graph import topological_order
from autograd_tiny.views.latex import (  # re-exported: stepper.derivation_latex
    LaTeX,
    derivation_latex,
    latex_name,
)
from autograd_tiny.views.trace import Step, Trace, factor, num, wrt
from autograd_tiny.views.viz import draw_dot, record_field, svg_image

__all__ = ["LaTeX", "Stepper", "derivation_latex", "latex_name", "step_through"]

# ---------------------------------------------------------------------------------------------
# The steps as data: what the page shows at each step (all text is made here, none in the page).
# ---------------------------------------------------------------------------------------------

_SHARES_SHOWN = 3  # a node with more paths than this shows only its running sum in the drawing


def _shares(shares: list[float]) -> str:
    """The received shares of a gradient as a sum: 3.71828 + 0, −6 + (−6)."""
    return " + ".join([num(shares[0])] + [factor(s) for s in shares[1:]])


def _grad_field(shares: list[float], total: float, n: int) -> str:
    """What a node's grad field reads once ``shares`` (of its ``n`` paths) have arrived."""
    m = len(shares)
    if n == 1:
        return f"grad {num(total)}"
    if n > _SHARES_SHOWN:
        return f"grad {num(total)} so far ({m} of {n})" if m < n else f"grad {num(total)} (sum of {n})"
    if m == n:
        return f"grad {_shares(shares)} = {num(total)}"
    if m == 1:
        return f"grad {_shares(shares)} + ?"
    return f"grad {_shares(shares)} + ? = {num(total)} so far"


def _sum_line(root: str, parent: str, shares: list[float], total: float, n: int) -> str:
    """The panel's last line: where the receiving node's gradient stands after this step."""
    m = len(shares)
    d = f"∂{root}/∂{wrt(parent)}"
    if n == 1:
        return f"{d} = {num(total)}   ✓ complete (its only path)"
    listed = _shares(shares) if n <= 8 else f"the sum of {m} shares"
    if m < n:
        return f"{d} so far: {listed} + ? = {num(total)}   ({m} of {n} paths)"
    return f"{d} = {listed} = {num(total)}   ✓ all {n} paths"


def _formula(step: Step) -> list[list[str]]:
    """The step as (text, role) pieces, coloured by role; joined, the texts are exactly ``str(step)``.

    The local derivative is cut out of ``str(step)`` itself, so that it reads as trace writes it
    (parenthesised where trace parenthesises: (1/n7), but 2·(z2 − 10) as it is).
    """
    r, text = step.root, str(step)
    head = f"∂{r}/∂{wrt(step.parent)} += "
    tail = [
        [" · ", ""],
        [f"∂{r}/∂{wrt(step.child)}", "up"],
        [" = ", ""],
        [num(step.local), "loc"],
        [" · ", ""],
        [factor(step.upstream), "up"],
        [" = ", ""],
        [num(step.contribution), "con"],
    ]
    if step.shortcut:  # σ into BCE: ", which is ŷ − y = 0.731059 − 0"
        tail.append([step.shortcut, "con"])
    end = "".join(t for t, _ in tail)
    if not (text.startswith(head) and text.endswith(end)):  # should trace ever write a step otherwise
        return [[text, ""]]
    local = text[len(head) : len(text) - len(end)]
    return [[f"∂{r}/∂{wrt(step.parent)}", "con"], [" += ", ""], [local, "loc"], *tail]


@dataclass(frozen=True)
class _Edge:
    """Where a chain-rule step sits in the drawing: the child's and the parent's DOT ids, argument k."""

    child: int  # index in the full topological order (the drawing's n<i>)
    parent: int
    k: int  # which argument of the child's op the parent is


def _edges(order: list[Value]) -> list[_Edge]:
    """The graph's edges in the order trace takes them: children last to first, arguments in order."""
    index = {id(n): i for i, n in enumerate(order)}
    out = []
    for i in range(len(order) - 1, -1, -1):
        for k, p in enumerate(order[i].parents):
            if not isinstance(p, Constant):  # a number constant receives no gradient and has no step
                out.append(_Edge(i, index[id(p)], k))
    return out


# ---------------------------------------------------------------------------------------------
# The drawing: viz's DOT with ids and classes the page's script can find, rendered to inline SVG.
# ---------------------------------------------------------------------------------------------

_FONT = 22  # points, for every label of the drawing
_MIN_PX = 14  # the smallest the drawing's text is shown, in pixels: a larger graph scrolls instead
_TOKEN = "agtPREFIX_"  # stands for the per-display prefix in the SVG's ids until a page is made
_NODE_LINE = re.compile(r"^(\s*)(n\d+)(op)? \[(.*)\]$")
_EDGE_LINE = re.compile(r"^(\s*)(n\d+)(op)? -> (n\d+)(op)?$")
_LABEL = re.compile(r'label=(?:"(?:[^"\\]|\\.)*"|\S+)')


def _record(fields: list[str]) -> str:
    """A quoted DOT record label from its fields, stacked across the direction of the graph (in a
    left-to-right graph, name above data above grad: narrow boxes, so the drawing scales up more)."""
    return '"' + " | ".join(record_field(f) for f in fields) + '"'


def _dot_source(order: list[Value], names: dict[int, str], widest: dict[int, str], edges: list[_Edge],
                **options: Any) -> tuple[str, Any]:  # fmt: skip
    """viz's DOT source and drawing of the graph: each Value labelled with trace's name, each element
    given an id.

    A Value's grad field holds its widest text, so that the layout leaves room for every text the
    page will put there.
    """
    g = draw_dot(order[-1], show_grad=False, tables=False, **options)  # a box per value: its grad changes
    g.graph_attr["id"] = f"{_TOKEN}drawing"
    # Large bold text and short edges: the drawing is scaled to the page's width, so text that is large
    # next to the fixed gaps between ranks comes out large on the screen (bold is measured by the layout).
    g.node_attr.update(fontname="Helvetica-Bold", fontsize=str(_FONT))
    g.graph_attr.update(ranksep="0.5", nodesep="0.15", fontname="Helvetica-Bold", fontsize="18")  # layers
    g.edge_attr.update(penwidth="2", arrowsize="1.2")
    slots: dict[tuple[int, int], list[int]] = {}  # (parent, child) → the argument numbers, in order
    for e in reversed(edges):  # reversed: children first to last, as viz writes the edges
        slots.setdefault((e.parent, e.child), []).append(e.k)
    for key in slots:
        slots[key].sort()
    body = []
    for line in g.body:
        text = line.rstrip("\n")
        node, edge = _NODE_LINE.match(text), _EDGE_LINE.match(text)
        if node and not node.group(3):  # a Value: name | data | grad
            i = int(node.group(2)[1:])
            label = _record([names[i], f"data {num(order[i].data)}", widest[i]])
            attrs = _LABEL.sub(lambda _m, lab=label: f"label={lab}", node.group(4))
            text = f'{node.group(1)}n{i} [{attrs} id="{_TOKEN}n{i}" class=value]'
        elif node:  # an op's ellipse
            i = int(node.group(2)[1:])
            attrs = node.group(4).replace("fontsize=11", f"fontsize={_FONT}")  # as large as the values' text
            text = f'{node.group(1)}n{i}op [{attrs} id="{_TOKEN}op{i}" class=op]'
        elif edge and edge.group(3):  # op → its result
            i = int(edge.group(4)[1:])
            text = f'{edge.group(1)}n{i}op -> n{i} [id="{_TOKEN}out{i}" class=result]'
        elif edge:  # a parent → the op of its child
            j, i = int(edge.group(2)[1:]), int(edge.group(4)[1:])
            k = slots[(j, i)].pop(0)
            text = f'{edge.group(1)}n{j} -> n{i}op [id="{_TOKEN}e{i}_{k}" class=arg]'
        body.append(text + "\n")
    g.body[:] = body
    return g.source, g


def _svg(drawing: Any, initial: dict[int, str]) -> str:
    """The drawing as inline SVG for an HTML page: no XML prolog, no namespace addresses, no tooltips,
    no fixed size (it scales to the page), each grad field's text with an id and its first state."""
    raw = drawing.pipe(format="svg")
    tree = ET.fromstring(raw)
    for el in tree.iter():
        el.tag = el.tag.rsplit("}", 1)[-1]  # {http://www.w3.org/2000/svg}g → g: the page says svg
        for name in [a for a in el.attrib if a.startswith("{")]:
            el.attrib[name.rsplit("}", 1)[-1]] = el.attrib.pop(name)
    for parent in tree.iter():
        for child in [c for c in parent if c.tag == "title"]:
            parent.remove(child)  # the DOT names (n4op) would show as tooltips
    for name in ("width", "height"):
        tree.attrib.pop(name, None)
    tree.set("preserveAspectRatio", "xMidYMid meet")
    for g in tree.iter("g"):
        node_id = g.get("id", "")
        if node_id.startswith(f"{_TOKEN}n") and "value" in g.get("class", ""):
            i = int(node_id[len(_TOKEN) + 1 :])
            field = [t for t in g if t.tag == "text"][-1]  # the record's last field: grad
            field.set("id", f"{_TOKEN}g{i}")
            field.text = initial[i]
    return ET.tostring(tree, encoding="unicode")


# The colours of a state as attributes (the page's CSS gives the same to the live drawing), so a still
# picture keeps them inside an <img> or on paper, where no style sheet reaches it.
_PAINT = {
    "waiting": {"polygon": {"fill": "#ffffff"}}, "partial": {"polygon": {"fill": "#fff59d"}},
    "done": {"polygon": {"fill": "#c8e6c9"}},
    "child": {"polygon": {"fill": "#90caf9", "stroke": "#0d47a1", "stroke-width": "5"}},
    "parent": {"polygon": {"fill": "#ffb74d", "stroke": "#bf360c", "stroke-width": "6"}},
    "current": {"ellipse": {"fill": "#ce93d8", "stroke": "#4a148c", "stroke-width": "5"}},
    "cur-edge": {"path": {"stroke": "#e65100", "stroke-width": "7"},
                 "polygon": {"fill": "#e65100", "stroke": "#e65100", "stroke-width": "3"}},
    "cur-link": {"path": {"stroke": "#0d47a1", "stroke-width": "5"},
                 "polygon": {"fill": "#0d47a1", "stroke": "#0d47a1"}},
}  # fmt: skip


def _spans(parts: list[list[str]]) -> str:
    """A step's text pieces as spans with their colour classes (upstream, local, contribution)."""
    return "".join(f'<span class="{c}">{html.escape(t)}</span>' for t, c in parts)


def _still(svg: str, nodes: list[dict[str, Any]], steps: list[dict[str, Any]], k: int) -> str:
    """The drawing as it stands after ``k`` steps (what the page's script shows at step k), as a
    standalone SVG with its colours written in and no ids: for a still picture or a printed page."""
    tree = ET.fromstring(svg)
    by_id = {el.get("id"): el for el in tree.iter() if el.get("id")}
    last = {steps[i]["p"]: i for i in range(k)}
    paint: list[tuple[str, str]] = []
    for node in nodes:
        i, state, text = node["i"], "done" if node["root"] else "waiting", node["initial"]
        if i in last:
            text = steps[last[i]]["field"]
            state = "done" if steps[last[i]]["complete"] else "partial"
        by_id[f"{_TOKEN}g{i}"].text = text
        paint.append((f"n{i}", state))
    if k:
        s = steps[k - 1]
        paint += [(f"n{s['c']}", "child"), (f"n{s['p']}", "parent"), (f"op{s['c']}", "current"),
                  (f"e{s['c']}_{s['k']}", "cur-edge"), (f"out{s['c']}", "cur-link")]  # fmt: skip
    for key, state in paint:
        for shape in by_id[f"{_TOKEN}{key}"]:
            shape.attrib.update(_PAINT[state].get(shape.tag, {}))
    for el in tree.iter():
        el.attrib.pop("id", None)
        el.attrib.pop("class", None)
    tree.set("xmlns", "http://www.w3.org/2000/svg")
    return ET.tostring(tree, encoding="unicode")


# ---------------------------------------------------------------------------------------------
# The page.
# ---------------------------------------------------------------------------------------------

_CSS = """
#P { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #111;
     background: #fff; padding: 12px; outline: none; }
#P .agt-bar { display: flex; flex-wrap: wrap; align-items: center; gap: 12px; margin-bottom: 8px; }
#P .agt-bar button { font-size: 26px; padding: 8px 18px; border: 3px solid #333; border-radius: 8px;
     background: #f4f4f4; color: #111; cursor: pointer; font-family: inherit; }
#P .agt-bar button:hover:enabled { background: #e0e0e0; }
#P .agt-bar button:disabled { color: #aaa; border-color: #ccc; cursor: default; }
#P .agt-counter { font-size: 34px; font-weight: bold; margin-left: 18px; }
#P .agt-keys { font-size: 19px; color: #333; line-height: 1.5; }
#P .agt-swatch { display: inline-block; width: 18px; height: 18px; border: 2px solid #333;
     vertical-align: -3px; margin: 0 5px 0 10px; }
#P .agt-graph { max-height: MAXH; overflow: auto; }
#P .agt-graph svg { display: block; margin: 0 auto; }
#P .agt-panel { border-top: 4px solid #333; margin-top: 8px; padding-top: 10px; min-height: 170px; }
#P .agt-formula { font-size: 40px; line-height: 1.3; font-weight: bold; }
#P .agt-parts { font-size: 28px; margin-top: 10px; display: flex; flex-wrap: wrap; gap: 10px;
     align-items: center; }
#P .agt-parts span.box { border: 4px solid; border-radius: 8px; padding: 2px 12px; }
#P .agt-sum { font-size: 30px; margin-top: 10px; }
#P .up { color: #0b3d91; }   #P .box.up { border-color: #1565c0; background: #bbdefb; }
#P .loc { color: #5b1374; }  #P .box.loc { border-color: #7b1fa2; background: #e1bee7; }
#P .con { color: #a33000; }  #P .box.con { border-color: #e65100; background: #ffcc80; }
#P g.value.waiting polygon { fill: #ffffff; }
#P g.value.partial polygon { fill: #fff59d; }
#P g.value.done polygon { fill: #c8e6c9; }
#P g.value.child polygon { fill: #90caf9; stroke: #0d47a1; stroke-width: 5; }
#P g.value.parent polygon { fill: #ffb74d; stroke: #bf360c; stroke-width: 6; }
#P g.op.current ellipse { fill: #ce93d8; stroke: #4a148c; stroke-width: 5; }
#P g.cur-edge path { stroke: #e65100; stroke-width: 7; }
#P g.cur-edge polygon { fill: #e65100; stroke: #e65100; stroke-width: 3; }
#P g.cur-link path { stroke: #0d47a1; stroke-width: 5; }
#P g.cur-link polygon { fill: #0d47a1; stroke: #0d47a1; }
@media print {  /* on paper: the step shown, whole, without the buttons (all_steps prints every one) */
  #P .agt-bar, #P .agt-still { display: none !important; }
  #P .agt-graph { max-height: none; overflow: visible; }
  #P .agt-graph svg { max-width: 100%; height: auto !important; width: 100% !important; }
}
"""

# The all-steps page: one block per step, each kept on one sheet of A4 or Letter.
_PRINT_CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #111; margin: 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin: 0 0 6px; }
.agt-step { border-top: 3px solid #333; padding: 10px 0 14px;
            break-inside: avoid; page-break-inside: avoid; }
.agt-step img { display: block; margin: 0 auto 8px; }
.agt-formula { font-size: 20px; font-weight: bold; }
.agt-parts, .agt-sum { font-size: 16px; margin-top: 4px; }
.box { border: 2px solid; border-radius: 6px; padding: 1px 6px; }
.up { color: #0b3d91; } .loc { color: #5b1374; } .con { color: #a33000; }
@page { margin: 12mm; }
"""

# The page's script: it only shows the texts made in Python (the steps' JSON), never computes them.
# State k (0 = before the first step) is rebuilt from the start each time, so Previous is exact.
# It finds its elements inside its own box (Jupyter may run it before the output is on the page).
_JS = r"""
(function () {
  var P = "PREFIX", PAGE = ISPAGE;
  var me = document.currentScript;  // inside its box, unless a notebook moved it to run it
  var box = me && me.parentNode && me.parentNode.id === P + "root" ? me.parentNode
            : document.getElementById(P + "root");
  if (!box || box.getAttribute("data-ready")) { return; }
  box.setAttribute("data-ready", "1");
  function el(id) { return box.querySelector("#" + P + id); }
  var data = JSON.parse(el("data").textContent);
  el("graph").innerHTML = data.svg;  // the live drawing replaces the still image of step 0
  el("bar").style.display = "";
  el("still").style.display = "none";
  var steps = data.steps, n = steps.length, k = 0;
  function pieces(target, parts) {
    target.textContent = "";
    parts.forEach(function (p) {
      var s = document.createElement("span");
      s.textContent = p[0];
      if (p[1]) { s.className = p[1]; }
      target.appendChild(s);
    });
  }
  function show() {
    var last = {}, i, s = steps[k - 1], start = data.start;
    for (i = 0; i < k; i++) { last[steps[i].p] = i; }
    data.nodes.forEach(function (node) {
      var state = node.root ? "done" : "waiting", text = node.initial;
      if (node.i in last) {
        text = steps[last[node.i]].field;
        state = steps[last[node.i]].complete ? "done" : "partial";
      }
      el("g" + node.i).textContent = text;
      el("n" + node.i).setAttribute("class", "node value " + state);
    });
    box.querySelectorAll(".cur-edge, .cur-link, .current").forEach(function (e) {
      e.classList.remove("cur-edge", "cur-link", "current");
    });
    if (s) {
      el("n" + s.p).classList.add("parent");
      el("n" + s.c).classList.add("child");
      el("op" + s.c).classList.add("current");
      el("e" + s.c + "_" + s.k).classList.add("cur-edge");
      el("out" + s.c).classList.add("cur-link");
    }
    pieces(el("formula"), s ? s.formula : start.formula);
    pieces(el("parts"), s ? s.parts : start.parts);
    el("sum").textContent = s ? s.sum : start.sum;
    el("counter").textContent = "step " + k + " of " + n;
    box.setAttribute("data-step", String(k));
    el("first").disabled = el("prev").disabled = (k === 0);
    el("next").disabled = el("last").disabled = (k === n);
  }
  // The drawing fills the width it has, but its text is never smaller than MINPX pixels (a long
  // graph scrolls instead, following the current step) nor larger than twice its own size.
  var wrap = el("graph"), svg = wrap.querySelector("svg"), vb = svg.viewBox.baseVal, width = -1;
  function fit() {
    if (!wrap.clientWidth || box.clientWidth === width) { return; }
    width = box.clientWidth;
    var room = parseFloat(window.getComputedStyle(wrap).maxHeight) || vb.height;
    var scale = Math.min(wrap.clientWidth / vb.width, room / vb.height);
    scale = Math.min(2, Math.max(MINPX / FONT, scale));
    svg.style.width = (vb.width * scale) + "px";
    svg.style.height = (vb.height * scale) + "px";
    follow();
  }
  function follow() {
    var r = null, view = wrap.getBoundingClientRect(), s = steps[k - 1];
    var ids = s ? ["n" + s.p, "op" + s.c, "n" + s.c] : ["n" + data.nodes[data.nodes.length - 1].i];
    ids.forEach(function (id) {
      var b = el(id).getBoundingClientRect();
      r = r ? { left: Math.min(r.left, b.left), right: Math.max(r.right, b.right),
                top: Math.min(r.top, b.top), bottom: Math.max(r.bottom, b.bottom) } : b;
    });
    if (r.left < view.left || r.right > view.right) {
      wrap.scrollLeft += (r.left + r.right) / 2 - (view.left + view.right) / 2;
    }
    if (r.top < view.top || r.bottom > view.bottom) {
      wrap.scrollTop += (r.top + r.bottom) / 2 - (view.top + view.bottom) / 2;
    }
  }
  function go(to) { k = Math.max(0, Math.min(n, to)); show(); follow(); }
  el("first").onclick = function () { go(0); };
  el("prev").onclick = function () { go(k - 1); };
  el("next").onclick = function () { go(k + 1); };
  el("last").onclick = function () { go(n); };
  var keys = { ArrowRight: "next", ArrowDown: "next", PageDown: "next", " ": "next",
               ArrowLeft: "prev", ArrowUp: "prev", PageUp: "prev", Home: "first", End: "last" };
  (PAGE ? document : box).addEventListener("keydown", function (ev) {
    var b = keys[ev.key];
    if (!b || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    ev.preventDefault();
    ev.stopPropagation();
    el(b).click();
  });
  if (window.ResizeObserver) { new ResizeObserver(fit).observe(box); }
  window.addEventListener("resize", fit);
  fit();
  go(0);
  // "#step=3" (or "?step=3") in the address: press Next that many times, as a teacher would
  var i, m = /[#?&]step=(\d+)/.exec(window.location.hash + window.location.search);
  if (m) { for (i = 0; i < Math.min(n, parseInt(m[1], 10)); i++) { el("next").click(); } }
  if (PAGE) { box.focus(); }
})();
"""


class Stepper:
    """The backward pass of one graph, one chain-rule step at a time: shown by Jupyter, or ``.save``d.

    ``trace`` is the graph's Trace; ``steps`` holds, for each of its steps, what the page shows (the
    step's fields and text, its edge in the drawing, each grad field as it fills in); ``dot`` is the
    DOT source of the drawing, with the ids the page's script looks for.
    """

    def __init__(self, root: Value, rankdir: str = "LR", group_layers: bool = False,
                 max_nodes: int = 500) -> None:  # fmt: skip
        """Trace ``root``, lay out its graph with Graphviz and prepare the text of every step."""
        if not isinstance(root, Value):
            raise TypeError(f"step_through expects a Value, got {type(root).__name__}")
        self.trace = Trace(root)
        order = topological_order(root)
        shown = [i for i, n in enumerate(order) if not isinstance(n, Constant) or n is root]
        names = {i: row.label for i, row in zip(shown, self.trace.rows, strict=True)}
        edges = _edges(order)
        for e, s in zip(edges, self.trace.steps, strict=True):
            if (names[e.parent], names[e.child]) != (s.parent, s.child):  # pragma: no cover
                raise RuntimeError("the stepper and trace disagree on the order of the steps")
        r = self.trace.root_name
        paths = {i: 0 for i in shown}
        for e in edges:
            paths[e.parent] += 1
        initial = {i: "grad 1" if i == shown[-1] else "grad ?" for i in shown}
        widest = dict(initial)
        received: dict[int, list[float]] = {i: [] for i in shown}
        totals = {i: 0.0 for i in shown}
        self.steps: list[dict[str, Any]] = []
        for e, s in zip(edges, self.trace.steps, strict=True):
            received[e.parent].append(s.contribution)
            totals[e.parent] += s.contribution  # in trace's order, so the sums are trace's exactly
            shares, total, n = received[e.parent], totals[e.parent], paths[e.parent]
            field = _grad_field(shares, total, n)
            if len(field) > len(widest[e.parent]):
                widest[e.parent] = field
            written = "" if s.symbol == num(s.local) else f"{s.symbol} = "
            local = f"∂{wrt(s.child)}/∂{wrt(s.parent)} = {written}"
            self.steps.append(
                {
                    "parent": s.parent, "child": s.child, "symbol": s.symbol, "local": s.local,
                    "upstream": s.upstream, "contribution": s.contribution, "text": str(s),
                    "p": e.parent, "c": e.child, "k": e.k, "edge": f"e{e.child}_{e.k}",
                    "formula": _formula(s),
                    "parts": [
                        [f"upstream  ∂{r}/∂{wrt(s.child)} = {num(s.upstream)}", "box up"], [" × ", ""],
                        [f"local  {local}{num(s.local)}", "box loc"], [" = ", ""],
                        [f"contribution  {num(s.contribution)}", "box con"],
                    ],
                    "field": field, "complete": len(shares) == n, "total": total,
                    "sum": _sum_line(r, s.parent, shares, total, n),
                }
            )  # fmt: skip
        source, self._drawing = _dot_source(order, names, widest, edges, rankdir=rankdir,
                                            group_layers=group_layers, max_nodes=max_nodes)  # fmt: skip
        self.dot = source.replace(_TOKEN, "")
        self._svg = _svg(self._drawing, initial)
        self._nodes = [{"i": i, "initial": initial[i], "root": i == shown[-1]} for i in shown]
        first = self.steps[0]["child"] if self.steps else r
        self._start = {
            "formula": [[f"start: ∂{r}/∂{r} = 1", "up"]],
            "parts": [[f"Next (→) sends the gradient one edge back: ∂{r}/∂parent += local × upstream", ""]]
            if self.steps else [[f"{r} has no parents: there is nothing to send back", ""]],
            "sum": f"the gradient starts at the output {first}" if self.steps else "",
        }  # fmt: skip

    def __len__(self) -> int:
        """The number of chain-rule steps."""
        return len(self.steps)

    def __repr__(self) -> str:
        """A one-line summary (Jupyter shows the page itself)."""
        return f"<Stepper of {self.trace.root_name}: {len(self.steps)} chain-rule steps>"

    def html(self, page: bool = False, max_height: str = "62vh") -> str:
        """The stepper as an HTML fragment (or, with ``page=True``, a whole document), with fresh ids."""
        prefix = f"agt{uuid.uuid4().hex[:12]}_"  # unique per display: several in one notebook never clash
        css = _CSS.replace("#P", f"#{prefix}root").replace("MAXH", max_height)
        js = _JS.replace("PREFIX", prefix).replace("ISPAGE", "true" if page else "false")
        js = js.replace("MINPX", str(_MIN_PX)).replace("FONT", str(_FONT))
        svg = self._svg.replace(f'id="{_TOKEN}', f'id="{prefix}')
        data = {"steps": self.steps, "nodes": self._nodes, "start": self._start, "svg": svg}
        # "<" is written as \u003c so that no text in the JSON can end the <script> element early
        blob = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
        button = '<button type="button" id="{p}{act}" title="{key}">{text}</button>'
        buttons = "".join(
            button.format(p=prefix, act=act, key=key, text=text)
            for act, key, text in (("first", "Home", "|◀ First"), ("prev", "←", "◀ Previous"),
                                   ("next", "→", "Next ▶"), ("last", "End", "Last ▶|"))
        )  # fmt: skip
        n = len(self.steps)
        # where no script runs (an untrusted notebook, a page opened with scripts off) the page is a
        # still picture of step 0, with this line; the script puts the live drawing and buttons in
        r = self.trace.root_name
        still = (f"The backward pass of {r} in {n} chain-rule steps, at step 0 (a still picture): run "
                 "the cell, or open the saved page in a browser, to step through them.")  # fmt: skip

        legend = "".join(
            f'<span class="agt-swatch" style="background:{colour}"></span>{html.escape(text)} '
            for colour, text in (("#ffb74d", "receives"), ("#90caf9", "sends back"),
                                 ("#fff59d", "part of its grad"), ("#c8e6c9", "grad complete"))
        )  # fmt: skip
        fragment = (
            f'<div id="{prefix}root" class="agt-stepper" tabindex="0" data-step="0" '
            f'data-prefix="{prefix}" data-lm-suppress-shortcuts="true" data-p-suppress-shortcuts="true">'
            f"<style>{css}</style>"
            f'<div class="agt-bar" id="{prefix}bar" style="display: none">{buttons}'
            f'<span class="agt-counter" id="{prefix}counter">step 0 of {n}</span>'
            f'<span class="agt-keys">keys → ← Home End<br>{legend}</span></div>'
            f'<div class="agt-still" id="{prefix}still"><b>{html.escape(still)}</b></div>'
            f'<div class="agt-graph" id="{prefix}graph">{svg_image(self.still(0), repr(self)[1:-1])}</div>'
            f'<div class="agt-panel"><div class="agt-formula" id="{prefix}formula">'
            f'{_spans(self._start["formula"])}</div><div class="agt-parts" id="{prefix}parts">'
            f'{_spans(self._start["parts"])}</div><div class="agt-sum" id="{prefix}sum">'
            f"{html.escape(self._start['sum'])}</div></div>"
            f'<script type="application/json" id="{prefix}data">{blob}</script>'
            f"<script>{js}</script></div>"
        )
        if not page:
            return fragment
        title = html.escape(f"Backward pass of {self.trace.root_name}, step by step")
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>body {{ margin: 0; background: #fff; }}</style></head>\n<body>{fragment}</body></html>\n"
        )

    def _repr_html_(self) -> str:
        """The stepper, for Jupyter."""
        return self.html()

    def still(self, k: int = 0) -> str:
        """The drawing after ``k`` of the steps (0: before the first), as a standalone SVG."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= len(self.steps):
            raise ValueError(f"still: k must be a step number from 0 to {len(self.steps)}, got {k!r}")
        return _still(self._svg, self._nodes, self.steps, k)

    def all_steps_html(self) -> str:
        """Every step on one page, for paper: step k's drawing, formula, parts and sum in a block of
        its own (a block never split across sheets), no buttons and no script."""
        r = self.trace.root_name
        blocks = []
        for k in range(len(self.steps) + 1):
            s = self.steps[k - 1] if k else self._start
            picture = svg_image(self.still(k), f"the graph after step {k}")
            blocks.append(
                f'<section class="agt-step"><h2>step {k} of {len(self.steps)}</h2>{picture}'
                f'<div class="agt-formula">{_spans(s["formula"])}</div>'
                f'<div class="agt-parts">{_spans(s["parts"])}</div>'
                f'<div class="agt-sum">{html.escape(s["sum"])}</div></section>'
            )
        title = html.escape(f"Backward pass of {r}, every step")
        return (
            f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{_PRINT_CSS}</style></head>\n<body><h1>{title}</h1>{''.join(blocks)}</body></html>\n"
        )

    def save(self, path: str | Path, all_steps: bool = False) -> str:
        """Write the stepper as a whole HTML page that any browser opens offline (``all_steps``: every
        step one after another, for printing); returns the path."""
        if not isinstance(path, (str, Path)):
            raise TypeError(f"Stepper.save: path must be a str or Path, got {type(path).__name__}")
        if not str(path):
            raise ValueError("Stepper.save: path is empty; give a file name such as 'backward.html'")
        if not isinstance(all_steps, bool):
            raise TypeError(f"Stepper.save: all_steps must be True or False, got {type(all_steps).__name__}")
        text = self.all_steps_html() if all_steps else self.html(page=True, max_height="calc(100vh - 330px)")
        Path(path).write_text(text, encoding="utf-8")
        return str(path)


def step_through(
    root: Value, rankdir: str = "LR", group_layers: bool = False, max_nodes: int = 500
) -> Stepper:
    """The backward pass of the graph ending at ``root``, one chain-rule step at a time (Jupyter or HTML)."""
    return Stepper(root, rankdir=rankdir, group_layers=group_layers, max_nodes=max_nodes)
