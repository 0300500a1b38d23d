"""Optimizers: ``SGD`` (with momentum and weight decay) and ``Adam``.

Each holds a list of parameters (Values) and, on ``step()``, moves every parameter p against its
gradient g = ∂L/∂p, read from ``p.grad``. The update rules (PyTorch's conventions):

    SGD:   g ← g + λp;   v ← μv + g;   p ← p − η v          (η lr, μ momentum, λ weight decay)
    Adam:  m ← β₁m + (1 − β₁)g;   s ← β₂s + (1 − β₂)g²;   m̂ = m/(1 − β₁ᵗ);   ŝ = s/(1 − β₂ᵗ)
           p ← p − η m̂ / (√ŝ + ε)
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

from autograd_tiny.engine import Value


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
        """One update of every parameter."""
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data
            if self.momentum:
                g = self.velocity[i] = self.momentum * self.velocity[i] + g
            p.data -= self.lr * g


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
        self.s = [0.0] * len(self.params)

    def step(self) -> None:
        """One update of every parameter."""
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t  # bias corrections: the moments start at 0
        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g
            self.s[i] = b2 * self.s[i] + (1.0 - b2) * g * g
            p.data -= self.lr * (self.m[i] / c1) / (math.sqrt(self.s[i] / c2) + self.eps)
