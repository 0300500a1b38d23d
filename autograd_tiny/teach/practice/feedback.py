"""An exercise, its feedback, and how a wrong answer is traced to one chain-rule step (``Exercise``)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from autograd_tiny.core.engine import Constant, Value, brief
from autograd_tiny.core.rules import RULES
from autograd_tiny.teach.practice.answers import (
    Chain,
    ascii_label,
    close_enough,
    digits_in_common,
    gradient_latex,
    label_latex,
    normalized_name,
    read_answer,
    spellings,
    value_latex,
    value_text,
)
from autograd_tiny.views.trace import Trace, num, trace, wrt

# ---------------------------------------------------------------------------------------------
# Exercises, their feedback, and how a wrong answer is traced to a chain-rule step.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
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
class Built:
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
    slips: tuple[Slip, ...] = ()
    known: tuple[str, ...] = ()  # nodes whose gradient the question gives (δ⁽³⁾ = ∂L/∂z⁽³⁾)
    matrix_form: tuple[str, ...] = ()  # the chapter's matrix equations with the numbers in, for solution()


@dataclass(frozen=True)
class Verdict:
    """What ``check`` says about one unknown."""

    name: str  # as in Exercise.unknowns: "dL/dw1"
    pretty: str  # "∂L/∂w1"
    given: object  # what was given for it (None if nothing)
    value: float | None  # the number read from it
    status: str  # "right", "wrong", "missing" or "not a number"
    hint: str  # for a wrong answer: the step to check and why; otherwise why it was not read
    step: int | None  # the number of the chain-rule step named (as numbered in ``solution()``)
    mistake: str  # the slip the number would follow from ("relu", "sign", "one_path", "digits", ...) or ""
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
            if normalized_name(name) in (normalized_name(v.name), normalized_name(v.pretty)):
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

    def __init__(self, kind: str, seed: int, level: int, built: Built) -> None:
        """An exercise from a generator's output (use ``exercise(kind, seed, level)`` to make one)."""
        self.kind, self.seed, self.level = kind, seed, level
        self._built = built
        self.root: Value = built.root  # the graph: trace(ex.root) is the worked solution
        self.given: dict[str, Any] = built.given
        self.tolerance: float = built.tolerance  # relative: |answer − key| ≤ tolerance·|key|
        self.digits: int | None = built.digits
        # the question's parts, for a page that lays them out (``question`` is them as text)
        self.title: str = built.title
        self.network: tuple[str, ...] = tuple(built.network)  # the computation, as text lines
        self.note: str = built.note  # how to give the answers (integers, 4 significant digits, …)
        self._labels = list(built.unknowns)
        self.unknowns: tuple[str, ...] = tuple("dL/d" + ascii_label(label) for label in self._labels)
        self._pretty = {n: "∂L/∂" + wrt(label) for n, label in zip(self.unknowns, self._labels, strict=True)}
        self._chain = Chain(built.root)
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
            for s in spellings(label):
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
                lines.append(f"  {k} = {value_text(v)}")
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
                return label_latex(m.group(1)).rstrip("_{}") + f"^{{({m.group(2)})}}"
            return label_latex(k)

        scalars = [f"{name(k, v)} = {value_latex(v)}" for k, v in b.given.items() if not isinstance(v, list)]
        rows = [rf"\textbf{{{line}}}" for line in _latex_lines(b.title, 56)]
        rows += [part for row in b.network_latex for part in _latex_rows(row)]
        if scalars:
            rows.append(r",\; ".join(scalars))
        rows += [f"{name(k, v)} = {value_latex(v)}" for k, v in b.given.items() if isinstance(v, list)]
        grads = [gradient_latex(label) for label in self._labels]
        rows += [
            (r"\text{Find } " if k == 0 else r"\quad ") + r",\; ".join(grads[k : k + 6])
            for k in range(0, len(grads), 6)
        ]
        rows += [rf"\text{{{line}}}" for line in _latex_lines(b.note, 64)]
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

    @property
    def pretty(self) -> dict[str, str]:
        """Each unknown's name → how the question writes it: "dL/dyhat" → "∂L/∂ŷ"."""
        return dict(self._pretty)

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

    @cached_property
    def _numbers(self) -> dict[int, int]:
        """Each backward step that leads to an unknown (index in the trace) → its number in the
        solution, 1…n with no gaps: the steps into parts of the graph nobody asked about are left out."""
        ch = self._chain
        wanted = set().union(*(ch.descendants(self._node[n]) for n in self.unknowns))
        shown = [e for e in range(len(self._trace.steps)) if ch.edges[e].parent in wanted]
        return {e: k for k, e in enumerate(shown, start=1)}

    def _number(self, e: int) -> int:
        """The number the solution gives step e (every step a hint names leads to an unknown)."""
        return self._numbers[e]

    def _formula(self, e: int) -> str:
        """Step e as "step 6 (∂L/∂z1 += ReLU′(z1) · ∂L/∂a1)": its formula, not its numbers."""
        # str(step) is "∂L/∂z1 += ReLU′(z1) · ∂L/∂a1 = 0 · 24 = 0": the formula ends at the first " = "
        return f"step {self._number(e)} ({str(self._trace.steps[e]).split(' = ', 1)[0]})"

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
        steps = self._trace.steps
        lines = [f"{k:>3}. {steps[e]}" for e, k in self._numbers.items()]
        if self._built.matrix_form:  # the same numbers, all at once, as the chapter writes them
            lines += ["", "In the chapter's matrix form (the same numbers, a layer at a time):"]
            lines += [f"  {line}" for line in self._built.matrix_form]
        return "\n".join(lines)

    # --- checking ---------------------------------------------------------------------------

    def _resolve(self, key: str) -> str | None:
        """The unknown a learner's key names (any accepted spelling; case only if unambiguous)."""
        s = normalized_name(key)
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
                v, why = read_answer(raw)
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
                if close_enough(values[n], key, self.tolerance):
                    status = "right"
                elif d := self.digits and digits_in_common(values[n], key, self.digits):
                    status, mistake = "wrong", "digits"  # the key, given short: not a chain-rule slip
                    hint = (
                        f"{num(values[n])} is right to {d} significant digits: give {self.digits} "
                        f"(answers within {self.tolerance * 100:g}% count as right)"
                    )
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
        right = {self._node[m] for m, v in values.items() if close_enough(v, self._key[m], tol)}
        # The nearest answer of theirs that every path from t to L passes through: if it is right,
        # the error lies in the steps between; if it is wrong, this answer may just follow from it.
        anchor = ch.root
        for u in sorted(u for u in answered if ch.dominates(u, t)):  # forward order: nearest first
            name_u = ch.nodes[u].label
            if u in right:
                anchor = u
                break
            if close_enough(g, answered[u] * ch.run(u, 1.0)[t], tol):
                first = ch.between(t, u)[0]
                return (
                    f"Your number follows from your ∂L/∂{wrt(name_u)} = {num(answered[u])}, "
                    "which is not right: "
                    f"the chain rule from there down to {self._pretty[n]}, starting at "
                    f"{self._formula(first)}, gives exactly your number. Fix ∂L/∂{wrt(name_u)} first.",
                    self._number(first),
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
            if close_enough(g, predicted[t], tol) and not close_enough(predicted[t], key, tol):
                # the wrong answers it explains, less the right ones it would have made wrong
                explained = contradicted = 0
                for m, v in answers.items():
                    if not close_enough(v, truth[m], tol):
                        explained += close_enough(v, predicted[m], tol)
                    else:
                        contradicted += not close_enough(predicted[m], truth[m], tol)
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
        value = f"you gave the value of {label} itself (from the forward pass), not ∂L/∂{wrt(label)}"
        add({**truth, t: ch.nodes[t].data}, 3, -1, "value", value)
        slips = [f for f in found if f[1] < 3] or found
        if slips:
            return self._explain(sorted(slips))
        known = [e for e in steps if ch.nodes[ch.edges[e].parent].label in self._built.known]
        first = next((e for e in steps if e not in known), steps[0])  # a step the learner had to do
        if anchor != ch.root:
            start = f"your ∂L/∂{wrt(ch.nodes[anchor].label)} = {num(answered[anchor])} (right)"
        else:
            start = (
                "the given " + _and(sorted({"∂L/∂" + ch.nodes[ch.edges[e].parent].label for e in known}))
                if known
                else "∂L/∂L = 1"
            )
        paths = [e for e in ch.into[t] if e in chosen]
        also = (
            f" ∂L/∂{wrt(label)} is the sum of {len(paths)} steps, one per node that {label} feeds."
            if len(paths) > 1
            else ""
        )
        for e in paths:  # σ into the cross-entropy: the chapter's shortcut gives the number at once
            if self._trace.steps[e].combined:
                a, _, y, _ = self._trace.steps[e].combined
                also += (
                    f" The shortcut: σ′ and the cross-entropy's derivative combine to "
                    f"∂L/∂{wrt(label)} = {a} − {y}."
                )
        return (
            f"Your number does not follow from {start} by the chain rule, and no classic slip explains it. "
            f"Check the steps from there down to {self._pretty[n]}, starting with "
            f"{self._formula(first)}.{also}",
            self._number(first),
            "",
        )

    def _one_path(self, p: int, keep: int, into: list[int]) -> str:
        """The text of the slip "∂L/∂p took only one of its paths"."""
        ch = self._chain
        name = ch.nodes[p].label
        child = ch.nodes[ch.edges[keep].child].label
        others = ", ".join(
            f"the one through {ch.nodes[ch.edges[e].child].label} (step {self._number(e)})"
            for e in into
            if e != keep
        )
        text = (
            f"∂L/∂{wrt(name)} took only the path through {child}, {self._formula(keep)}, "
            f"and left out {others}: "
            f"{name} feeds {len(into)} nodes, so ∂L/∂{wrt(name)} is the sum of {len(into)} steps"
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
        return text, (self._number(e) if e >= 0 else None), code

    def _clause(self, fs: list[_Finding]) -> str:
        """One slip (possibly found at several steps) as a clause after "your number would follow if"."""
        code, text, e = fs[0][3], fs[0][4], fs[0][5]
        steps = [self._number(f[5]) for f in fs if f[5] >= 0]
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


# characters of the texts' notation that plain LaTeX's text mode has no glyph for: written as math
_TEXT_MATH = {
    "′": "'", "δ": r"\delta", "σ": r"\sigma", "ŷ": r"\hat{y}", "−": "-", "×": r"\times", "·": r"\cdot",
    "∂": r"\partial", "≈": r"\approx", "≤": r"\le", "≥": r"\ge", "⊙": r"\odot", "ᵀ": r"^{\top}",
    "Δ": r"\Delta", "ε": r"\varepsilon", "→": r"\to", "²": "^2", "³": "^3",
}  # fmt: skip
_TEXT_SPECIAL = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex_text(s: str) -> str:
    """Text for LaTeX's \\text{}, for pdflatex and MathJax alike: the characters LaTeX treats
    specially escaped, and the notation's Unicode (ReLU′, δ, σ, −) written as inline math."""
    out = []
    for c in s:
        if c in "#$%&_{}":
            out.append("\\" + c)
        elif c in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[c])
        elif c in _TEXT_MATH:
            out.append(f"${_TEXT_MATH[c]}$")
        elif ord(c) < 128:
            out.append(c)
        else:  # no glyph in LaTeX's default fonts: its name, so the page still compiles
            out.append(f"[U+{ord(c):04X}]")
    return "".join(out)


def _latex_rows(row: str, per_row: int = 3) -> list[str]:
    """A long displayed formula as rows that fit a page: the loss on a row of its own (at ",\\quad"),
    and a chain x → z₁ → a₁ → … continued on the next row after every ``per_row`` links."""
    out = []
    for part in row.split(r",\quad "):
        links = part.split(r" \to ")
        for k in range(0, len(links), per_row):
            out.append((r"\quad \to " if k else "") + r" \to ".join(links[k : k + per_row]))
    return out


def _latex_lines(s: str, width: int) -> list[str]:
    """Text in lines of at most ``width`` characters (a displayed array does not wrap), escaped."""
    return [_latex_text(line) for line in textwrap.wrap(s, width)] or [""]
