"""Checking an op a learner wrote: its derivatives against central differences, its backward on reuse."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Real
from typing import Any

from autograd_tiny.core.engine import brief
from autograd_tiny.teach.practice.answers import read_answer
from autograd_tiny.transforms.gradcheck import check_tolerance
from autograd_tiny.views.trace import num

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
            x, why = read_answer(v) if not isinstance(v, str) else (None, "a str is not a number")
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
    value, why = read_answer(y)
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
        check_tolerance(v, k, "check_op") for v, k in ((eps, "eps"), (rtol, "rtol"), (atol, "atol"))
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
            yours = [read_answer(v)[0] for v in raw] if not problems else [None] * n  # type: ignore[union-attr]
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
        check_tolerance(v, k, "check_backward") for v, k in ((eps, "eps"), (rtol, "rtol"), (atol, "atol"))
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
                yours, _ = read_answer(grads.get(leaf))
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
