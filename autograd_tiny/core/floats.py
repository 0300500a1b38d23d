"""The math functions the rule table is written in, on floats (``exp``, ``sigmoid``, ``dot``, …).

Each is careful at the edges: a domain error names the function and the value; nothing overflows
where the true result is finite. ``FLOAT_MATH`` maps each name a rule may use to its function:
the engine's node makers and the code that ``compile`` writes call these.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any


def exp(u: float) -> float:
    """eᵘ; beyond u ≈ 709.78 it exceeds the largest float, which is an OverflowError."""
    try:
        return math.exp(u)
    except OverflowError:
        raise OverflowError(f"exp({u!r}) overflows a float") from None


def log(u: float) -> float:
    """ln u for u > 0."""
    if u <= 0.0:
        raise ValueError(f"log({u!r}): log is defined only for positive numbers")
    return math.log(u)


def sigmoid(u: float) -> float:
    """σ(u) = 1 / (1 + e⁻ᵘ), never overflowing: only e to a non-positive power is computed."""
    if u >= 0.0:  # ∞ (a .data set by hand) is NaN here, not 1: the engine refuses it by name
        return 1.0 / (1.0 + math.exp(-u)) if u <= 1.7976931348623157e308 else u - u
    e = math.exp(u)
    return e / (1.0 + e) if u >= -1.7976931348623157e308 else u - u  # −∞ and NaN: NaN


def sigmoid_slope(y: float, u: float) -> float:
    """σ′(u) = σ(u)(1 − σ(u)) = y(1 − y), given y = σ(u), computed as y·σ(−u): 1 − y would round to 0.

    (At u = 40, σ(u) rounds to 1 and y(1 − y) to 0, though σ′ is 4.2e-18.) Printed as the texts write it.
    """
    return y * sigmoid(-u)


def bce(u: float, t: float) -> float:
    """−[t ln u + (1 − t) ln(1 − u)], the binary cross-entropy of a probability u for a target t,
    with a term of weight 0 left out (ŷ = 1 with y = 1 costs 0, not 0·ln 0)."""
    return -(xlogy(t, u) + xlogy(1.0 - t, 1.0 - u))


def bce_slope(u: float, t: float) -> float:
    """∂/∂u of −[t ln u + (1 − t) ln(1 − u)] = (u − t)/(u(1 − u)), as (1 − t)/(1 − u) − t/u with a term
    of weight 0 left out (so ŷ = 1 with y = 1 has slope −1, not 0/0). Printed as the texts write it."""
    return (0.0 if t == 1.0 else (1.0 - t) / (1.0 - u)) - (0.0 if t == 0.0 else t / u)


def sech2(u: float) -> float:
    """sech²(u) = 1 − tanh²(u) = 4e^(−2|u|) / (1 + e^(−2|u|))², without the cancellation of 1 − tanh².

    (At |u| = 20, tanh(u) rounds to ±1 and 1 − tanh² to 0, though sech² is 1.7e-17.)
    """
    e = math.exp(-2.0 * abs(u))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def softplus(u: float) -> float:
    """log(1 + eᵘ) = max(u, 0) + log(1 + e^−|u|): the exponent is never positive."""
    return max(u, 0.0) + math.log1p(math.exp(-abs(u)))


def relu(u: float) -> float:
    """max(u, 0)."""
    return u if u > 0.0 else 0.0


def leaky_relu(u: float, k: float) -> float:
    """u for u > 0, k·u otherwise."""
    return u if u > 0.0 else k * u


def step(u: float) -> float:
    """[u > 0]: 1 for u > 0, else 0 (so ReLU′(0) = 0, as the chapter and PyTorch)."""
    return 1.0 if u > 0.0 else 0.0


def select(u: float, a: float, b: float) -> float:
    """a if u > 0 else b."""
    return a if u > 0.0 else b


def sign(u: float) -> float:
    """−1, 0 or 1."""
    return 1.0 if u > 0.0 else -1.0 if u < 0.0 else 0.0


def pow(u: float, v: float) -> float:
    """uᵛ, with its domain errors named instead of a complex number or a bare crash."""
    if u == 0.0 and v < 0.0:
        raise ZeroDivisionError(f"0.0 ** {v!r} (zero to a negative power) is undefined")
    if u < 0.0 and v == 0.5:  # Value.sqrt is u ** 0.5: one message, from the engine or compiled code
        raise ValueError(f"sqrt({u!r}) (= {u!r} ** 0.5): sqrt is defined only for non-negative numbers")
    if u < 0.0 and not v.is_integer():
        raise ValueError(f"{u!r} ** {v!r} (a negative base to a non-integer power) is not a real number")
    try:
        return u**v
    except OverflowError:
        raise OverflowError(f"{u!r} ** {v!r} overflows a float") from None


def pow_minus_one(u: float, v: float) -> float:
    """uᵛ⁻¹, the factor of pow's derivative v·uᵛ⁻¹; 0 where v = 0 (u⁰ = 1 is flat, even at u = 0).

    At v = 0 the factor is only ever multiplied by v = 0, and u⁻¹ would be infinite at u = 0. The
    sign of a negative base is exact even where v − 1 rounds to v (|v| ≥ 2⁵³).
    """
    if v == 0.0:
        return 0.0
    if u < 0.0 and v.is_integer() and abs(v) >= 2.0**53:
        # every float this large is even, so v − 1 is odd: uᵛ⁻¹ = −|u|ᵛ⁻¹ (the magnitude is 0 or inf)
        return -pow(-u, v - 1.0)
    return pow(u, v - 1.0)


def xlogy(x: float, y: float) -> float:
    """x·ln y, taken as 0 where x = 0 and y ≥ 0 (the limit of uᵛ·ln u as u → 0⁺ for v > 0).

    For y < 0 there is no real ln y, even where x = 0: ∂uᵛ/∂v at u < 0 is undefined, also when
    uᵛ underflows to 0 ((−e⁵⁰)⁻⁵⁰), so the error of log is raised (the engine stores inf)."""
    return 0.0 if x == 0.0 and y >= 0.0 else x * log(y)


def dot(w: Sequence[float], x: Sequence[float]) -> float:
    """Σᵢ wᵢ xᵢ = w₀x₀ + w₁x₁ + …, added left to right as it is written out (0 for no terms)."""
    # Not sum(): from Python 3.12 it compensates rounding, and compiled code writes the products
    # out as w0 * x0 + w1 * x1 + …, which must give these very bits on every Python.
    products = map(operator.mul, w, x)
    total = next(products, 0.0)
    for p in products:
        total += p
    return total


def _no_minus_inf(u: Sequence[float], name: str) -> None:
    """A ValueError if an element is −∞: e^−∞ = 0 would drop it from the sum without a word (+∞ and
    NaN need no check: they make the result NaN, which the engine refuses)."""
    if min(u) == -math.inf:
        raise ValueError(f"{name}: an input is -inf, not a finite number")


def logsumexp(u: Sequence[float]) -> float:
    """log Σᵢ e^uᵢ = m + log Σᵢ e^(uᵢ − m) with m = max u: every exponent ≤ 0, the sum in [1, n]."""
    _no_minus_inf(u, "logsumexp")
    m = max(u)
    return m + math.log(math.fsum(math.exp(a - m) for a in u))


def softmax(u: Sequence[float]) -> tuple[float, ...]:
    """e^(uᵢ − m) / Σⱼ e^(uⱼ − m): the same shift, so exact for logits of any size (even ±1e300)."""
    m = max(u)
    e = [math.exp(a - m) for a in u]
    s = math.fsum(e)
    return tuple(a / s for a in e)


def square(u: float) -> float:
    """u²."""
    return u * u


def cross_entropy(z: Sequence[float], t: float) -> float:
    """−log softmax(z)[t] = (m − z_t) + log Σᵢ e^(zᵢ − m), m = max z: exact for logits up to ±1e300."""
    _no_minus_inf(z, "cross_entropy")
    m = max(z)
    return (m - z[int(t)]) + math.log(math.fsum(math.exp(a - m) for a in z))


def softmax_minus_onehot(z: Sequence[float], t: float) -> tuple[float, ...]:
    """softmax(z) − onehot(t): the gradient of cross-entropy with respect to the logits, ŷ − y."""
    p = softmax(z)
    return tuple(pi - 1.0 if i == int(t) else pi for i, pi in enumerate(p))


def ones(u: Sequence[float]) -> tuple[float, ...]:
    """A 1 for each element of u (the derivative of a sum)."""
    return (1.0,) * len(u)


# ---------------------------------------------------------------------------------------------
# Refusing an operand that is not a finite number. Value() and every op's result are checked, so
# only a .data set by hand can hold inf or NaN; an op must not turn it into a finite number without
# a word (ReLU(NaN) = 0, tanh(∞) = 1, e^−∞ = 0). The engine's node makers call these only when the
# forward computation failed or its quick screen (y − y + u − u + …, 0 unless something is not
# finite) is not 0, so a check costs the common case nothing.
# ---------------------------------------------------------------------------------------------


def refuse_operands(op: str, parents: Sequence[Any]) -> None:
    """Raise, naming ``op`` and the operand, if a parent's ``.data`` is not a finite real number."""
    for k, p in enumerate(parents):
        d = getattr(p, "data", None)
        which = f"operand {p.label!r}" if getattr(p, "label", "") else f"operand {k + 1} of {len(parents)}"
        if isinstance(d, bool) or not isinstance(d, (int, float)):
            raise TypeError(
                f"{op}: {which} holds data {d!r:.40} ({type(d).__name__}), not a number: a Value's .data "
                f"must be a finite float (was it set by hand?)"
            )
        if not (-1.7976931348623157e308 <= d <= 1.7976931348623157e308):  # inf, NaN, or an int too large
            shown = repr(d) if isinstance(d, float) else "an int too large for a float"
            raise ValueError(
                f"{op}: {which} is {shown}, not a finite number: a Value's data must be finite, as "
                f"Value() requires (was .data set by hand?)"
            )


def not_finite(op: str, *parents: Any, y: float) -> None:
    """Refuse an operand that is not finite (``refuse_operands``), else a result that overflowed to
    ±inf or became NaN, naming the op and its operands: it would poison every gradient downstream."""
    refuse_operands(op, parents)
    if not math.isfinite(y):
        operands = ", ".join(repr(p.data) for p in parents)
        raise OverflowError(f"{op}({operands}) = {y!r} is not a finite number")


# the names a rule may use, on floats (the engine's first-order path and generated code)
_FUNCTIONS = (exp, log, sigmoid, sigmoid_slope, bce, bce_slope, sech2, softplus, relu, leaky_relu, step,
              select, sign, pow, pow_minus_one, xlogy, dot, logsumexp, softmax, square, cross_entropy,
              softmax_minus_onehot, ones)  # fmt: skip
FLOAT_MATH: dict[str, Any] = {f.__name__: f for f in _FUNCTIONS}
FLOAT_MATH.update(tanh=math.tanh, sin=math.sin, cos=math.cos, abs=abs, sum=sum)
__all__ = [f.__name__ for f in _FUNCTIONS]  # what ``from floats import *`` gives rules.py
