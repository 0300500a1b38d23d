"""Reading what a learner types: numbers (−3/2, 0.25), gradient names (dL/dz2, ∂L/∂W2[0,1]), steps as data."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import Any

from autograd_tiny.core.engine import Constant, Value, brief
from autograd_tiny.core.graph import topological_order
from autograd_tiny.views.trace import num

# ---------------------------------------------------------------------------------------------
# Reading and writing numbers the way a learner types them.
# ---------------------------------------------------------------------------------------------


def parse_number(text: str) -> float:
    """A typed number as a float: 3, −1.5 (a true minus too), 2e-3 or a fraction such as −3/2.

    A ValueError says what was wrong in words a learner can act on.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_number expects a str, got {type(text).__name__}")
    # NFKC turns full-width digits and ½-style slashes into plain ones
    s = unicodedata.normalize("NFKC", text).strip()
    s = s.replace("−", "-").replace("–", "-").replace("⁄", "/").replace(" ", "")
    shown = text.strip() if len(text.strip()) <= 30 else text.strip()[:30] + "…"
    if not s:
        raise ValueError("nothing was typed")
    if len(s) > 60:
        raise ValueError(f"{shown!r} is too long to be a number")
    try:
        if "/" in s:
            top, bottom = s.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(s)
    except ZeroDivisionError:
        raise ValueError(f"{shown!r} divides by zero") from None
    except OverflowError:
        raise ValueError(f"{shown!r} is too large") from None
    except ValueError:
        if re.fullmatch(r"[-+]?\d+,\d+", s):
            raise ValueError(f"{shown!r} has a decimal comma: type {s.replace(',', '.')}") from None
        raise ValueError(f"{shown!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{shown!r} is not a finite number")
    return value


def read_answer(given: object) -> tuple[float | None, str]:
    """An answer as a float, or None and the reason it is not a usable number."""
    if isinstance(given, str):
        try:
            return parse_number(given), ""
        except ValueError as e:
            return None, str(e)
    if isinstance(given, bool) or not isinstance(given, (Real, Decimal)):
        return None, f"{type(given).__name__} {brief(given)} is not a number"
    shown = brief(given, 30)
    try:
        value = float(given)
    except OverflowError:
        return None, f"{shown} is too large for a float"
    except ValueError:  # Decimal("sNaN"), which float() refuses
        return None, f"{shown} is not a finite number"
    if not math.isfinite(value):
        return None, f"{value!r} is not a finite number"
    return value, ""


def close_enough(a: float, b: float, tol: float) -> bool:
    """Whether a matches b within the relative tolerance (1e-9 absolute where b is 0)."""
    return abs(a - b) <= max(tol * abs(b), 1e-9)


def digits_in_common(given: float, key: float, asked: int) -> int | None:
    """The most significant digits, from 2 to asked − 1, to which ``given`` is ``key`` rounded or cut
    off (0.73 or 0.731 for 0.731059), or None: a right answer given too short, not a slip."""
    if key == 0.0 or not math.isfinite(given):
        return None
    for d in range(asked - 1, 1, -1):
        unit = 10.0 ** (math.floor(math.log10(abs(key))) - d + 1)  # the place of the d-th digit
        rounded, cut = float(f"{key:.{d}g}"), math.copysign(math.floor(abs(key) / unit) * unit, key)
        if any(abs(given - v) <= 1e-9 * abs(key) for v in (rounded, cut)):
            return d
    return None


# ---------------------------------------------------------------------------------------------
# Names: a node's label (z1, W2[0,1], ŷ) and the ways a learner may write its gradient.
# ---------------------------------------------------------------------------------------------

_ASCII = {"ŷ": "yhat", "Δ": "Delta", "δ": "delta", "Σ": "Sum"}


def ascii_label(label: str) -> str:
    """A label in ASCII: ŷ → yhat."""
    return "".join(_ASCII.get(c, c) for c in label)


def normalized_name(name: str) -> str:
    """A name as compared: NFKC, no spaces, ∂ → d, W[0][1] → W[0,1]."""
    s = unicodedata.normalize("NFKC", name)
    return "".join(s.split()).replace("∂", "d").replace("][", ",")


def spellings(label: str) -> set[str]:
    """Every accepted way to write ∂L/∂(label): dL/dz1, ∂L/∂z1, and δ1, delta1 for a z."""
    bases = {label, ascii_label(label), label.replace("ŷ", "y_hat"), label.replace("ŷ", "y^")}
    forms = {f"{d}L/{d}{b}" for b in bases for d in ("d", "∂")}
    if label.startswith("z"):  # the chapter's δ⁽ℓ⁾ = ∂L/∂z⁽ℓ⁾
        forms |= {"δ" + label[1:], "delta" + label[1:]}
    return {normalized_name(f) for f in forms}


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def label_latex(label: str) -> str:
    """A label as LaTeX: w1 → w_{1}, W2[0,1] → W^{(2)}_{0,1}, ŷ → \\hat{y}, Δ[0,1] → \\Delta_{0,1}."""
    m = re.fullmatch(r"([A-Za-zŷΔδ]+)(\d*)(?:\[([\d,]+)\])?", label)
    if not m:
        return rf"\text{{{label}}}"
    base, layer, index = m.groups()
    base = {"ŷ": r"\hat{y}", "Δ": r"\Delta", "δ": r"\delta"}.get(base, base)
    if index is None:
        return f"{base}_{{{layer}}}" if layer else base
    return f"{base}^{{({layer})}}_{{{index}}}" if layer else f"{base}_{{{index}}}"


def gradient_latex(label: str) -> str:
    """∂L/∂(label) as a LaTeX fraction."""
    return rf"\frac{{\partial L}}{{\partial {label_latex(label)}}}"


def value_text(v: Any) -> str:
    """A number, vector or matrix as the question prints it: 2, [1, −2], [[1, 2], [0, −1]]."""
    if isinstance(v, list):
        return "[" + ", ".join(value_text(e) for e in v) + "]"
    return num(v)


def value_latex(v: Any) -> str:
    """A number, vector (a column) or matrix as LaTeX."""
    if not isinstance(v, list):
        return num(v).replace("−", "-")
    rows = v if isinstance(v[0], list) else [[e] for e in v]
    body = r" \\ ".join(" & ".join(num(e).replace("−", "-") for e in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


# ---------------------------------------------------------------------------------------------
# The backward pass as data: the chain-rule steps of an exercise's graph, to be re-run with a
# step changed ("what if ReLU′ were taken as 1 here?") and compared with a learner's numbers.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Edge:
    """One chain-rule step ∂L/∂parent += local · ∂L/∂child (node indices in forward order)."""

    parent: int
    child: int
    k: int  # the parent's position among the child's parents
    local: float


class Chain:
    """An exercise's graph: its nodes in forward order, its steps in backward order (as trace's)."""

    def __init__(self, root: Value) -> None:
        """The nodes and chain-rule steps of the graph ending at ``root``."""
        # as trace does: number constants are no nodes of their own; the steps run over the nodes
        # in reverse topological order, each node's parents in argument order
        self.nodes = [n for n in topological_order(root) if not isinstance(n, Constant) or n is root]
        index = {id(n): i for i, n in enumerate(self.nodes)}
        self.edges: list[_Edge] = []
        for i in range(len(self.nodes) - 1, -1, -1):
            node = self.nodes[i]
            for k, (p, local) in enumerate(zip(node.parents, node.local_grads, strict=True)):
                if not isinstance(p, Constant):
                    self.edges.append(_Edge(index[id(p)], i, k, local))
        self.root = len(self.nodes) - 1
        self.index = {n.label: i for i, n in enumerate(self.nodes) if n.label}
        self.feeds: list[list[int]] = [[] for _ in self.nodes]  # node → the nodes computed from it
        self.made_from: list[list[int]] = [[] for _ in self.nodes]  # node → its parents
        self.into: list[list[int]] = [[] for _ in self.nodes]  # node → the steps that add into ∂L/∂node
        for e, edge in enumerate(self.edges):
            self.feeds[edge.parent].append(edge.child)
            self.made_from[edge.child].append(edge.parent)
            self.into[edge.parent].append(e)
        self.grads = self.run(self.root, 1.0)

    def run(self, start: int, seed: float, change: Mapping[int, float] | None = None) -> list[float]:
        """∂start/∂node for every node, times ``seed``, with the local derivatives of some steps
        replaced (``change``: step index → local derivative used instead; 0 drops the step)."""
        g = [0.0] * len(self.nodes)
        g[start] = seed
        for e, edge in enumerate(self.edges):  # children come before their parents in this order
            local = edge.local if change is None else change.get(e, edge.local)
            g[edge.parent] += local * g[edge.child]
        return g

    @staticmethod
    def _reach(start: int, links: list[list[int]], avoid: int | None = None) -> set[int]:
        """start and every node reached from it along ``links``, never passing through ``avoid``."""
        seen, todo = {start}, [start]
        while todo:
            for n in links[todo.pop()]:
                if n not in seen and n != avoid:
                    seen.add(n)
                    todo.append(n)
        return seen

    def descendants(self, t: int) -> set[int]:
        """t and every node computed from it (the nodes between t and L)."""
        return self._reach(t, self.feeds)

    def ancestors(self, u: int) -> set[int]:
        """u and every node it is computed from."""
        return self._reach(u, self.made_from)

    def dominates(self, u: int, t: int) -> bool:
        """Whether every path from t to L passes through u (so ∂L/∂t = ∂L/∂u · ∂u/∂t)."""
        if u == self.root:
            return True
        return self.root not in self._reach(t, self.feeds, avoid=u)

    def between(self, t: int, u: int) -> list[int]:
        """The steps on the paths from t up to u, in backward order."""
        low, high = self.descendants(t), self.ancestors(u)
        return [e for e, edge in enumerate(self.edges) if edge.parent in low and edge.child in high]
