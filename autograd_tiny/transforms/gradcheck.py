"""Gradient checking: every analytic gradient against the central difference (chapter, section 9).

For each input w the engine's ∂f/∂w is compared with

    [f(w + ε) − f(w − ε)] / 2ε,

whose error is O(ε²) (plus rounding of order 1e-16·|f|/ε). A relative error below ~1e-7 in double
precision means the backward pass is right; around 1e-3 means a bug in a derivative rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import Number, Value, real_number
from autograd_tiny.transforms.higher import gradients, running


@dataclass(frozen=True)
class GradcheckRow:
    """One input: its name, both gradients, their errors and whether it passed."""

    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckResult:
    """All inputs' rows; truthy only if every one passed; prints as a table."""

    rows: tuple[GradcheckRow, ...]
    eps: float
    rtol: float
    atol: float

    def __bool__(self) -> bool:
        """True if every gradient matched its central difference."""
        return all(r.ok for r in self.rows)

    @property
    def max_rel_error(self) -> float:
        """The largest relative error over all inputs."""
        return max((r.rel_error for r in self.rows), default=0.0)

    def __str__(self) -> str:
        """An aligned table: input, analytic, numeric, relative error, pass/FAIL."""
        head = ("input", "analytic", "numeric", "rel. error", "")
        body = [
            (
                r.name,
                f"{r.analytic:.10g}",
                f"{r.numeric:.10g}",
                f"{r.rel_error:.2e}",
                "ok" if r.ok else "FAIL",
            )
            for r in self.rows
        ]
        widths = [max(len(row[i]) for row in (head, *body)) for i in range(5)]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (head, *body)
        ]
        verdict = "passed" if self else "FAILED"
        lines.append(
            f"gradcheck {verdict}: max relative error {self.max_rel_error:.2e} "
            f"(eps={self.eps:g}, rtol={self.rtol:g}, atol={self.atol:g})"
        )
        return "\n".join(lines)


def _evaluate(f: Callable[..., Value], xs: list[Value]) -> Value:
    """f(*xs), checked to be a single Value holding a finite number.

    f runs as a transform would run it, so a grad, hessian, jacobian or jvp inside f returns a
    graph over xs (not a float that the check would see as a constant).
    """
    try:
        with running("gradcheck", xs):
            out = f(*xs)
    except TypeError as e:  # most often f takes a different number of arguments than there are inputs
        raise TypeError(f"gradcheck: f called with {len(xs)} inputs raised TypeError: {e}") from e
    if isinstance(out, list) and len(out) == 1:
        out = out[0]
    if isinstance(out, (list, tuple)):
        raise TypeError(
            f"gradcheck: f must return a scalar Value, got a {type(out).__name__} of {len(out)}: "
            f"reduce it to one number first (a loss, or functional.sum)"
        )
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a scalar Value, got {type(out).__name__}")
    if not math.isfinite(out.data):  # the engine never makes one, but a node edited by hand can hold one
        raise ValueError(f"gradcheck: f returned {out.data} at {[x.data for x in xs]}: not a finite number")
    return out


def check_tolerance(v: object, name: str, who: str = "gradcheck") -> float:
    """eps, rtol or atol as a float: a TypeError if not a real number, a ValueError unless finite and > 0."""
    x = real_number(v, f"{who}: {name}")
    if not (0.0 < x < math.inf):
        raise ValueError(f"{who}: {name} must be a finite number > 0, got {v!r}")
    return x


def _row(name: str, analytic: float, numeric: float, rtol: float, atol: float) -> GradcheckRow:
    """One comparison: passes if |analytic − numeric| ≤ atol + rtol·|numeric| (and analytic is finite)."""
    err = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel = err / scale if scale > 0 else 0.0
    ok = err <= atol + rtol * abs(numeric) and math.isfinite(analytic)
    return GradcheckRow(name, analytic, numeric, err, rel, ok)


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Value | Number],
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    order: int = 1,
) -> GradcheckResult:
    """Compare the engine's gradient of ``f(*inputs)`` with central differences, input by input.

    Numbers become leaf Values named x0, x1, …; Values keep their label and are not modified (f is
    called on fresh copies). The analytic gradient is ``gradients()``'s, by the inputs only: no
    ``.grad`` is written, not even a Value's that f closes over. A gradient passes if
    |analytic − numeric| ≤ atol + rtol·|numeric|.
    ``order=2`` checks the second derivatives instead: each ∂²f/∂xᵢ∂xⱼ (from ``higher.py``, the
    rules evaluated on Values) against the central difference of the first-order gradient,
    [∂f/∂xⱼ(x + ε eᵢ) − ∂f/∂xⱼ(x − ε eᵢ)] / 2ε.
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be a function of the inputs, got {type(f).__name__}")
    if isinstance(order, bool) or order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    eps, rtol, atol = (
        check_tolerance(eps, "eps"),
        check_tolerance(rtol, "rtol"),
        check_tolerance(atol, "atol"),
    )
    given = F.as_values(inputs, "gradcheck: inputs")  # numbers become (unlabelled) leaves
    values = [x.data for x in given]
    names = [x.label or f"x{i}" for i, x in enumerate(given)]
    if not values:
        raise ValueError("gradcheck: no inputs given")

    def leaves(shift_index: int = -1, shift: float = 0.0) -> list[Value]:
        return [Value(v + (shift if i == shift_index else 0.0), names[i]) for i, v in enumerate(values)]

    if order == 2:
        return _second_order(f, leaves, names, eps, rtol, atol)
    xs = leaves()
    # the engine's chain rule on the numbers each node stored, by xs only: a Value f closes over
    # keeps its .grad, and an infinite local derivative off the paths to xs is no error
    analytics = gradients(_evaluate(f, xs), xs)
    rows = []
    for i, name in enumerate(names):
        try:
            hi = _evaluate(f, leaves(i, eps)).data
            lo = _evaluate(f, leaves(i, -eps)).data
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            raise ValueError(f"gradcheck: f cannot be evaluated at {name} ± {eps:g}: {e}") from None
        numeric = (hi - lo) / (2 * eps)
        analytic = analytics[i]
        rows.append(_row(name, analytic, numeric, rtol, atol))
    return GradcheckResult(tuple(rows), eps, rtol, atol)


def _second_order(
    f: Callable[..., Value],
    leaves: Callable[..., list[Value]],
    names: list[str],
    eps: float,
    rtol: float,
    atol: float,
) -> GradcheckResult:
    """Every ∂²f/∂xᵢ∂xⱼ against the central difference of the first-order gradient."""
    xs = leaves()
    first = gradients(_evaluate(f, xs), xs, create_graph=True)  # ∂f/∂xⱼ as graphs over xs
    hessian = [gradients(g, xs) for g in first]  # hessian[j][i] = ∂²f/∂xᵢ∂xⱼ

    def gradient(shift_index: int, shift: float) -> list[float]:
        shifted = leaves(shift_index, shift)
        return gradients(_evaluate(f, shifted), shifted)  # first order: the numbers stored at forward time

    rows = []
    for i, name_i in enumerate(names):
        try:
            hi, lo = gradient(i, eps), gradient(i, -eps)
        except (ValueError, ZeroDivisionError, OverflowError) as e:
            raise ValueError(f"gradcheck: f cannot be differentiated at {name_i} ± {eps:g}: {e}") from None
        for j, name_j in enumerate(names):
            numeric = (hi[j] - lo[j]) / (2 * eps)
            analytic = hessian[j][i]
            rows.append(_row(f"∂²/∂{name_i}∂{name_j}", analytic, numeric, rtol, atol))
    return GradcheckResult(tuple(rows), eps, rtol, atol)
