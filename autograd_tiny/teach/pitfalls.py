"""Hand-written backward rules, right and wrong: the chapter's pitfalls as custom primitives.

The chapter ends with a warning: "Not gradient-checking after implementing custom backward passes".
Each function here is a primitive with its own local-derivative rule, defined the documented way,
with ``Value.from_op(y, op, parents, local_grads)``. With ``mistake=None`` the rule is right;
each named mistake plants one of the chapter's pitfalls in it, and ``gradcheck`` catches it:

    from autograd_tiny.gradcheck import gradcheck
    from autograd_tiny.pitfalls import dense_tanh
    gradcheck(lambda *p: dense_tanh(p[:4], p[4:6], p[6:])[0], [...])              # passes
    gradcheck(lambda *p: dense_tanh(p[:4], p[4:6], p[6:], "forget_fprime")[0], [...])  # fails
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd_tiny.core.engine import Value

MISTAKES = ("forget_fprime", "transposed_outer", "bias_not_summed", "divide_twice", "wrong_sign")


def _check(mistake: str | None, allowed: tuple[str, ...], op: str) -> None:
    """A ValueError unless ``mistake`` is None or one this primitive can make."""
    if mistake is not None and mistake not in allowed:
        raise ValueError(f"{op}: mistake must be None or one of {allowed}, got {mistake!r}")


def dense_tanh(
    W: Sequence[Value], x: Sequence[Value], b: Sequence[Value], mistake: str | None = None
) -> list[Value]:
    """aᵢ = tanh(Σⱼ Wᵢⱼ xⱼ + bᵢ) for a square n × n layer (W flat, row-major), one node per output.

    Local derivatives of aᵢ = tanh(zᵢ): ∂aᵢ/∂Wᵢⱼ = f′(zᵢ)·xⱼ, ∂aᵢ/∂xⱼ = f′(zᵢ)·Wᵢⱼ, ∂aᵢ/∂bᵢ = f′(zᵢ),
    with f′(z) = 1 − tanh²(z). Mistakes: "forget_fprime" drops f′(zᵢ) (treats tanh as linear);
    "transposed_outer" uses xᵢ for ∂aᵢ/∂Wᵢⱼ, an entry of x aᵀ instead of δ xᵀ.
    """
    _check(mistake, ("forget_fprime", "transposed_outer"), "dense_tanh")
    n = len(x)
    if len(W) != n * n or len(b) != n:
        raise ValueError(f"dense_tanh: expected {n * n} weights and {n} biases for {n} inputs")
    xd = [v.data for v in x]
    outs = []
    for i in range(n):
        row = W[i * n : (i + 1) * n]
        z = sum(w.data * xj for w, xj in zip(row, xd, strict=True)) + b[i].data
        a = math.tanh(z)
        fp = 1.0 if mistake == "forget_fprime" else 1.0 - a * a
        dW = [fp * (xd[i] if mistake == "transposed_outer" else xd[j]) for j in range(n)]
        dx = [fp * w.data for w in row]
        outs.append(Value.from_op(a, "dense_tanh", (*row, *x, b[i]), (*dW, *dx, fp), label=f"a[{i}]"))
    return outs


def batch_mse(
    w: Value, b: Value, xs: Sequence[float], ys: Sequence[float], mistake: str | None = None
) -> Value:
    """L = (1/M) Σₘ (w·xₘ + b − yₘ)² over a batch, as one node.

    ∂L/∂w = (1/M) Σₘ 2rₘ xₘ and ∂L/∂b = (1/M) Σₘ 2rₘ with rₘ = w·xₘ + b − yₘ. Mistakes:
    "bias_not_summed" takes one example's 2r₀/M for ∂L/∂b; "divide_twice" divides by M again.
    """
    _check(mistake, ("bias_not_summed", "divide_twice"), "batch_mse")
    M = len(xs)
    if M == 0 or len(ys) != M:
        raise ValueError(f"batch_mse: need equally many inputs and targets, got {len(xs)} and {len(ys)}")
    r = [w.data * xm + b.data - ym for xm, ym in zip(xs, ys, strict=True)]
    scale = 1.0 / (M * M) if mistake == "divide_twice" else 1.0 / M
    dw = scale * sum(2 * rm * xm for rm, xm in zip(r, xs, strict=True))
    db = 2 * r[0] / M if mistake == "bias_not_summed" else scale * sum(2 * rm for rm in r)
    return Value.from_op(sum(rm * rm for rm in r) / M, "batch_mse", (w, b), (dw, db), label="L")


def sigmoid(u: Value, mistake: str | None = None) -> Value:
    """σ(u) with the rule σ′ = σ(1 − σ); "wrong_sign" states −σ(1 − σ)."""
    _check(mistake, ("wrong_sign",), "sigmoid")
    s = 1.0 / (1.0 + math.exp(-u.data)) if u.data >= 0 else math.exp(u.data) / (1.0 + math.exp(u.data))
    d = s * (1.0 - s)
    return Value.from_op(s, "my_sigmoid", (u,), (-d if mistake == "wrong_sign" else d,))
