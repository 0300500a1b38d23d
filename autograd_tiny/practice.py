"""Practice mode: exercises in the chapter's style that the engine checks, with hints.

An exercise is one of the chapter's worked examples with new numbers. You compute the gradients by
hand; ``check`` says which answers are right and, for a wrong one, which chain-rule step to look at,
without giving the answer away (``reveal`` does that, when you ask):

    from autograd_tiny import practice

    ex = practice.exercise("two_layer_relu", seed=0)       # same seed, same numbers, on any machine
    print(ex.question)                                     # the network, its numbers, the unknowns
    feedback = ex.check({"dL/dz2": -6, "∂L/∂w2": -12})     # ASCII or ∂ names; numbers or "−3/2"
    print(feedback)                                        # right / wrong / missing, with hints
    print(feedback.reveal())                               # the same, with the answers
    ex.answers()                                           # the key, for teachers

The kinds (``KINDS``), each at ``level`` 1, 2 or 3 (bigger layers or deeper networks):

    two_layer_relu     Example 1: x → ReLU unit → linear output, L = (ŷ − y)²        integer answers
    sigmoid_bce        Example 2: one sigmoid neuron with binary cross-entropy       4 significant digits
    delta_recurrence   Practice Problem 4: from ∂L/∂z⁽³⁾, W⁽³⁾, z⁽²⁾ find δ⁽²⁾        one decimal
    batch_bias         Section 8: ∂L/∂W = (1/M) Δ Aᵀ, ∂L/∂b summed over the batch     integer answers
    reused_node        a node that feeds two paths: its gradient is a sum             integer answers

How a wrong answer is located. The engine's backward pass is a list of chain-rule steps
∂L/∂u += (∂y/∂u) · ∂L/∂y (``trace``). For a wrong ∂L/∂t the checker starts from the nearest answer
of yours that every path from t to L passes through and that is right (or from ∂L/∂L = 1): the
error lies in the steps between. It then tries the classic slips on those steps: a ReLU′ or σ′ left
out, a sign flipped, a factor left out or replaced by its partner, one path of a reused node
dropped, 1/M applied twice or not at all, W transposed. If your number follows from one of them, it
names that step and the slip ("your answer would follow if ..."), preferring the slip that explains
the most of your wrong answers at once (and would not have spoilt your right ones); if it follows
from a wrong answer of yours higher up, it says so; otherwise it names the first step after the
last right one.

Checking an operation you wrote yourself (a forward function on floats and its derivatives):

    def forward(u, v):
        return u * v

    def derivatives(u, v):              # (∂y/∂u, ∂y/∂v)
        return v, u

    print(practice.check_op(forward, derivatives))      # against central differences

    def backward(grads, node):          # node.inputs: the input nodes; node.data: the output
        u, v = node.inputs              # grads[n] is ∂L/∂n; grads[node] is the upstream gradient
        grads[u] += v.data * grads[node]                 # += : an input used twice gets both
        grads[v] += u.data * grads[node]

    print(practice.check_backward(forward, backward))   # on graphs where an input is reused

``autograd-tiny practice [--kind K] [--seed N] [--level L]`` is the same in a terminal (``session``).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import os
import random
import re
import secrets
import sys
import textwrap
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from numbers import Integral, Real
from typing import Any, TextIO

from autograd_tiny import functional as F
from autograd_tiny.engine import Constant, Value, brief
from autograd_tiny.gradcheck import _tolerance
from autograd_tiny.graph import topological_order
from autograd_tiny.rules import RULES
from autograd_tiny.trace import Trace, num, trace

KINDS = ("two_layer_relu", "sigmoid_bce", "delta_recurrence", "batch_bias", "reused_node")
LEVELS = (1, 2, 3)

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


def _read(given: object) -> tuple[float | None, str]:
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


def _close(a: float, b: float, tol: float) -> bool:
    """Whether a matches b within the relative tolerance (1e-9 absolute where b is 0)."""
    return abs(a - b) <= max(tol * abs(b), 1e-9)


# ---------------------------------------------------------------------------------------------
# Names: a node's label (z1, W2[0,1], ŷ) and the ways a learner may write its gradient.
# ---------------------------------------------------------------------------------------------

_ASCII = {"ŷ": "yhat", "Δ": "Delta", "δ": "delta", "Σ": "Sum"}


def _ascii(label: str) -> str:
    """A label in ASCII: ŷ → yhat."""
    return "".join(_ASCII.get(c, c) for c in label)


def _norm(name: str) -> str:
    """A name as compared: NFKC, no spaces, ∂ → d, W[0][1] → W[0,1]."""
    s = unicodedata.normalize("NFKC", name)
    return "".join(s.split()).replace("∂", "d").replace("][", ",")


def _spellings(label: str) -> set[str]:
    """Every accepted way to write ∂L/∂(label): dL/dz1, ∂L/∂z1, and δ1, delta1 for a z."""
    bases = {label, _ascii(label), label.replace("ŷ", "y_hat"), label.replace("ŷ", "y^")}
    forms = {f"{d}L/{d}{b}" for b in bases for d in ("d", "∂")}
    if label.startswith("z"):  # the chapter's δ⁽ℓ⁾ = ∂L/∂z⁽ℓ⁾
        forms |= {"δ" + label[1:], "delta" + label[1:]}
    return {_norm(f) for f in forms}


_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _latex_name(label: str) -> str:
    """A label as LaTeX: w1 → w_{1}, W2[0,1] → W^{(2)}_{0,1}, ŷ → \\hat{y}, Δ[0,1] → \\Delta_{0,1}."""
    m = re.fullmatch(r"([A-Za-zŷΔδ]+)(\d*)(?:\[([\d,]+)\])?", label)
    if not m:
        return rf"\text{{{label}}}"
    base, layer, index = m.groups()
    base = {"ŷ": r"\hat{y}", "Δ": r"\Delta", "δ": r"\delta"}.get(base, base)
    if index is None:
        return f"{base}_{{{layer}}}" if layer else base
    return f"{base}^{{({layer})}}_{{{index}}}" if layer else f"{base}_{{{index}}}"


def _grad_latex(label: str) -> str:
    """∂L/∂(label) as a LaTeX fraction."""
    return rf"\frac{{\partial L}}{{\partial {_latex_name(label)}}}"


def _text_value(v: Any) -> str:
    """A number, vector or matrix as the question prints it: 2, [1, −2], [[1, 2], [0, −1]]."""
    if isinstance(v, list):
        return "[" + ", ".join(_text_value(e) for e in v) + "]"
    return num(v)


def _latex_value(v: Any) -> str:
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


class _Chain:
    """An exercise's graph: its nodes in forward order, its steps in backward order (as trace's)."""

    def __init__(self, root: Value) -> None:
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


# ---------------------------------------------------------------------------------------------
# Exercises, their feedback, and how a wrong answer is traced to a chain-rule step.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Slip:
    """A classic mistake of one kind that no single step explains (a transposed W): the numbers
    it gives for some unknowns (label → value), how to say it, and whose step to cite."""

    code: str
    text: str
    predicted: dict[str, float]
    cite: dict[str, str]  # unknown's label → the node whose first incoming step is cited


# A slip that gives a learner's number: (−support, priority, position, code, text, step), sorted so
# that the slip explaining the most wrong answers, then the most classic one, then the earliest, wins.
_Finding = tuple[int, int, int, str, str, int]


@dataclass
class _Built:
    """What a kind's generator makes: the question's parts, the graph and an independent key."""

    title: str
    network: list[str]  # the computation, as text lines
    network_latex: list[str]
    given: dict[str, Any]  # the numbers of the question: name → number, vector or matrix
    root: Value
    unknowns: list[str]  # labels of the nodes whose gradients are asked, in the order asked
    reference: dict[str, float]  # label → ∂L/∂node from matrix.py's equations or a closed form
    note: str  # how to give the answers
    tolerance: float = 1e-9
    digits: int | None = None  # significant digits asked for (None: exact answers)
    batch: int | None = None  # M, for a batch
    slips: tuple[_Slip, ...] = ()
    known: tuple[str, ...] = ()  # nodes whose gradient the question gives (δ⁽³⁾ = ∂L/∂z⁽³⁾)


@dataclass(frozen=True)
class Verdict:
    """What ``check`` says about one unknown."""

    name: str  # as in Exercise.unknowns: "dL/dw1"
    pretty: str  # "∂L/∂w1"
    given: object  # what was given for it (None if nothing)
    value: float | None  # the number read from it
    status: str  # "right", "wrong", "missing" or "not a number"
    hint: str  # for a wrong answer: the step to check and why; otherwise why it was not read
    step: int | None  # the number of the chain-rule step named (as numbered by trace(ex.root))
    mistake: str  # the slip the number would follow from ("relu", "sign", "one_path", ...) or ""
    key: float  # the right answer (printed only by reveal)


class Feedback:
    """What ``Exercise.check`` found: truthy only when every unknown is answered right."""

    def __init__(
        self, verdicts: Sequence[Verdict], notes: Sequence[str], digits: int | None, revealed: bool = False
    ) -> None:
        """Feedback from verdicts (one per unknown) and notes on keys that were not used."""
        self.verdicts = tuple(verdicts)
        self.notes = tuple(notes)
        self.digits = digits
        self.revealed = revealed

    def __bool__(self) -> bool:
        """True only if every unknown has a right answer."""
        return all(v.status == "right" for v in self.verdicts)

    @property
    def right(self) -> int:
        """How many answers are right."""
        return sum(v.status == "right" for v in self.verdicts)

    @property
    def total(self) -> int:
        """How many unknowns there are."""
        return len(self.verdicts)

    def __getitem__(self, name: str) -> Verdict:
        """The verdict on one unknown, by its name in ``Exercise.unknowns`` (or with ∂)."""
        if not isinstance(name, str):
            raise TypeError(
                f"an unknown's name is a str such as {self.verdicts[0].name!r}, got {brief(name)}"
            )
        for v in self.verdicts:
            if _norm(name) in (_norm(v.name), _norm(v.pretty)):
                return v
        raise KeyError(
            f"no unknown called {name!r}: the unknowns are {', '.join(v.name for v in self.verdicts)}"
        )

    def reveal(self) -> Feedback:
        """The same feedback, printing the right answer next to each answer that is not right."""
        return Feedback(self.verdicts, self.notes, self.digits, revealed=True)

    def _key(self, x: float) -> str:
        return num(float(f"{x:.{self.digits}g}")) if self.digits else num(x)

    def __str__(self) -> str:
        """One line per unknown (✓ or ✗), hints indented under the wrong ones, then the score."""
        lines = []
        for v in self.verdicts:
            answer = f" (the answer is {self._key(v.key)})" if self.revealed and v.status != "right" else ""
            if v.status == "right":
                lines.append(f"✓ {v.pretty} = {num(v.value)}")
            elif v.status == "wrong":
                lines.append(f"✗ {v.pretty} = {num(v.value)} is not right{answer}")
            elif v.status == "missing":
                lines.append(f"✗ {v.pretty}: no answer given{answer}")
            else:
                lines.append(f"✗ {v.pretty}: not a number: {v.hint}{answer}")
            if v.status == "wrong":
                lines.append("    " + v.hint)
        lines += self.notes
        verdict = "every answer is right" if self else f"{self.right} of {self.total} right"
        lines.append(verdict + (" (answers revealed)" if self.revealed else ""))
        return "\n".join(lines)

    def __repr__(self) -> str:
        """<Feedback: 4 of 7 right>."""
        return f"<Feedback: {self.right} of {self.total} right>"


class Exercise:
    """One exercise: its question, its unknowns, the key, and a checker that names the step to look at."""

    def __init__(self, kind: str, seed: int, level: int, built: _Built) -> None:
        """An exercise from a generator's output (use ``exercise(kind, seed, level)`` to make one)."""
        self.kind, self.seed, self.level = kind, seed, level
        self._built = built
        self.root: Value = built.root  # the graph: trace(ex.root) is the worked solution
        self.given: dict[str, Any] = built.given
        self.tolerance: float = built.tolerance  # relative: |answer − key| ≤ tolerance·|key|
        self.digits: int | None = built.digits
        self._labels = list(built.unknowns)
        self.unknowns: tuple[str, ...] = tuple("dL/d" + _ascii(label) for label in self._labels)
        self._pretty = {n: "∂L/∂" + label for n, label in zip(self.unknowns, self._labels, strict=True)}
        self._chain = _Chain(built.root)
        self._node = {
            n: self._chain.index[label] for n, label in zip(self.unknowns, self._labels, strict=True)
        }
        # the key, from the engine's own backward pass
        built.root.backward()
        nodes = self._chain.nodes
        self._key = {n: nodes[self._node[n]].grad for n in self.unknowns}
        # ... which must agree with the steps replayed here and with the independent reference
        for n, label in zip(self.unknowns, self._labels, strict=True):
            replayed, reference = self._chain.grads[self._node[n]], built.reference[label]
            if replayed != self._key[n] or abs(reference - self._key[n]) > 1e-9:
                raise RuntimeError(
                    f"internal error in {kind} (seed {seed}, level {level}): ∂L/∂{label} is {self._key[n]!r} "
                    f"by backward(), {replayed!r} by the replayed steps, {reference!r} by the equations"
                )
        self._spelling: dict[str, str] = {}
        self._folded: dict[str, set[str]] = {}
        for n, label in zip(self.unknowns, self._labels, strict=True):
            for s in _spellings(label):
                self._spelling[s] = n
                self._folded.setdefault(s.casefold(), set()).add(n)

    # --- the question ---------------------------------------------------------------------

    @cached_property
    def question(self) -> str:
        """The question as text, in the chapter's style."""
        b = self._built
        lines = [b.title, *("  " + line for line in b.network)]
        scalars: list[str] = []
        for k, v in b.given.items():  # in the order given: numbers on one line, each matrix on its own
            if isinstance(v, list):
                lines += ["  " + ", ".join(scalars)] if scalars else []
                lines.append(f"  {k} = {_text_value(v)}")
                scalars = []
            else:
                scalars.append(f"{k} = {num(v)}")
        lines += ["  " + ", ".join(scalars)] if scalars else []
        find = "Find " + ", ".join(self._pretty[n] for n in self.unknowns) + "."
        lines += textwrap.wrap(find, 100, subsequent_indent="     ", break_on_hyphens=False)
        lines.append(b.note)
        return "\n".join(lines)

    @cached_property
    def question_latex(self) -> str:
        """The question as LaTeX (one displayed array), for Jupyter or a document."""
        b = self._built

        def name(k: str, v: Any) -> str:  # a matrix or vector W3 is W^{(3)}; a scalar w1 is w_{1}
            m = re.fullmatch(r"([A-Za-zΔδ]+)(\d*)", k)
            if isinstance(v, list) and m and m.group(2):
                return _latex_name(m.group(1)).rstrip("_{}") + f"^{{({m.group(2)})}}"
            return _latex_name(k)

        scalars = [f"{name(k, v)} = {_latex_value(v)}" for k, v in b.given.items() if not isinstance(v, list)]
        rows = [rf"\textbf{{{_latex_text(b.title)}}}", *b.network_latex]
        if scalars:
            rows.append(r",\; ".join(scalars))
        rows += [f"{name(k, v)} = {_latex_value(v)}" for k, v in b.given.items() if isinstance(v, list)]
        grads = [_grad_latex(label) for label in self._labels]
        rows += [
            (r"\text{Find } " if k == 0 else r"\quad ") + r",\; ".join(grads[k : k + 6])
            for k in range(0, len(grads), 6)
        ]
        rows.append(rf"\text{{{_latex_text(b.note)}}}")
        return "$$\\begin{array}{l}\n" + " \\\\[4pt]\n".join(rows) + "\n\\end{array}$$"

    def _repr_latex_(self) -> str:
        """The question, typeset by Jupyter."""
        return self.question_latex

    def _repr_html_(self) -> str:
        """The question as HTML, for Jupyter."""
        import html

        return f"<pre class='autograd-tiny-exercise'>{html.escape(self.question)}</pre>"

    def __repr__(self) -> str:
        """<Exercise two_layer_relu seed=0 level=1: 7 unknowns>."""
        return f"<Exercise {self.kind} seed={self.seed} level={self.level}: {len(self.unknowns)} unknowns>"

    # --- the key ----------------------------------------------------------------------------

    def answers(self) -> dict[str, float]:
        """The key: each unknown's name → ∂L/∂node as the engine computes it (for teachers)."""
        return dict(self._key)

    def reference(self) -> dict[str, float]:
        """The key computed independently: matrix.py's equations, or a closed form for sigmoid_bce
        and reused_node (equal to ``answers()`` within 1e-9, checked when the exercise is made)."""
        return {
            n: float(self._built.reference[label])
            for n, label in zip(self.unknowns, self._labels, strict=True)
        }

    @cached_property
    def _trace(self) -> Trace:
        t = trace(self.root)
        if len(t.steps) != len(self._chain.edges):  # both walk the same graph the same way
            raise RuntimeError("internal error: trace and practice disagree on the chain-rule steps")
        return t

    def _formula(self, e: int) -> str:
        """Step e as "step 6 (∂L/∂z1 += ReLU′(z1) · ∂L/∂a1)": its formula, not its numbers."""
        # str(step) is "∂L/∂z1 += ReLU′(z1) · ∂L/∂a1 = 0 · 24 = 0": the formula ends at the first " = "
        return f"step {e + 1} ({str(self._trace.steps[e]).split(' = ', 1)[0]})"

    def hint(self, name: str) -> str:
        """The chain-rule steps that make ∂L/∂(name), as formulas without numbers."""
        if not isinstance(name, str):
            raise TypeError(
                f"hint expects an unknown's name (a str such as {self.unknowns[0]!r}), got {brief(name)}"
            )
        n = self._resolve(name)
        if n is None:
            raise KeyError(f"{name!r} is not an unknown of this exercise: {', '.join(self.unknowns)}")
        steps = [self._formula(e) for e in self._chain.into[self._node[n]]]
        head = (
            f"{self._pretty[n]} is the sum of these steps:"
            if len(steps) > 1
            else f"{self._pretty[n]} comes from"
        )
        return head + " " + "; ".join(steps)

    def solution(self) -> str:
        """The worked backward pass: every chain-rule step on the way to the unknowns, with numbers."""
        ch = self._chain
        wanted = set().union(*(ch.descendants(self._node[n]) for n in self.unknowns))
        return "\n".join(
            f"{e + 1:>3}. {s}" for e, s in enumerate(self._trace.steps) if ch.edges[e].parent in wanted
        )

    # --- checking ---------------------------------------------------------------------------

    def _resolve(self, key: str) -> str | None:
        """The unknown a learner's key names (any accepted spelling; case only if unambiguous)."""
        s = _norm(key)
        if s in self._spelling:
            return self._spelling[s]
        matches = self._folded.get(s.casefold(), set())
        return next(iter(matches)) if len(matches) == 1 else None

    def check(self, answers: Mapping[str, object], reveal: bool = False) -> Feedback:
        """Check answers (name → number; names as in ``unknowns`` or with ∂); see ``Feedback``.

        A wrong answer gets a hint that names the first chain-rule step to look at, and the slip
        it would follow from if it matches a classic one; the key is shown only with ``reveal``.
        """
        if not isinstance(reveal, bool):
            raise TypeError(f"check: reveal must be True or False, got {type(reveal).__name__}")
        if not isinstance(answers, Mapping):
            raise TypeError(
                f"check expects a dict of name → number, e.g. {{{self.unknowns[0]!r}: 1.5}}, "
                f"got {type(answers).__name__}"
            )
        given: dict[str, object] = {}
        notes = []
        for key, value in answers.items():
            n = self._resolve(key) if isinstance(key, str) else None
            if n is None:
                notes.append(f"note: {brief(key)} is not an unknown of this exercise (ignored)")
            elif n in given:
                notes.append(
                    f"note: {self._pretty[n]} was given twice; the first one ({brief(given[n], 20)}) was used"
                )
            else:
                given[n] = value
        values: dict[str, float] = {}
        unread: dict[str, str] = {}
        for n, raw in given.items():
            if raw is not None:
                v, why = _read(raw)
                if v is None:
                    unread[n] = why
                else:
                    values[n] = v
        verdicts = []
        for n in self.unknowns:
            key = self._key[n]
            status, hint, step, mistake = "missing", "", None, ""
            if n in unread:
                status, hint = "not a number", unread[n]
            elif n in values:
                if _close(values[n], key, self.tolerance):
                    status = "right"
                else:
                    status = "wrong"
                    hint, step, mistake = self._diagnose(n, values[n], values)
            verdicts.append(
                Verdict(n, self._pretty[n], given.get(n), values.get(n), status, hint, step, mistake, key)
            )
        if any(v.status != "right" for v in verdicts) and notes:
            notes.append("the unknowns are: " + ", ".join(self.unknowns))
        return Feedback(verdicts, notes, self.digits, revealed=reveal)

    def _slips(self, e: int) -> list[tuple[int, str, float, str]]:
        """The classic slips at step e: (priority, code, the local derivative used instead, what it means)."""
        ch, b = self._chain, self._built
        edge = ch.edges[e]
        node, parent = ch.nodes[edge.child], ch.nodes[edge.parent]
        step = self._trace.steps[e]
        sym, p, local = step.symbol, step.parent, edge.local
        out: list[tuple[int, str, float, str]] = []
        if node.op == "relu":
            z = num(parent.data)
            if local == 0.0:
                zero = " (as in the chapter, ReLU′(0) = 0)" if parent.data == 0.0 else ""
                out.append(
                    (
                        0,
                        "relu",
                        1.0,
                        f"ReLU′({p}) were taken as 1; but {p} = {z} ≤ 0, so ReLU′({p}) = 0{zero}",
                    )
                )
            else:
                out.append(
                    (0, "relu", 0.0, f"ReLU′({p}) were taken as 0; but {p} = {z} > 0, so ReLU′({p}) = 1")
                )
        elif node.op == "sigmoid":
            out.append((0, "sigmoid", 1.0, f"the factor σ′({p}) = {sym} were left out"))
        elif node.op == "pow" and isinstance(node.parents[1], Constant) and node.parents[1].data == 2.0:
            out.append((1, "square", local / 2, "the 2 of d(u²)/du = 2u were left out"))
        elif node.op == "mul" and any(isinstance(q, Constant) for q in node.parents) and b.batch:
            c = next(q.data for q in node.parents if isinstance(q, Constant))
            if abs(c - 1.0 / b.batch) < 1e-15:
                M = b.batch
                out.append(
                    (0, "twice", c * c, f"1/M = 1/{M} were applied twice (divide by M once: L = (1/M)·Σm Lm)")
                )
                out.append(
                    (0, "not_divided", 1.0, f"the factor 1/M = 1/{M} were left out (L is the batch average)")
                )
        if node.op in ("affine", "dot", "mul"):
            group = RULES[node.op].locate(edge.k, len(node.parents))[0]
            if group < 2 and parent.data != local and not any(isinstance(q, Constant) for q in node.parents):
                out.append(
                    (
                        2,
                        "partner",
                        parent.data,
                        f"you multiplied by {p} itself where the rule has its partner {sym}",
                    )
                )
        if local not in (1.0, -1.0) and not any(s[2] == 1.0 for s in out):  # leaving out −1 is a sign slip
            out.append((1, "left_out", 1.0, f"the factor {sym} were left out"))
        if local != 0.0:
            out.append((1, "sign", -local, f"the sign of {sym} were flipped"))
        return out

    def _diagnose(self, n: str, g: float, values: Mapping[str, float]) -> tuple[str, int | None, str]:
        """For a wrong ∂L/∂t = g: (the hint, the number of the step it names, the slip's code)."""
        ch, tol = self._chain, self.tolerance
        t, key = self._node[n], self._key[n]
        label = self._labels[self.unknowns.index(n)]
        answered = {self._node[m]: v for m, v in values.items() if m != n}
        right = {self._node[m] for m, v in values.items() if _close(v, self._key[m], tol)}
        # The nearest answer of theirs that every path from t to L passes through: if it is right,
        # the error lies in the steps between; if it is wrong, this answer may just follow from it.
        anchor = ch.root
        for u in sorted(u for u in answered if ch.dominates(u, t)):  # forward order: nearest first
            name_u = ch.nodes[u].label
            if u in right:
                anchor = u
                break
            if _close(g, answered[u] * ch.run(u, 1.0)[t], tol):
                first = ch.between(t, u)[0]
                return (
                    f"Your number follows from your ∂L/∂{name_u} = {num(answered[u])}, which is not right: "
                    f"the chain rule from there down to {self._pretty[n]}, starting at "
                    f"{self._formula(first)}, gives exactly your number. Fix ∂L/∂{name_u} first.",
                    first + 1,
                    "inherited",
                )
        steps = ch.between(t, anchor)
        position = {e: i for i, e in enumerate(steps)}
        # A slip is a candidate if it gives this number. One slip usually explains several answers,
        # so candidates that explain more of the learner's wrong answers (and would not have spoilt
        # the right ones) come first; "you copied another answer" only if nothing else fits.
        found: list[_Finding] = []
        answers = {self._node[m]: v for m, v in values.items()}
        truth = dict(enumerate(ch.grads))  # what every answer would be without a slip

        def add(predicted: Mapping[int, float], priority: int, e: int, code: str, text: str) -> None:
            """Keep the slip if it gives g for t (and g is wrong), with how many answers it gives."""
            if _close(g, predicted[t], tol) and not _close(predicted[t], key, tol):
                # the wrong answers it explains, less the right ones it would have made wrong
                explained = contradicted = 0
                for m, v in answers.items():
                    if not _close(v, truth[m], tol):
                        explained += _close(v, predicted[m], tol)
                    else:
                        contradicted += not _close(predicted[m], truth[m], tol)
                support = explained - contradicted
                found.append((-support, priority, position.get(e, len(steps)), code, text, e))

        for e in steps:
            for priority, code, local, text in self._slips(e):
                add(ch.run(ch.root, 1.0, {e: local}), priority, e, code, text)
        # one path of a node that feeds several: ∂L/∂p is a sum, and a path was left out
        chosen = set(steps)
        for p in sorted({ch.edges[e].parent for e in steps}):
            into = [e for e in ch.into[p] if e in chosen]
            for keep in into if len(into) > 1 else ():
                change = {e: 0.0 for e in into if e != keep}
                add(ch.run(ch.root, 1.0, change), 0, keep, "one_path", self._one_path(p, keep, into))
        for slip in self._built.slips:  # the chapter's pitfalls that no single step explains
            if label in slip.predicted:
                cite = ch.index[slip.cite.get(label, label)]
                e = next((e for e in steps if ch.edges[e].parent == cite), steps[0])
                predicted = {**truth, **{ch.index[lb]: v for lb, v in slip.predicted.items()}}
                add(predicted, 0, e, slip.code, f"{slip.text}: see {self._formula(e)}")
        for m in self.unknowns:
            if m != n:
                add(
                    {**truth, t: self._key[m]},
                    3,
                    -1,
                    "other",
                    f"you wrote the answer for {self._pretty[m]} here",
                )
        value = f"you gave the value of {label} itself (from the forward pass), not ∂L/∂{label}"
        add({**truth, t: ch.nodes[t].data}, 3, -1, "value", value)
        slips = [f for f in found if f[1] < 3] or found
        if slips:
            return self._explain(sorted(slips))
        known = [e for e in steps if ch.nodes[ch.edges[e].parent].label in self._built.known]
        first = next((e for e in steps if e not in known), steps[0])  # a step the learner had to do
        if anchor != ch.root:
            start = f"your ∂L/∂{ch.nodes[anchor].label} = {num(answered[anchor])} (right)"
        else:
            start = (
                "the given " + _and(sorted({"∂L/∂" + ch.nodes[ch.edges[e].parent].label for e in known}))
                if known
                else "∂L/∂L = 1"
            )
        paths = [e for e in ch.into[t] if e in chosen]
        also = (
            f" ∂L/∂{label} is the sum of {len(paths)} steps, one per node that {label} feeds."
            if len(paths) > 1
            else ""
        )
        return (
            f"Your number does not follow from {start} by the chain rule, and no classic slip explains it. "
            f"Check the steps from there down to {self._pretty[n]}, starting with "
            f"{self._formula(first)}.{also}",
            first + 1,
            "",
        )

    def _one_path(self, p: int, keep: int, into: list[int]) -> str:
        """The text of the slip "∂L/∂p took only one of its paths"."""
        ch = self._chain
        name = ch.nodes[p].label
        child = ch.nodes[ch.edges[keep].child].label
        others = ", ".join(
            f"the one through {ch.nodes[ch.edges[e].child].label} (step {e + 1})" for e in into if e != keep
        )
        text = (
            f"∂L/∂{name} took only the path through {child}, {self._formula(keep)}, and left out {others}: "
            f"{name} feeds {len(into)} nodes, so ∂L/∂{name} is the sum of {len(into)} steps"
        )
        if self._built.batch and name.startswith("b["):
            text += "; in a batch, the bias gradient sums δ over all M examples"
        elif self._built.batch and name.startswith("W["):
            text += "; in a batch, ∂L/∂W sums the outer products of all M examples"
        return text

    def _explain(self, found: list[_Finding]) -> tuple[str, int | None, str]:
        """The hint for the slips a number matches: the likeliest in full, up to two others after it."""
        groups: dict[tuple[str, int], list[_Finding]] = {}
        for f in found:  # the same slip at several steps, explaining as many answers: one group
            groups.setdefault((f[3], f[0]), []).append(f)
        ordered = sorted(groups.values(), key=lambda fs: fs[0][:3])  # by support, priority, then step
        text = "Your number would follow if " + self._clause(ordered[0]) + "."
        # other classic slips that explain as many of the answers
        others = [fs for fs in ordered[1:] if fs[0][1] <= 1 and fs[0][0] == ordered[0][0][0]][:2]
        if others:
            text += " It would also follow if " + "; or if ".join(self._clause(fs) for fs in others) + "."
        code, e = ordered[0][0][3], ordered[0][0][5]
        return text, (e + 1 if e >= 0 else None), code

    def _clause(self, fs: list[_Finding]) -> str:
        """One slip (possibly found at several steps) as a clause after "your number would follow if"."""
        code, text, e = fs[0][3], fs[0][4], fs[0][5]
        steps = [f[5] + 1 for f in fs]
        if code == "sign" and len(fs) > 1:
            return (
                f"a sign were flipped at any one of steps {_and(steps)} (its size is right, its sign is "
                f"not): start with {self._formula(e)}"
            )
        if e < 0 or code in ("one_path", "transposed"):  # the text names its steps itself
            return text
        again = f" (the same slip at step {_and(steps[1:])} gives it too)" if len(fs) > 1 else ""
        return f"at {self._formula(e)}, {text}{again}"


def _and(items: Sequence[object]) -> str:
    """1, 2 and 3 (or 1, 2, 3, 4, 5, … (9 in all) for a long list)."""
    words = [str(i) for i in items]
    if len(words) > 6:
        return ", ".join(words[:5]) + f", … ({len(words)} in all)"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _latex_text(s: str) -> str:
    """Text for LaTeX's \\text{}: the characters LaTeX treats specially escaped."""
    return re.sub(r"([#$%&_{}])", r"\\\1", s)


# ---------------------------------------------------------------------------------------------
# The kinds. Each generator draws small numbers with its own random.Random (integers only, so
# the same seed gives the same exercise on every machine), keeps drawing until the exercise is
# pleasant (forward values and answers small, each ReLU in the state it drew), and builds the
# graph. The key is then the engine's; ``reference`` is computed without the engine.
# ---------------------------------------------------------------------------------------------

_TRIES = 100_000
_NONZERO = (-3, -2, -1, 1, 2, 3)
_ERRORS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)  # ŷ − y: small, so the answers stay small
_HALVES = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
_HALF_STEPS = tuple(k / 2 for k in range(-4, 5))  # −2, −1.5, …, 2 (exact in binary)
_TENTHS = tuple(k for k in range(-9, 10) if k)  # δ's in tenths: −0.9 … 0.9
_INTEGERS = "Every answer is an integer (ReLU′(0) = 0, as in the chapter)."


def _state(rng: random.Random) -> str:
    """A ReLU unit's state for an exercise: mostly on, sometimes off, now and then exactly at 0."""
    r = rng.randrange(12)
    return "on" if r < 9 else "off" if r < 11 else "zero"


def _states(rng: random.Random, n: int) -> list[str]:
    """States for a layer of n ReLU units; a layer of several has at least one unit on."""
    while True:
        states = [_state(rng) for _ in range(n)]
        if n == 1 or "on" in states:
            return states


def _in_state(z: float, state: str) -> bool:
    """Whether the pre-activation z puts the unit in that state."""
    return z > 0 if state == "on" else z < 0 if state == "off" else z == 0


def _draw_in_state(rng: random.Random, state: str, top: int) -> int:
    """An integer pre-activation in [−top, top] that puts the unit in that state."""
    return rng.randint(1, top) if state == "on" else -rng.randint(1, top) if state == "off" else 0


def _leaf(x: float, label: str) -> Value:
    """A labelled input of the graph."""
    return Value(float(x), label)


def _named(v: Value, label: str) -> Value:
    """Label a node and return it."""
    v.label = label
    return v


def _square_loss(y_hat: Value, y: float) -> Value:
    """L = (ŷ − y)², with the chapter's names."""
    return _named(_named(y_hat - y, "ŷ−y") ** 2, "L")


def _small(root: Value, labels: Sequence[str], bound: float) -> bool:
    """Whether every asked gradient is at most ``bound`` in size (replayed, not touching .grad)."""
    chain = _Chain(root)
    return all(abs(chain.grads[chain.index[label]]) <= bound for label in labels)


def _two_layer_relu(rng: random.Random, level: int) -> _Built:
    """Example 1: x → z1 = w1·x + b1 → a1 = ReLU(z1) → ŷ = z2 = w2·a1 + b2, L = (ŷ − y)²; level 2 has
    two hidden units, level 3 two hidden layers."""
    widths = {1: (1, 1, 1), 2: (1, 2, 1), 3: (1, 1, 1, 1)}[level]
    depth = len(widths) - 1
    unknowns = {
        1: ["z2", "w2", "b2", "a1", "z1", "w1", "b1"],
        2: ["z2[0]", "W2[0,0]", "W2[0,1]", "b2[0]", "z1[0]", "z1[1]", "W1[0,0]", "W1[1,0]", "b1[0]", "b1[1]"],
        3: ["z3", "w3", "b3", "z2", "w2", "b2", "z1", "w1", "b1"],
    }[level]
    # each hidden unit's state is drawn first, and the numbers are drawn until they match it
    # (drawing the states with the numbers would favour units that are off: their answers are smaller)
    states = [_states(rng, widths[ell]) for ell in range(1, depth)]
    for _ in range(_TRIES):
        x = rng.choice(_NONZERO)
        Ws, bs, zs, a, ok = [], [], [], [x], True
        for ell in range(1, depth + 1):
            W = [[rng.choice(_NONZERO) for _ in range(widths[ell - 1])] for _ in range(widths[ell])]
            b = [rng.randint(-3, 3) for _ in range(widths[ell])]
            z = [sum(w * ai for w, ai in zip(row, a, strict=True)) + bi for row, bi in zip(W, b, strict=True)]
            if ell < depth:
                ok = ok and all(_in_state(zi, st) for zi, st in zip(z, states[ell - 1], strict=True))
                a = [max(zi, 0) for zi in z]
            Ws.append(W)
            bs.append(b)
            zs.append(z)
        y = zs[-1][0] - rng.choice(_ERRORS)
        if not ok or abs(y) > 10 or max(abs(v) for z in zs for v in z) > 20:
            continue
        root = _mlp(x, Ws, bs, y)
        if _small(root, unknowns, 150):
            break
    else:  # pragma: no cover (the draws above succeed within a few hundred tries)
        raise RuntimeError("no pleasant exercise found")
    given: dict[str, Any] = {"x": x}
    for ell, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        if widths[ell] == widths[ell - 1] == 1:
            given.update({f"w{ell}": W[0][0], f"b{ell}": b[0]})
        else:
            given.update({f"W{ell}": W, f"b{ell}": b})
    given["y"] = y
    network = {
        1: ["x → z1 = w1·x + b1 → a1 = ReLU(z1) → ŷ = z2 = w2·a1 + b2,   L = (ŷ − y)²"],
        2: [
            "x → z1 = W1·x + b1 (2 hidden units) → a1 = ReLU(z1) → ŷ = z2[0] = W2·a1 + b2,   L = (ŷ − y)²",
            "(W[i,j] is row i, column j; entries count from 0)",
        ],
        3: ["x → z1 = w1·x + b1 → a1 = ReLU(z1) → z2 = w2·a1 + b2 → a2 = ReLU(z2) → ŷ = z3 = w3·a2 + b3,"
            "   L = (ŷ − y)²"],
    }[level]  # fmt: skip
    latex = {
        1: [r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to \hat{y} = z_2 = w_2 a_1 + b_2,"
            r"\quad L = (\hat{y} - y)^2"],
        2: [r"x \to z^{(1)} = W^{(1)} x + b^{(1)}\ (2\text{ hidden units}) \to a^{(1)} ="
            r" \operatorname{ReLU}(z^{(1)}) \to \hat{y} = z^{(2)}_{0} = W^{(2)} a^{(1)} + b^{(2)},"
            r"\quad L = (\hat{y} - y)^2"],
        3: [r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w_2 a_1 + b_2 \to a_2 ="
            r" \operatorname{ReLU}(z_2) \to \hat{y} = z_3 = w_3 a_2 + b_3,\quad L = (\hat{y} - y)^2"],
    }[level]  # fmt: skip
    return _Built(
        "A network of ReLU units with a squared error, backprop by hand (like the chapter's Example 1)",
        network,
        latex,
        given,
        root,
        unknowns,
        _mlp_reference(x, Ws, bs, y, widths),
        _INTEGERS,
    )


def _layer_names(ell: int, n_out: int, n_in: int) -> tuple[Callable[..., str], bool]:
    """How layer ℓ's nodes are called: w1, b1, z1, a1 for a 1 × 1 layer, else W1[i,j], b1[i], z1[i], a1[i]."""
    scalar = n_out == n_in == 1

    def name(s: str, i: int, j: int | None = None) -> str:
        if scalar:
            return f"{s.lower()}{ell}"
        return f"{s}{ell}[{i},{j}]" if j is not None else f"{s}{ell}[{i}]"

    return name, scalar


def _mlp(x: float, Ws: list, bs: list, y: float) -> Value:
    """The graph of x → ReLU layers → a linear output, L = (ŷ − y)², labelled as the chapter writes it."""
    prev = [_leaf(x, "x")]
    for ell, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        name, _ = _layer_names(ell, len(W), len(W[0]))
        Wv = [[_leaf(w, name("W", i, j)) for j, w in enumerate(row)] for i, row in enumerate(W)]
        bv = [_leaf(bi, name("b", i)) for i, bi in enumerate(b)]
        z = [_named(F.affine(Wv[i], prev, bv[i]), name("z", i)) for i in range(len(W))]
        prev = [_named(zi.relu(), name("a", i)) for i, zi in enumerate(z)] if ell < len(Ws) else z
    return _square_loss(prev[0], y)


def _mlp_reference(x: float, Ws: list, bs: list, y: float, widths: Sequence[int]) -> dict[str, float]:
    """The MLP's gradients from matrix.py: output error, the δ recurrence, ∂L/∂W = δ aᵀ (M = 1)."""
    import numpy as np

    from autograd_tiny import matrix

    Wn = [np.array(W, dtype=float) for W in Ws]
    bn = [np.array(b, dtype=float).reshape(-1, 1) for b in bs]
    acts = ["relu"] * (len(Ws) - 1) + ["linear"]
    Zs, As = matrix.forward(Wn, bn, np.array([[float(x)]]), acts)
    delta = matrix.output_delta("mse", Zs[-1], As[-1], np.array([[float(y)]]), "linear")
    dWs, dbs = matrix.backward(Wn, Zs, As, delta, acts)
    ref: dict[str, float] = {}
    for ell in range(1, len(Ws) + 1):
        name, _ = _layer_names(ell, widths[ell], widths[ell - 1])
        dW, db = dWs[ell - 1], dbs[ell - 1]
        for i in range(widths[ell]):
            ref[name("z", i)] = ref[name("b", i)] = float(db[i, 0])  # one example: δ = ∂L/∂b
            for j in range(widths[ell - 1]):
                ref[name("W", i, j)] = float(dW[i, j])
        if ell < len(Ws):  # ∂L/∂a⁽ℓ⁾ = W⁽ℓ⁺¹⁾ᵀ δ⁽ℓ⁺¹⁾
            back = Wn[ell].T @ dbs[ell]
            for i in range(widths[ell]):
                ref[name("a", i)] = float(back[i, 0])
    return ref


def _bce(z: Value, y: int) -> Value:
    """ŷ = σ(z) and L = −[y ln ŷ + (1 − y) ln(1 − ŷ)], the term with weight 0 left out."""
    y_hat = _named(z.sigmoid(), "ŷ")
    if y == 1:
        return _named(-_named(y_hat.log(), "ln ŷ"), "L")
    return _named(-_named(_named(1 - y_hat, "1−ŷ").log(), "ln(1−ŷ)"), "L")


def _sigmoid_bce(rng: random.Random, level: int) -> _Built:
    """Example 2: z = w·x + b, ŷ = σ(z), binary cross-entropy; level 2 has two inputs, level 3 a ReLU
    unit first (Practice Problem 1's network)."""
    state = _state(rng)  # level 3's ReLU unit (drawn first: see _two_layer_relu)
    for _ in range(_TRIES):
        y = rng.randrange(2)
        if level < 3:
            xs = [rng.choice(_NONZERO) for _ in range(level)]
            ws = [rng.choice(_HALVES) for _ in range(level)]
            b = rng.choice(_HALF_STEPS)
            z = sum(w * x for w, x in zip(ws, xs, strict=True)) + b
            if abs(z) <= 3:
                break
        else:
            x, w1, b1 = rng.choice(_NONZERO), rng.choice(_NONZERO), rng.randint(-3, 3)
            w2, b2 = rng.choice(_HALVES), rng.choice(_HALF_STEPS)
            z1 = w1 * x + b1
            a1 = max(z1, 0)
            z = w2 * a1 + b2
            if _in_state(z1, "off" if state == "zero" else state) and abs(z1) <= 9 and abs(z) <= 3:
                break
    loss = "L = −[y·ln ŷ + (1 − y)·ln(1 − ŷ)]"
    loss_latex = r"L = -\left[y \ln \hat{y} + (1 - y) \ln(1 - \hat{y})\right]"
    s = 1.0 / (1.0 + math.exp(-z))  # the closed form: ∂L/∂z = σ(z) − y
    d = s - y
    if level < 3:
        names = ["x"] if level == 1 else ["x1", "x2"]
        wnames = ["w"] if level == 1 else ["w1", "w2"]
        xv = [_leaf(x, n) for x, n in zip(xs, names, strict=True)]
        wv = [_leaf(w, n) for w, n in zip(ws, wnames, strict=True)]
        root = _bce(_named(F.affine(wv, xv, _leaf(b, "b")), "z"), y)
        given = {**dict(zip(names, xs, strict=True)), **dict(zip(wnames, ws, strict=True)), "b": b, "y": y}
        unknowns = ["z", *wnames, "b"]
        reference = {"z": d, "b": d, **{w: d * x for w, x in zip(wnames, xs, strict=True)}}
        if level == 1:
            network = [f"z = w·x + b,   ŷ = σ(z),   {loss}"]
            latex = [rf"z = w x + b,\quad \hat{{y}} = \sigma(z),\quad {loss_latex}"]
        else:
            network = [f"z = w1·x1 + w2·x2 + b,   ŷ = σ(z),   {loss}"]
            latex = [rf"z = w_1 x_1 + w_2 x_2 + b,\quad \hat{{y}} = \sigma(z),\quad {loss_latex}"]
    else:
        xv = _leaf(x, "x")
        z1v = _named(F.affine([_leaf(w1, "w1")], [xv], _leaf(b1, "b1")), "z1")
        a1v = _named(z1v.relu(), "a1")
        root = _bce(_named(F.affine([_leaf(w2, "w2")], [a1v], _leaf(b2, "b2")), "z2"), y)
        given = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "y": y}
        unknowns = ["z2", "w2", "b2", "z1", "w1", "b1"]
        d1 = d * w2 * (1.0 if z1 > 0 else 0.0)  # Practice Problem 1: (ŷ − y)·w2·ReLU′(z1)
        reference = {"z2": d, "w2": d * a1, "b2": d, "z1": d1, "w1": d1 * x, "b1": d1}
        network = [f"x → z1 = w1·x + b1 → a1 = ReLU(z1) → z2 = w2·a1 + b2 → ŷ = σ(z2),   {loss}"]
        latex = [
            r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w_2 a_1 + b_2 \to"
            rf" \hat{{y}} = \sigma(z_2),\quad {loss_latex}"
        ]
    return _Built(
        "A sigmoid neuron with binary cross-entropy, backprop by hand (like the chapter's Example 2)",
        network,
        latex,
        given,
        root,
        unknowns,
        reference,
        "Give each answer to 4 significant digits (answers within 0.1% count as right).",
        tolerance=1e-3,
        digits=4,
    )


def _delta_recurrence(rng: random.Random, level: int) -> _Built:
    """Practice Problem 4: given δ⁽³⁾ = ∂L/∂z⁽³⁾, W⁽³⁾ and z⁽²⁾ (ReLU), find
    δ⁽²⁾ = (W⁽³⁾ᵀ δ⁽³⁾) ⊙ ReLU′(z⁽²⁾); level 2 has a square W⁽³⁾, level 3 takes two steps."""
    if level < 3:
        return _delta_one_step(rng, 3, 2 if level == 1 else 3)  # W⁽³⁾ is 2 × 3, then 3 × 3
    return _delta_two_steps(rng)


def _mixed(states: Sequence[str]) -> bool:
    """Whether some units are on and some are not."""
    return "on" in states and any(s != "on" for s in states)


def _delta_one_step(rng: random.Random, n_lo: int, n_hi: int) -> _Built:
    """One step of the δ recurrence from layer 3 (n_hi units) to layer 2 (n_lo ReLU units)."""
    for _ in range(_TRIES):
        states = [_state(rng) for _ in range(n_lo)]
        if not _mixed(states):
            continue
        z = [_draw_in_state(rng, s, 3) for s in states]  # (drawn to match: no bias to undo here)
        W = [[rng.randint(-3, 3) for _ in range(n_lo)] for _ in range(n_hi)]
        d = [rng.choice(_TENTHS) for _ in range(n_hi)]  # δ⁽³⁾ in tenths
        back = [sum(W[j][i] * d[j] for j in range(n_hi)) for i in range(n_lo)]  # W⁽³⁾ᵀδ⁽³⁾, in tenths
        on = [s == "on" for s in states]
        # answers at most 5 in size; some on unit gets a gradient; forgetting ReLU′ would show
        if (
            max(abs(v) for v in back) <= 50
            and any(back[i] for i in range(n_lo) if on[i])
            and any(back[i] for i in range(n_lo) if not on[i])
        ):
            break
    z2 = [_leaf(zi, f"z2[{i}]") for i, zi in enumerate(z)]
    a2 = [_named(zi.relu(), f"a2[{i}]") for i, zi in enumerate(z2)]
    W3 = [[_leaf(w, f"W3[{j},{i}]") for i, w in enumerate(row)] for j, row in enumerate(W)]
    z3 = [_named(F.dot(W3[j], a2), f"z3[{j}]") for j in range(n_hi)]
    root = _named(F.dot(z3, [_leaf(dj / 10, f"δ3[{j}]") for j, dj in enumerate(d)]), "L")
    unknowns = [f"z2[{i}]" for i in range(n_lo)]
    deltas = _delta_reference([z], [W], d)
    reference = {f"z2[{i}]": deltas[0][i] for i in range(n_lo)}
    slips: tuple[_Slip, ...] = ()
    if n_lo == n_hi:  # a square W⁽³⁾: W⁽³⁾δ⁽³⁾ has the right shape too, and is the classic slip
        wrong = [sum(W[i][j] * d[j] for j in range(n_hi)) / 10 * on[i] for i in range(n_lo)]
        slips = (
            _Slip(
                "transposed",
                "you used W3·δ3 instead of W3ᵀ·δ3: the recurrence sends δ back through the transpose of W3",
                {f"z2[{i}]": wrong[i] for i in range(n_lo)},
                {f"z2[{i}]": f"a2[{i}]" for i in range(n_lo)},
            ),
        )
    return _Built(
        "One step of the δ recurrence (like the chapter's Practice Problem 4)",
        [
            f"Backprop has reached layer 3: δ3 = ∂L/∂z3 (given below, {n_hi} entries).",
            f"Layer 2 is a ReLU layer: a2 = ReLU(z2) with {n_lo} units, and z3 = W3·a2.",
            "(W3[j,i] is row j, column i; entries count from 0; δ2[i] is ∂L/∂z2[i])",
        ],
        [
            r"\text{Backprop has reached layer 3: } \delta^{(3)} = \partial L / \partial z^{(3)}",
            r"\text{Layer 2 is a ReLU layer: } a^{(2)} = \operatorname{ReLU}(z^{(2)}),\quad"
            r" z^{(3)} = W^{(3)} a^{(2)}",
        ],
        {"δ3": [dj / 10 for dj in d], "z2": z, "W3": W},
        root,
        unknowns,
        reference,
        "Answers have at most one decimal (ReLU′(0) = 0, as in the chapter).",
        slips=slips,
        known=tuple(f"z3[{j}]" for j in range(n_hi)),
    )


def _delta_two_steps(rng: random.Random) -> _Built:
    """Two steps of the δ recurrence: layer 4 (2 units) → layer 3 (3 ReLU) → layer 2 (2 ReLU)."""
    for _ in range(_TRIES):
        s2 = [_state(rng) for _ in range(2)]
        if "on" not in s2:
            continue
        z2 = [_draw_in_state(rng, s, 3) for s in s2]
        a2 = [max(v, 0) for v in z2]
        W3 = [[rng.randint(-2, 2) for _ in range(2)] for _ in range(3)]
        b3 = [rng.randint(-2, 2) for _ in range(3)]
        z3 = [sum(w * a for w, a in zip(row, a2, strict=True)) + b for row, b in zip(W3, b3, strict=True)]
        if not _mixed(["on" if v > 0 else "off" for v in z3]) or max(map(abs, z3)) > 9:
            continue
        W4 = [[rng.randint(-2, 2) for _ in range(3)] for _ in range(2)]
        d4 = [rng.choice(_TENTHS) for _ in range(2)]
        d3 = [sum(W4[k][j] * d4[k] for k in range(2)) * (z3[j] > 0) for j in range(3)]  # tenths
        d2 = [sum(W3[j][i] * d3[j] for j in range(3)) * (z2[i] > 0) for i in range(2)]
        if max(abs(v) for v in d3 + d2) <= 50 and any(d2) and any(d3):
            break
    z2v = [_leaf(v, f"z2[{i}]") for i, v in enumerate(z2)]
    a2v = [_named(v.relu(), f"a2[{i}]") for i, v in enumerate(z2v)]
    W3v = [[_leaf(w, f"W3[{j},{i}]") for i, w in enumerate(row)] for j, row in enumerate(W3)]
    z3v = [_named(F.affine(W3v[j], a2v, _leaf(b3[j], f"b3[{j}]")), f"z3[{j}]") for j in range(3)]
    a3v = [_named(v.relu(), f"a3[{j}]") for j, v in enumerate(z3v)]
    W4v = [[_leaf(w, f"W4[{k},{j}]") for j, w in enumerate(row)] for k, row in enumerate(W4)]
    z4v = [_named(F.dot(W4v[k], a3v), f"z4[{k}]") for k in range(2)]
    root = _named(F.dot(z4v, [_leaf(dk / 10, f"δ4[{k}]") for k, dk in enumerate(d4)]), "L")
    deltas = _delta_reference([z2, z3], [W3, W4], d4, b3)
    reference = {f"z2[{i}]": deltas[0][i] for i in range(2)} | {f"z3[{j}]": deltas[1][j] for j in range(3)}
    return _Built(
        "Two steps of the δ recurrence (Practice Problem 4, one layer deeper)",
        [
            "Backprop has reached layer 4: δ4 = ∂L/∂z4 (given below, 2 entries); z4 = W4·a3.",
            "Layers 3 and 2 are ReLU layers: a3 = ReLU(z3), z3 = W3·a2 + b3 (values below), a2 = ReLU(z2).",
            "(W[j,i] is row j, column i; entries count from 0; δℓ[i] is ∂L/∂zℓ[i])",
        ],
        [
            r"\text{Backprop has reached layer 4: } \delta^{(4)} = \partial L / \partial z^{(4)},\quad"
            r" z^{(4)} = W^{(4)} a^{(3)}",
            r"a^{(3)} = \operatorname{ReLU}(z^{(3)}),\quad z^{(3)} = W^{(3)} a^{(2)} + b^{(3)},\quad"
            r" a^{(2)} = \operatorname{ReLU}(z^{(2)})",
        ],
        {"δ4": [dk / 10 for dk in d4], "W4": W4, "z3": z3, "W3": W3, "z2": z2},
        root,
        [f"z3[{j}]" for j in range(3)] + [f"z2[{i}]" for i in range(2)],
        reference,
        "Answers have at most one decimal (ReLU′(0) = 0, as in the chapter).",
        known=("z4[0]", "z4[1]"),
    )


def _delta_reference(zs: list, Ws: list, d_top: list, b_mid: list | None = None) -> list[list[float]]:
    """δ of each ReLU layer from matrix.py's recurrence, for one example (M = 1, so ∂L/∂b = δ).

    zs are the ReLU layers' pre-activations from the bottom; the bottom one is made the output of
    a dummy first layer (weights 0, bias z), so matrix.forward reproduces every z.
    """
    import numpy as np

    from autograd_tiny import matrix

    Wn = [np.zeros((len(zs[0]), 1))] + [np.array(W, dtype=float) for W in Ws]
    biases = [np.array(zs[0], dtype=float)] + ([np.array(b_mid, dtype=float)] if b_mid else [])
    biases.append(np.zeros(len(Ws[-1])))
    acts = ["relu"] * len(zs) + ["linear"]
    Zs, As = matrix.forward(Wn, [b.reshape(-1, 1) for b in biases], np.zeros((1, 1)), acts)
    _, dbs = matrix.backward(Wn, Zs, As, np.array(d_top, dtype=float).reshape(-1, 1) / 10, acts)
    return [[float(v) for v in dbs[ell][:, 0]] for ell in range(len(zs))]


def _batch_bias(rng: random.Random, level: int) -> _Built:
    """Section 8: one layer Z = W·A + b on a batch of M columns with given errors Δ, the batch-averaged
    loss: ∂L/∂W = (1/M) Δ Aᵀ and ∂L/∂b = (1/M) Σm δm."""
    n_in, n_out, M = {1: (2, 2, 2), 2: (3, 2, 3), 3: (3, 3, 3)}[level]
    for _ in range(_TRIES):
        A = [[rng.randint(-3, 3) for _ in range(M)] for _ in range(n_in)]
        columns = list(zip(*A, strict=True))
        if (
            not all(any(row) for row in A)
            or not all(any(c) for c in columns)
            or len(set(map(tuple, A))) < n_in
        ):
            continue  # every input and every example matters, and no two inputs are the same
        # each row of Δ is drawn until its sums divide by M, so every answer is an integer
        D = []
        for _ in range(n_out):
            for _ in range(2000):
                row = [rng.randint(-3, 3) for _ in range(M)]
                sums = [sum(row), *(sum(r * a for r, a in zip(row, A[j], strict=True)) for j in range(n_in))]
                # no entry equal to the row's mean, or "one example's δ" and "divided by M twice" coincide
                if (
                    all(s % M == 0 for s in sums)
                    and sum(s == 0 for s in sums) <= 1
                    and sums[0] // M not in row
                ):
                    D.append(row)
                    break
        # every example has an error somewhere, and no two outputs' errors are the same
        if len(D) == n_out and all(any(c) for c in zip(*D, strict=True)) and len(set(map(tuple, D))) == n_out:
            break
    W = [[rng.choice(_NONZERO) for _ in range(n_in)] for _ in range(n_out)]
    b = [rng.randint(-3, 3) for _ in range(n_out)]
    Av = [[_leaf(A[j][m], f"A[{j},{m}]") for m in range(M)] for j in range(n_in)]
    Wv = [[_leaf(W[i][j], f"W[{i},{j}]") for j in range(n_in)] for i in range(n_out)]
    bv = [_leaf(b[i], f"b[{i}]") for i in range(n_out)]
    Z = [[_named(F.affine(Wv[i], [Av[j][m] for j in range(n_in)], bv[i]), f"z[{i},{m}]") for m in range(M)]
         for i in range(n_out)]  # fmt: skip
    Dv = [[_leaf(D[i][m], f"Δ[{i},{m}]") for m in range(M)] for i in range(n_out)]
    # Lm stands for example m's loss: all that backprop needs of it is ∂Lm/∂zm = δm, which this has
    Ls = [
        _named(F.dot([Z[i][m] for i in range(n_out)], [Dv[i][m] for i in range(n_out)]), f"L{m}")
        for m in range(M)
    ]
    root = _named(_named(F.sum(Ls), "ΣLm") * (1.0 / M), "L")
    unknowns = [f"W[{i},{j}]" for i in range(n_out) for j in range(n_in)] + [f"b[{i}]" for i in range(n_out)]

    import numpy as np

    from autograd_tiny import matrix

    Wn, An, Dn = np.array(W, dtype=float), np.array(A, dtype=float), np.array(D, dtype=float)
    Zs, As = matrix.forward([Wn], [np.array(b, dtype=float).reshape(-1, 1)], An, ["linear"])
    dWs, dbs = matrix.backward([Wn], Zs, As, Dn, ["linear"])
    reference = {f"W[{i},{j}]": float(dWs[0][i, j]) for i in range(n_out) for j in range(n_in)}
    reference |= {f"b[{i}]": float(dbs[0][i, 0]) for i in range(n_out)}
    Tn = matrix.backward([Wn], Zs, As, Dn, ["linear"], mistake="transposed_outer")[0][0]  # (1/M) A Δᵀ
    slip = _Slip(
        "transposed",
        "you computed (1/M)·A·Δᵀ, the outer product transposed: ∂L/∂W = (1/M)·Δ·Aᵀ has the shape of W "
        "(outputs × inputs), its entry [i,j] pairs output i's δ with input j",
        {
            f"W[{i},{j}]": float(Tn[i, j])
            for i in range(min(n_in, n_out))
            for j in range(n_out)
            if i < Tn.shape[0]
        },
        {},
    )
    return _Built(
        "A batch through one layer (the chapter's section 8)",
        [
            f"Z = W·A + b, with the M = {M} examples as the columns of A (b is added to every column);",
            "the loss is the batch average L = (1/M)·Σm Lm. Backprop has already found each example's error",
            f"δm = ∂Lm/∂zm (not divided by M): the columns of Δ. A is {n_in} inputs × {M} examples, Δ is "
            f"{n_out} outputs × {M} examples.",
            "(W[i,j] is row i (an output), column j (an input); entries count from 0)",
        ],
        [
            rf"Z = W A + b,\quad M = {M}\text{{ examples as the columns of }} A,\quad"
            r" L = \frac{1}{M} \sum_m L_m",
            r"\text{each example's error } \delta_m = \partial L_m / \partial z_m"
            r" \text{ is column } m \text{ of } \Delta",
        ],
        {"A": A, "Δ": D},
        root,
        unknowns,
        reference,
        "Every answer is an integer.",
        batch=M,
        slips=(slip,),
    )


def _reused_node(rng: random.Random, level: int) -> _Built:
    """A node that feeds two paths, so its gradient is a sum: a skip connection (level 1), one weight
    used in both layers (level 2), or both (level 3)."""
    state = "on" if rng.randrange(5) else rng.choice(("off", "zero"))  # drawn first: see _two_layer_relu
    for _ in range(_TRIES):
        x, b1, b2 = rng.choice(_NONZERO), rng.randint(-3, 3), rng.randint(-3, 3)
        w1, w2 = rng.choice(_NONZERO), rng.choice(_NONZERO)  # level 1: two weights; else w = w1
        if (level == 1 and abs(w2) == 1) or (level == 3 and abs(w1) == 1):
            continue  # the paths into a1 (w and 1) would cancel, or be impossible to tell apart
        z1 = w1 * x + b1
        if not _in_state(z1, state):
            continue
        a1 = max(z1, 0)
        y_hat = (w2 * a1 + b2 + a1) if level == 1 else (w1 * a1 + b2 + (a1 if level == 3 else 0))
        y = y_hat - rng.choice(_ERRORS)
        if abs(y) > 10 or abs(y_hat) > 20:
            continue
        xv, b1v, b2v = _leaf(x, "x"), _leaf(b1, "b1"), _leaf(b2, "b2")
        w1v = _leaf(w1, "w1" if level == 1 else "w")
        a1v = _named(_named(F.affine([w1v], [xv], b1v), "z1").relu(), "a1")
        if level == 1:
            z2 = _named(F.affine([_leaf(w2, "w2")], [a1v], b2v), "z2")
            y_hat_v = _named(z2 + a1v, "ŷ")
        elif level == 2:
            y_hat_v = _named(F.affine([w1v], [a1v], b2v), "ŷ")
        else:
            y_hat_v = _named(_named(F.affine([w1v], [a1v], b2v), "z2") + a1v, "ŷ")
        root = _square_loss(y_hat_v, y)
        unknowns = {1: ["ŷ", "w2", "a1", "z1", "w1"], 2: ["ŷ", "b2", "a1", "z1", "b1", "w"],
                    3: ["ŷ", "a1", "z1", "b1", "w"]}[level]  # fmt: skip
        if _small(root, unknowns, 150):
            break
    g = 2.0 * (y_hat - y)  # the closed form, by hand: ∂L/∂ŷ = 2(ŷ − y), then the chain rule
    on = 1.0 if z1 > 0 else 0.0
    if level == 1:
        da1 = g * (w2 + 1)  # two paths: through z2 (w2) and straight into ŷ (1)
        reference = {"ŷ": g, "w2": g * a1, "a1": da1, "z1": da1 * on, "w1": da1 * on * x}
        given = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "y": y}
        network = ["x → z1 = w1·x + b1 → a1 = ReLU(z1) → z2 = w2·a1 + b2 → ŷ = z2 + a1,   L = (ŷ − y)²",
                   "(a skip connection: a1 feeds both z2 and ŷ)"]  # fmt: skip
        latex = [r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w_2 a_1 + b_2 \to"
                 r" \hat{y} = z_2 + a_1,\quad L = (\hat{y} - y)^2"]  # fmt: skip
        title = "A skip connection: one node feeds two paths"
    else:
        da1 = g * (w1 + (1 if level == 3 else 0))
        dz1 = da1 * on
        reference = {"ŷ": g, "b2": g, "a1": da1, "z1": dz1, "b1": dz1, "w": g * a1 + dz1 * x}  # w: both uses
        given = {"x": x, "w": w1, "b1": b1, "b2": b2, "y": y}
        if level == 2:
            network = ["x → z1 = w·x + b1 → a1 = ReLU(z1) → ŷ = w·a1 + b2,   L = (ŷ − y)²",
                       "(the same weight w in both layers)"]  # fmt: skip
            latex = [r"x \to z_1 = w x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to \hat{y} = w a_1 + b_2,"
                     r"\quad L = (\hat{y} - y)^2"]  # fmt: skip
            title = "One weight used twice: its gradient sums both uses"
        else:
            network = ["x → z1 = w·x + b1 → a1 = ReLU(z1) → z2 = w·a1 + b2 → ŷ = z2 + a1,   L = (ŷ − y)²",
                       "(the same weight w in both layers, and a1 also feeds ŷ directly)"]  # fmt: skip
            latex = [r"x \to z_1 = w x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w a_1 + b_2 \to"
                     r" \hat{y} = z_2 + a_1,\quad L = (\hat{y} - y)^2"]  # fmt: skip
            title = "A weight used twice and a skip connection: two sums"
    return _Built(title, network, latex, given, root, unknowns, reference, _INTEGERS)


_MAKERS: dict[str, Callable[[random.Random, int], _Built]] = {
    "two_layer_relu": _two_layer_relu,
    "sigmoid_bce": _sigmoid_bce,
    "delta_recurrence": _delta_recurrence,
    "batch_bias": _batch_bias,
    "reused_node": _reused_node,
}


def _check_choice(kind: object, seed: object, level: object) -> None:
    """A TypeError or ValueError naming the argument, unless kind, seed and level are usable."""
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, one of {', '.join(KINDS)}; got {type(kind).__name__}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {brief(kind)}: choose one of {', '.join(KINDS)}")
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")
    if isinstance(level, bool) or not isinstance(level, Integral):
        raise TypeError(f"level must be an int (1, 2 or 3), got {type(level).__name__}")
    if level not in LEVELS:
        raise ValueError(f"level must be 1, 2 or 3, got {level}")


def exercise(kind: str, seed: int = 0, level: int = 1) -> Exercise:
    """An exercise of ``kind`` (one of ``KINDS``); the same seed and level give the same one everywhere."""
    _check_choice(kind, seed, level)
    seed, level = int(seed), int(level)  # a numpy integer too
    return Exercise(kind, seed, level, _MAKERS[kind](random.Random(seed), level))


# ---------------------------------------------------------------------------------------------
# Checking an operation a learner wrote: its derivatives against central differences, and its
# backward function on small graphs where an input is used twice.
# ---------------------------------------------------------------------------------------------

# default points: no integers and no 0, so away from the kinks of ReLU, |u| and the like
_SPREAD = (-1.7, -0.6, 0.35, 0.9, 1.45, 2.3)


def _at(p: Sequence[float]) -> str:
    """A point as "(0.35, −1.7)"."""
    return "(" + ", ".join(_short(x) for x in p) + ")"


def _short(x: float) -> str:
    """A number in a report: 4 significant digits (enough to see a mismatch, no rounding noise)."""
    return num(float(f"{x:.4g}"))


def _factor(c: float) -> str:
    """A constant factor as a person says it: −1, 2, 0.5."""
    return num(round(c)) if abs(c - round(c)) < 1e-6 else _short(c)


def _inputs_of(forward: Callable[..., Any], points: Sequence[Any] | None, what: str) -> tuple[str, ...]:
    """The names of forward's inputs (u, v, …), from its signature or, failing that, the points."""
    if not callable(forward):
        raise TypeError(f"{what}: forward must be a function of floats, got {type(forward).__name__}")
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        params = None
    if params is not None and not any(p.kind is p.VAR_POSITIONAL for p in params):
        names = tuple(
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        )
        if names:
            return names
    if points:
        first = points[0]
        n = len(first) if isinstance(first, (tuple, list)) else 1
        return tuple(f"x{i}" for i in range(n))
    for n in (1, 2, 3):  # a built-in such as math.log has no signature: try it with 1, 2, 3 numbers
        try:
            forward(*_SPREAD[3 : 3 + n])
        except TypeError:
            continue
        except Exception:
            pass
        return tuple(f"x{i}" for i in range(n)) if n > 1 else ("u",)
    raise TypeError(f"{what}: cannot tell how many inputs forward takes; pass points=[(u, v), ...]")


def _points_for(points: Sequence[Any] | None, n: int, what: str) -> list[tuple[float, ...]]:
    """The points to check at: the given ones (numbers or n-tuples), or a spread avoiding kinks."""
    if points is None:
        return [tuple(_SPREAD[(k + 2 * i) % len(_SPREAD)] for i in range(n)) for k in range(len(_SPREAD))]
    if isinstance(points, (str, bytes)) or not isinstance(points, Sequence) or not points:
        raise TypeError(f"{what}: points must be a non-empty list of numbers or of {n}-tuples")
    out = []
    for p in points:
        p = (p,) if n == 1 and isinstance(p, Real) else p
        if not isinstance(p, (tuple, list)) or len(p) != n:
            raise ValueError(f"{what}: each point must have {n} number(s), one per input, got {brief(p)}")
        values = []
        for v in p:
            x, why = _read(v) if not isinstance(v, str) else (None, "a str is not a number")
            if x is None:
                raise (ValueError if isinstance(v, Real) else TypeError)(f"{what}: in points, {why}")
            values.append(x)
        out.append(tuple(values))
    return out


def _call(f: Callable[..., Any], args: Sequence[float]) -> tuple[float | None, str]:
    """f(*args) as a float, or None and why not ("" when f is undefined there: a domain error)."""
    try:
        y = f(*args)
    except (ArithmeticError, ValueError):
        return None, ""
    except Exception as e:  # the learner's code: report it, never crash
        return None, f"raised {type(e).__name__}: {e}"
    value, why = _read(y)
    if value is None:
        return None, f"returned {why}" if isinstance(y, Real) else f"returned {brief(y)}, not a number"
    return value, ""


def _central(forward: Callable[..., Any], p: tuple[float, ...], i: int, eps: float) -> float | None:
    """∂forward/∂(input i) at p by central differences, or None where forward is undefined or has a kink."""
    h = eps * max(1.0, abs(p[i]))
    at = [list(p), list(p), list(p)]
    at[0][i] -= h
    at[2][i] += h
    lo, mid, hi = (_call(forward, q)[0] for q in at)
    if lo is None or mid is None or hi is None:
        return None
    left, right = (mid - lo) / h, (hi - mid) / h
    if abs(left - right) > 1e-3 * max(1.0, abs(left), abs(right)):  # a kink between the samples
        return None
    return (hi - lo) / (2 * h)


@dataclass(frozen=True)
class OpRow:
    """One comparison of a learner's derivative with the engine's reference at one point."""

    case: str  # what was checked: "∂y/∂u", or a graph of check_backward
    point: tuple[float, ...]
    input: str
    yours: float | None
    expected: float
    ok: bool


class OpCheck:
    """What check_op or check_backward found: truthy only if everything checked agrees."""

    def __init__(self, title: str, rows: Sequence[OpRow], messages: Sequence[str], skipped: int = 0) -> None:
        """A report: its rows, its findings (one sentence each) and how many points were skipped."""
        self.title, self.rows, self.messages, self.skipped = title, tuple(rows), tuple(messages), skipped

    def __bool__(self) -> bool:
        """True only if there are rows, all agree, and there is nothing to report."""
        return bool(self.rows) and all(r.ok for r in self.rows) and not self.messages

    def __str__(self) -> str:
        """A table of the comparisons (4 significant digits), then the findings."""
        head = ("checked", "at", "yours", "expected", "")
        body = [
            (r.case, _at(r.point),
             "—" if r.yours is None else _short(r.yours), _short(r.expected), "ok" if r.ok else "✗")
            for r in self.rows
        ]  # fmt: skip
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        lines = [self.title]
        lines += [
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in [head, *body]
        ]
        if self.skipped:
            lines.append(f"  ({self.skipped} point(s) skipped: forward is undefined or not smooth there)")
        lines += self.messages
        lines.append("all agree" if self else "not right yet")
        return "\n".join(lines)

    def __repr__(self) -> str:
        """<OpCheck: 12 comparisons, all agree>."""
        return f"<OpCheck: {len(self.rows)} comparisons, {'all agree' if self else 'not right yet'}>"


def _diagnose_values(
    pairs: list[tuple[tuple[float, ...], float, float]], what: str, rtol: float, atol: float
) -> str:
    """One sentence on how a learner's numbers relate to the right ones (pairs: point, yours, right)."""

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= atol + rtol * abs(b)

    bad = [(p, a, b) for p, a, b in pairs if not near(a, b)]
    if not bad:
        return ""
    big = [(a, b) for _, a, b in pairs if abs(b) > 1e-6]
    if big and all(abs(a) <= 1e-9 for _, a, b in pairs if abs(b) <= 1e-6):
        c = big[0][0] / big[0][1]
        if all(abs(a / b - c) <= 1e-4 * max(1.0, abs(c)) for a, b in big):
            if abs(c) < 1e-9:
                return f"{what} is 0 at every point checked"
            named = {-1: " (a sign error)", 2: " (a factor 2 too many)", 0.5: " (a factor 2 missing)"}
            nice = next((v for k, v in named.items() if abs(c - k) < 1e-4), "")
            return f"{what} is {_factor(c)} × the true one at every point checked{nice}"
    where = ", ".join(_at(p) for p, _, _ in bad[:3])
    if len(bad) < len(pairs):
        return f"{what} is right at {len(pairs) - len(bad)} of {len(pairs)} points, wrong at {where}"
    p, a, b = bad[0]
    return f"{what} is wrong at every point checked: at {_at(p)} it is {_short(a)}, not {_short(b)}"


def check_op(
    forward: Callable[..., float],
    derivatives: Callable[..., Any] | Sequence[Callable[..., float]],
    points: Sequence[Any] | None = None,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> OpCheck:
    """Check a learner's local derivatives of ``forward`` by central differences at several points.

    ``derivatives`` is a function of the same inputs returning ∂y/∂(each input) (a number for one
    input, a tuple for several), or a list of such functions, one per input. ``points`` default to a
    spread that avoids 0 and the integers (the kinks of ReLU and |u|); where forward is undefined or
    not smooth, a point is skipped. The report says when a derivative is a constant times the true
    one ("−1 × the true one at every point": a sign error) or right only at some points.
    """
    names = _inputs_of(forward, points, "check_op")
    eps, rtol, atol = (
        _tolerance(v, k, "check_op") for v, k in ((eps, "eps"), (rtol, "rtol"), (atol, "atol"))
    )
    n = len(names)
    if callable(derivatives):
        many = False
    elif (
        isinstance(derivatives, Sequence) and len(derivatives) == n and all(callable(d) for d in derivatives)
    ):
        many = True
    else:
        raise TypeError(
            f"check_op: derivatives must be a function returning {n} number(s) or a list of {n} functions"
        )
    rows, messages, skipped = [], [], 0
    pairs: dict[int, list[tuple[tuple[float, ...], float, float]]] = {i: [] for i in range(n)}
    for p in _points_for(points, n, "check_op"):
        true = [_central(forward, p, i, eps) for i in range(n)]
        if any(t is None for t in true):
            _, why = _call(forward, p)
            if why:
                messages.append(f"your forward {why} at {_at(p)}")
                break
            skipped += 1
            continue
        yours: list[float | None]
        if many:
            got = [_call(d, p) for d in derivatives]  # type: ignore[union-attr]
            problems = [why for _, why in got if why]
            yours = [v for v, _ in got]
        else:
            try:
                raw = derivatives(*p)  # type: ignore[operator]
                problems = []
            except Exception as e:  # the learner's code: report it
                raw, problems = None, [f"raised {type(e).__name__}: {e}"]
            if raw is not None and n == 1 and isinstance(raw, Real):
                raw = (raw,)
            if not problems and (not isinstance(raw, (tuple, list)) or len(raw) != n):
                problems = [f"returned {brief(raw)}, not {n} number(s) (one per input)"]
            yours = [_read(v)[0] for v in raw] if not problems else [None] * n  # type: ignore[union-attr]
            if not problems and any(v is None for v in yours):
                problems = [f"returned {brief(raw, 60)}, which is not all numbers"]
        if problems:
            messages.append(f"your derivative {problems[0]} at {_at(p)}")
            break
        for i in range(n):
            a, b = yours[i], true[i]
            ok = a is not None and abs(a - b) <= atol + rtol * abs(b)  # type: ignore[operator]
            rows.append(OpRow(f"∂y/∂{names[i]}", p, names[i], a, b, ok))  # type: ignore[arg-type]
            pairs[i].append((p, a, b))  # type: ignore[arg-type]
    if not rows and not messages:
        messages.append("no point where forward is defined and smooth: pass points=[...]")
    for i in range(n):
        msg = _diagnose_values(pairs[i], f"your ∂y/∂{names[i]}", rtol, atol)
        if msg and n > 1:  # two derivatives swapped?
            for j in range(n):
                if (
                    j != i
                    and pairs[j]
                    and all(
                        abs(a - bj) <= atol + rtol * abs(bj)
                        for (_, a, _), (_, _, bj) in zip(pairs[i], pairs[j], strict=True)
                    )
                ):
                    msg = f"your ∂y/∂{names[i]} is the true ∂y/∂{names[j]}: the two are swapped"
        messages += [msg] if msg else []
    return OpCheck(f"check_op: {n} derivative(s) against central differences", rows, messages, skipped)


class Node:
    """A node of the small graphs check_backward runs a learner's backward function on.

    ``data`` is its value; ``inputs`` are the nodes it was computed from (none for a leaf). A node
    is a dictionary key by identity: in ``backward(grads, node)``, ``grads[node]`` is ∂L/∂node.
    """

    __slots__ = ("data", "inputs", "label")

    def __init__(self, data: float, inputs: tuple[Node, ...] = (), label: str = "") -> None:
        """A node holding ``data``, computed from ``inputs``."""
        self.data, self.inputs, self.label = data, inputs, label

    def __repr__(self) -> str:
        """Node(x = 0.35)."""
        return f"Node({self.label or 'y'} = {num(self.data)})"


def _learner_pass(
    forward: Callable[..., Any], backward: Callable[..., Any], uses: list[tuple[list[Node], float]]
) -> tuple[dict[Node, Any], str]:
    """Build y_k = op(inputs_k) for each use and L = Σ c_k·y_k; run the backward pass with the learner's
    backward for every op node (last made, first run). Returns grads, or a problem to report."""
    nodes = []
    for inputs, _ in uses:
        y, _ = _call(forward, [x.data for x in inputs])
        nodes.append(Node(y if y is not None else math.nan, tuple(inputs), "y"))
    root = Node(sum(c * y.data for y, (_, c) in zip(nodes, uses, strict=True)), tuple(nodes), "L")
    grads: dict[Node, Any] = {root: 1.0}
    for inputs, _ in uses:
        grads.update({x: 0.0 for x in inputs})
    for y, (_, c) in zip(nodes, uses, strict=True):
        grads[y] = c * grads[root]  # the sum node's own step: ∂L/∂y_k = c_k
    for y in reversed(nodes):
        try:
            backward(grads, y)
        except Exception as e:  # the learner's code: report it, never crash
            return grads, f"your backward raised {type(e).__name__}: {e}"
    return grads, ""


def check_backward(
    forward: Callable[..., float],
    backward: Callable[[dict, Node], None],
    points: Sequence[Any] | None = None,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> OpCheck:
    """Run a learner's ``backward(grads, node)`` for the op ``forward`` on small graphs and compare
    the gradients with the engine's.

    ``backward`` reads ``node.inputs`` (input nodes with ``.data``), ``node.data`` and ``grads[node]``
    (∂L/∂node) and adds each input's share into ``grads[input]``. It is run on three kinds of graph:
    the op used once (upstream gradient 3), one input feeding two op nodes (L = 2·y₁ − y₂), and, for
    two or more inputs, one node as two inputs of the same op (y = op(x, x)). The engine's answer
    uses the op's local derivatives by central differences. A gradient assigned (=) instead of
    accumulated (+=) shows up as a reused input that got only one path's gradient.
    """
    names = _inputs_of(forward, points, "check_backward")
    eps, rtol, atol = (
        _tolerance(v, k, "check_backward") for v, k in ((eps, "eps"), (rtol, "rtol"), (atol, "atol"))
    )
    if not callable(backward):
        raise TypeError(
            f"check_backward: backward must be a function (grads, node), got {type(backward).__name__}"
        )
    n = len(names)
    rows: list[OpRow] = []
    messages: list[str] = []
    skipped = 0
    once: dict[int, list[tuple[tuple[float, ...], float, float]]] = {i: [] for i in range(n)}
    shares: list[tuple[str, float, list[float]]] = []  # (input, yours, one path's share each) where wrong
    for p in _points_for(points, n, "check_backward")[: None if points else 3]:
        pp = p[:1] * 2 + p[2:] if n > 1 else p  # the point for op(x, x, …)
        local = [_central(forward, p, i, eps) for i in range(n)]
        local_xx = [_central(forward, pp, i, eps) for i in range(n)] if n > 1 else []
        if any(d is None for d in local + local_xx):
            skipped += 1
            continue
        graphs = []
        leaves = [Node(v, label=names[i]) for i, v in enumerate(p)]
        graphs.append(("op used once", [(leaves, 3.0)], {i: (leaves[i], [3.0 * local[i]]) for i in range(n)}))
        for i in range(n):  # input i feeds two op nodes: L = 2·y1 − y2
            x = Node(p[i], label=names[i])
            first = [x if j == i else Node(p[j], label=names[j]) for j in range(n)]
            second = [x if j == i else Node(p[j], label=names[j]) for j in range(n)]
            graphs.append(
                (
                    f"{names[i]} used twice",
                    [(first, 2.0), (second, -1.0)],
                    {i: (x, [2.0 * local[i], -local[i]])},
                )
            )
        if n > 1:  # one node as inputs 0 and 1 of the same op: y = op(x, x, …)
            x = Node(p[0], label=names[0])
            ins = [x, x] + [Node(v, label=names[j + 2]) for j, v in enumerate(p[2:])]
            graphs.append(
                (
                    f"op({names[0]}, {names[0]})",
                    [(ins, 3.0)],
                    {0: (x, [3.0 * local_xx[0], 3.0 * local_xx[1]])},
                )
            )
        for case, uses, expect in graphs:
            grads, problem = _learner_pass(forward, backward, uses)
            if problem:
                messages.append(f"{problem} (on the graph '{case}' at {_at(p)})")
                break
            for i, (leaf, parts) in expect.items():
                right = math.fsum(parts)  # the engine adds every path's share: ∂L/∂x = Σ paths
                yours, _ = _read(grads.get(leaf))
                ok = yours is not None and abs(yours - right) <= atol + rtol * abs(right)
                rows.append(OpRow(f"∂L/∂{names[i]}, {case}", p, names[i], yours, right, ok))
                if case == "op used once" and yours is not None:
                    once[i].append((p, yours / 3.0, local[i]))
                elif not ok and yours is not None:
                    shares.append((names[i], yours, parts))
        if messages:
            break
    if not rows and not messages:
        messages.append("no point where forward is defined and smooth: pass points=[...]")
    if any(r.yours is None for r in rows):
        messages.append(
            "your backward left a gradient that is not a number: write grads[input] += local · grads[node]"
        )
    for i in range(n):
        msg = _diagnose_values(once[i], f"the gradient your backward gives {names[i]}", rtol, atol)
        if msg and once[i] and all(abs(a * 3.0 - b) <= atol + rtol * abs(b) for _, a, b in once[i]):
            msg = (f"your backward gives {names[i]} its local derivative without the upstream gradient: "
                   "multiply by grads[node]")  # fmt: skip
        messages += [msg] if msg else []
    once_right = all(r.ok for r in rows if r.case.endswith("op used once"))
    one_path = [
        name for name, yours, parts in shares
        if any(abs(yours - s) <= atol + rtol * abs(s) for s in parts)
    ]  # fmt: skip
    if once_right and one_path:
        messages.append(
            f"assigned instead of accumulated: the reused input ({', '.join(sorted(set(one_path)))}) got "
            "only one path's gradient. An input used twice must collect both: write grads[u] += …, "
            "not grads[u] = …"
        )
    elif once_right and shares:
        messages.append(
            "right when each input is used once, wrong when an input is used twice: add (+=) into grads"
        )
    return OpCheck(
        f"check_backward: your backward on {n}-input graphs, against the engine", rows, messages, skipped
    )


# ---------------------------------------------------------------------------------------------
# The terminal session of `autograd-tiny practice`: a question, one prompt per unknown, the
# feedback, a score. Whatever is typed (or not typed: Ctrl-D, Ctrl-C) it ends with a score.
# ---------------------------------------------------------------------------------------------

_QUIT = ("q", "quit", "exit")
_HINT = ("?", "h", "hint", "help")


class _Stop(Exception):
    """The learner asked to stop (q, or the end of the input)."""


class _Session:
    """One practice session on a pair of text streams."""

    def __init__(self, stdin: TextIO, stdout: TextIO, kind: str | None, seed: int, level: int) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.kind, self.seed, self.level = kind, seed, level
        self.right = self.total = self.done = 0

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, prompt: str) -> str:
        """One line typed by the learner, without its newline; _Stop at q or the end of the input."""
        self.stdout.write(prompt)
        self.stdout.flush()
        try:
            line = self.stdin.readline()
        except UnicodeDecodeError:
            self.say()
            return "\0"  # unreadable bytes: not a number, not a command
        if not line:  # end of input (Ctrl-D)
            self.say()
            raise _Stop
        line = line.rstrip("\r\n")
        if line.strip().casefold() in _QUIT:
            raise _Stop
        return line

    def collect(self, ex: Exercise, names: Sequence[str]) -> dict[str, float]:
        """Ask for each unknown in turn: a number, ? for a hint, Enter to skip."""
        answers: dict[str, float] = {}
        for name in names:
            while True:
                text = self.ask(f"  {ex._pretty[name]} = ")
                if not text.strip():
                    break  # skipped: reported as missing
                if text.strip().casefold() in _HINT:
                    self.say("    " + ex.hint(name))
                    continue
                try:
                    answers[name] = parse_number(text)
                    break
                except ValueError as e:
                    why = str(e) if text != "\0" else "that could not be read as text"
                    self.say(
                        f"    {why}: type a number such as −3, 0.5 or 1/2"
                        " (? for a hint, Enter to skip, q to stop)"
                    )
        return answers

    def run(self) -> None:
        self.say("autograd-tiny practice: backpropagation by hand, checked by the engine.")
        self.say("Type a number at each prompt (−3, 0.5 and 1/2 are fine), ? for a hint, Enter to skip,")
        self.say("q (or Ctrl-D) to stop.")
        i = 0
        while True:
            kind = self.kind or KINDS[i % len(KINDS)]
            ex = exercise(kind, seed=self.seed + i, level=self.level)
            self.say()
            self.say(f"── exercise {i + 1}: {kind}, level {self.level}, seed {self.seed + i} ──")
            self.say(ex.question)
            answers = self.collect(ex, ex.unknowns)
            feedback = ex.check(answers)
            self.right, self.total, self.done = (
                self.right + feedback.right,
                self.total + feedback.total,
                self.done + 1,
            )
            self.say(str(feedback))
            while True:
                choice = self.ask(
                    "[Enter] next exercise · [a] answer again the ones not right · [r] reveal · [q] stop: "
                )
                choice = choice.strip().casefold()
                if not choice:
                    break
                if choice == "a" and not feedback:
                    wrong = [v.name for v in feedback.verdicts if v.status != "right"]
                    answers.update(self.collect(ex, wrong))
                    feedback = ex.check(answers)
                    self.say(str(feedback))
                elif choice == "r":
                    self.say(str(feedback.reveal()))
                elif choice != "a":
                    self.say("    type Enter, a, r or q")
                else:
                    self.say("    every answer is right already")
            i += 1

    def score(self) -> str:
        if not self.done:
            return "No exercise was finished, so there is no score yet."
        return (
            f"Score: {self.right} of {self.total} answers right at the first try "
            f"({self.done} exercise{'s' if self.done > 1 else ''})."
        )


def session(
    kind: str | None = None,
    seed: int | None = None,
    level: int = 1,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """The interactive practice of ``autograd-tiny practice``; returns the exit status (130 after Ctrl-C).

    Exercises follow one another (all kinds in turn, or only ``kind``), seeds counting up from
    ``seed`` (a random one if None, printed so it can be repeated). Never a traceback: bad input
    gets a line saying what to type, and q, Ctrl-D or Ctrl-C end the session with the score.
    """
    if kind is not None:
        _check_choice(kind, 0, level)
    _check_choice(KINDS[0], 0 if seed is None else seed, level)
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    for stream in (stdin, stdout):  # undecodable input and unprintable output become "?", not errors
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    s = _Session(stdin, stdout, kind, secrets.randbelow(1000) if seed is None else seed, level)
    status = 0
    try:
        try:
            s.run()
        except _Stop:
            pass
        except KeyboardInterrupt:
            s.say("\n(interrupted)")
            status = 130
        s.say(s.score())
    except BrokenPipeError:  # the output went away (piped into head, say)
        if stdout is sys.__stdout__:  # Python's recipe: no second error when it flushes at exit
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return status or 1
    except KeyboardInterrupt:  # a second Ctrl-C, while the score is printed
        return 130
    return status
