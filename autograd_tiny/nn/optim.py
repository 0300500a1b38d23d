"""Optimizers: ``SGD`` (with momentum and weight decay) and ``Adam``.

Each holds a list of parameters (Values) and, on ``step()``, moves every parameter p against its
gradient g = ∂L/∂p, read from ``p.grad``. The update rules (PyTorch's conventions):

    SGD:   g ← g + λp;   v ← μv + g;   p ← p − η v          (η lr, μ momentum, λ weight decay)
    Adam:  m ← β₁m + (1 − β₁)g;   s ← β₂s + (1 − β₂)g²;   m̂ = m/(1 − β₁ᵗ);   ŝ = s/(1 − β₂ᵗ)
           p ← p − η m̂ / (√ŝ + ε)      (``Adam.s`` holds √s, so that g² is never formed)

A gradient or an update that is not a finite number is refused with an error naming the
parameter, and then no parameter is changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

from autograd_tiny.core.engine import Value, brief
from autograd_tiny.nn.modules import Module


def _hyper(x: object, name: str, low: float, high: float = math.inf, *, open_low: bool = False) -> float:
    """A hyperparameter checked to lie in its range, or a ValueError naming it (``name`` is "SGD: lr")."""
    lo = "(" if open_low else "["
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number in {lo}{low}, {high}), got {brief(x)}")
    if x < low or (open_low and x == low) or x >= high:
        raise ValueError(f"{name} must lie in {lo}{low}, {high}), got {x!r}")
    return float(x)


def _params(params: object, who: str) -> list[Value]:
    """The parameters as a list of Values, or a TypeError saying what to pass instead."""
    call = f"{who}(model.parameters(), lr=0.1)" if who == "SGD" else f"{who}(model.parameters())"
    usage = f"pass a list of Values, such as {call}"
    if isinstance(params, Module):
        raise TypeError(f"{who}: params is the {type(params).__name__} itself, not its parameters: {usage}")
    if callable(params) and not isinstance(params, Value):  # model.parameters without the ()
        raise TypeError(f"{who}: params is a function, not a list: call it, {call}")
    why = {Value: "one Value (a list of one is [v])", str: "a str", bytes: "bytes", set: "a set (no order)",
           dict: "a dict, whose keys it would give: pass list(d.values())"}  # fmt: skip
    kind = next((text for t, text in why.items() if isinstance(params, t)), None)
    if kind is not None or not isinstance(params, Iterable):
        got = kind or type(params).__name__
        raise TypeError(f"{who}: params must be a list of Values, got {got}: {usage}")
    out = list(params)
    for i, p in enumerate(out):
        if not isinstance(p, Value):
            hint = " (a list inside the list?)" if isinstance(p, (list, tuple)) else ""
            raise TypeError(
                f"{who}: parameters must be Values, got {type(p).__name__} at params[{i}]{hint}: {usage}"
            )
    return out


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their gradients."""

    def __init__(self, params: Iterable[Value]) -> None:
        """Keep ``params`` (a list, or a Module's ``parameters()``) in order."""
        self.params = _params(params, type(self).__name__)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient."""
        raise NotImplementedError

    def _gradients(self) -> list[float]:
        """Every parameter's gradient, refused (naming the parameter) if one is inf or NaN."""
        grads = [p.grad for p in self.params]
        for i, g in enumerate(grads):
            if isinstance(g, bool) or not isinstance(g, Real):  # a .grad set by hand
                raise TypeError(
                    f"{type(self).__name__}.step: the gradient of parameter {i} "
                    f"({self.params[i].label or 'unlabelled'}) is {brief(g)}, not a number; "
                    "nothing was updated"
                )
            if not math.isfinite(g):
                raise ValueError(
                    f"{type(self).__name__}.step: the gradient of parameter {i} "
                    f"({self.params[i].label or 'unlabelled'}) is {g!r}; nothing was updated"
                )
        return grads

    def _write(self, new: list[float]) -> None:
        """Set every parameter's data, or none if an update is not a finite number."""
        for i, v in enumerate(new):
            if not math.isfinite(v):
                p = self.params[i]
                if not (isinstance(p.data, Real) and math.isfinite(p.data)):  # not the step's doing
                    raise ValueError(
                        f"{type(self).__name__}.step: parameter {i} ({p.label or 'unlabelled'}) holds "
                        f"{brief(p.data)}, not a finite number (was .data set by hand?); nothing was updated"
                    )
                raise ValueError(
                    f"{type(self).__name__}.step: the update of parameter {i} "
                    f"({self.params[i].label or 'unlabelled'}) gives {v!r} (learning rate too large?); "
                    f"nothing was updated"
                )
        for p, v in zip(self.params, new, strict=True):
            p.data = v


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum and L2 weight decay."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float | None = None,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        """p ← p − lr·v with v ← momentum·v + (g + weight_decay·p); ``lr`` must be given."""
        super().__init__(params)
        if lr is None:  # required: there is no learning rate that suits every problem
            raise ValueError("SGD: lr must be given, the learning rate: SGD(model.parameters(), lr=0.1)")
        self.lr = _hyper(lr, "SGD: lr", 0.0, open_low=True)
        self.momentum = _hyper(momentum, "SGD: momentum", 0.0, 1.0)
        self.weight_decay = _hyper(weight_decay, "SGD: weight_decay", 0.0)
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter (none, with an error, if a gradient or update is not finite)."""
        grads = self._gradients()
        velocity = list(self.velocity)
        new = []
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            g = g + self.weight_decay * p.data
            if self.momentum:
                g = velocity[i] = self.momentum * velocity[i] + g
            new.append(p.data - self.lr * g)
        self._write(new)
        self.velocity = velocity


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by running moments of the gradient, bias-corrected."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        """Adam with learning rate ``lr``, moment decays ``betas`` and ``eps`` in the denominator."""
        super().__init__(params)
        self.lr = _hyper(lr, "Adam: lr", 0.0, open_low=True)
        pair = "a pair of numbers (β₁, β₂) in [0, 1), such as betas=(0.9, 0.999)"
        if (
            isinstance(betas, (str, bytes, dict, set))
            or not hasattr(betas, "__len__")
            or not hasattr(betas, "__getitem__")
        ):
            raise TypeError(f"Adam: betas must be {pair}, got {type(betas).__name__}: {brief(betas)}")
        if len(betas) != 2:
            raise ValueError(f"Adam: betas must be {pair}, got {len(betas)} numbers: {brief(betas)}")
        self.betas = (
            _hyper(betas[0], "Adam: betas[0]", 0.0, 1.0),
            _hyper(betas[1], "Adam: betas[1]", 0.0, 1.0),
        )
        self.eps = _hyper(eps, "Adam: eps", 0.0, open_low=True)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.s = [0.0] * len(self.params)  # √(running mean of g²)

    def step(self) -> None:
        """One update of every parameter (none, with an error, if a gradient or update is not finite)."""
        grads = self._gradients()
        t = self.t + 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t  # bias corrections: the moments start at 0
        m, s, new = list(self.m), list(self.s), []
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            m[i] = b1 * m[i] + (1.0 - b1) * g
            # s is kept as its square root r = √s: r ← √(β₂r² + (1 − β₂)g²) = hypot(√β₂·r, √(1 − β₂)·g),
            # which never squares g, so a gradient of 1e200 does not overflow (g² would be inf).
            s[i] = math.hypot(math.sqrt(b2) * s[i], math.sqrt(1.0 - b2) * g)
            new.append(p.data - self.lr * (m[i] / c1) / (s[i] / math.sqrt(c2) + self.eps))
        self._write(new)
        self.t, self.m, self.s = t, m, s
