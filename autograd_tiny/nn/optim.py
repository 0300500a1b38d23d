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

from autograd_tiny.core.engine import Value


def _hyper(x: object, name: str, low: float, high: float = math.inf, *, open_low: bool = False) -> float:
    """A hyperparameter checked to lie in its range, or a ValueError naming it."""
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if x < low or (open_low and x == low) or x >= high:
        lo = "(" if open_low else "["
        raise ValueError(f"{name} must lie in {lo}{low}, {high}), got {x!r}")
    return float(x)


class Optimizer:
    """Holds the parameters; ``zero_grad()`` resets their gradients."""

    def __init__(self, params: Iterable[Value]) -> None:
        """Keep ``params`` (a list, or a Module's ``parameters()``) in order."""
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"{type(self).__name__}: parameters must be Values, got {type(p).__name__}")

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
        self, params: Iterable[Value], lr: float, momentum: float = 0.0, weight_decay: float = 0.0
    ) -> None:
        """p ← p − lr·v with v ← momentum·v + (g + weight_decay·p)."""
        super().__init__(params)
        self.lr = _hyper(lr, "lr", 0.0, open_low=True)
        self.momentum = _hyper(momentum, "momentum", 0.0, 1.0)
        self.weight_decay = _hyper(weight_decay, "weight_decay", 0.0)
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
        self.lr = _hyper(lr, "lr", 0.0, open_low=True)
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair, got {betas!r}")
        self.betas = (_hyper(betas[0], "betas[0]", 0.0, 1.0), _hyper(betas[1], "betas[1]", 0.0, 1.0))
        self.eps = _hyper(eps, "eps", 0.0, open_low=True)
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
