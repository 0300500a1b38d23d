"""Training a small classifier on 2-D data, the way micrograd's demo does, with a visible history.

The demo set-up: 100 moons points (noise 0.1), ``MLP(2, [16, 16, 1])``, labels y = ±1, the
max-margin loss (1/n) Σ max(0, 1 − yᵢ sᵢ) plus L2 regularisation α Σ p², plain gradient descent
with the learning rate falling linearly from 1.0 toward 0.1, and accuracy = share of sign(sᵢ) = yᵢ.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import numpy as np

from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import Value
from autograd_tiny.nn import losses
from autograd_tiny.nn.modules import MLP


@dataclass
class History:
    """Per step: the loss (data + L2), the training accuracy and the learning rate used."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)


def _signed(y: np.ndarray) -> list[float]:
    """Class labels 0/1 as hinge targets −1/+1."""
    labels = np.asarray(y)
    if not np.isin(labels, (0, 1)).all():
        raise ValueError("train: labels must be 0 or 1 (a binary classifier)")
    return [2.0 * float(v) - 1.0 for v in labels]


def loss_and_accuracy(
    model: MLP, X: np.ndarray, y: np.ndarray, alpha: float = 1e-4, loss: str = "hinge"
) -> tuple[Value, float]:
    """The regularised loss over the whole set (a Value, ready for backward) and the accuracy."""
    total, scores, targets = _loss_graph(model, X, y, alpha, loss)
    return total, _accuracy([s.data for s in scores], targets)


def _loss_graph(
    model: MLP, X: np.ndarray, y: np.ndarray, alpha: float, loss: str
) -> tuple[Value, list[Value], list[float]]:
    """The regularised loss, each example's score sᵢ (a node of the loss's graph) and the targets ±1."""
    if loss not in ("hinge", "bce"):
        raise ValueError(f"train: loss must be 'hinge' or 'bce', got {loss!r}")
    targets = _signed(y)
    scores = [model(list(map(float, x)))[0] for x in X]
    if loss == "hinge":
        data_loss = losses.hinge_loss(scores, targets)
    else:
        data_loss = losses.binary_cross_entropy_with_logits(scores, [(t + 1) / 2 for t in targets])
    params = model.parameters()
    total = data_loss + alpha * F.dot(params, params)  # α Σ p²: one n-ary node, ∂/∂p = 2αp
    return total, scores, targets


def _accuracy(scores: list[float], targets: list[float]) -> float:
    """The share of examples whose score has the target's sign."""
    correct = sum((s > 0) == (t > 0) for s, t in zip(scores, targets, strict=True))
    return correct / len(targets)


class CompiledStep:
    """The loss and its gradients as compiled code (transforms/compile), for ``train(..., compiled=True)``.

    The engine records the loss graph once, at the current parameters; every example shares one
    function (the network), the loss on top has its own. Calling it sets each parameter's ``.grad``
    (as backward would, to the same bits) and returns (loss, accuracy).
    """

    def __init__(
        self, model: MLP, X: np.ndarray, y: np.ndarray, alpha: float = 1e-4, loss: str = "hinge"
    ) -> None:
        """Record and compile the loss of ``model`` on (X, y) (the data are fixed from then on)."""
        from autograd_tiny.transforms.compile import (
            compile_batch,  # imported here: plain training never needs it
        )

        total, scores, self.targets = _loss_graph(model, X, y, alpha, loss)
        self.params = model.parameters()
        self.batch = compile_batch(total, self.params, scores)

    def __call__(self) -> tuple[float, float]:
        """One evaluation at the parameters' current values: (loss, accuracy); fills ``.grad``."""
        value, grads, outputs = self.batch([p.data for p in self.params])
        for p, g in zip(self.params, grads, strict=True):
            p.grad = g
        return value, _accuracy([o[0] for o in outputs], self.targets)


def train(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    steps: int = 100,
    alpha: float = 1e-4,
    loss: str = "hinge",
    lr_start: float = 1.0,
    lr_end: float = 0.1,
    callback: Callable[[int, float, float], None] | None = None,
    compiled: bool = False,
) -> History:
    """Full-batch gradient descent for ``steps`` steps, lr falling linearly from lr_start toward lr_end.

    ``compiled=True`` computes the loss and gradients with code compiled from the graph once
    (transforms/compile): the same history to the last bit, several times faster.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"train: steps must be a positive integer, got {steps!r}")
    for name, v in (("lr_start", lr_start), ("lr_end", lr_end), ("alpha", alpha)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"train: {name} must be a finite number >= 0, got {v!r}")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != model.layers[0].neurons[0].nin or len(X) != len(y):
        raise ValueError(f"train: X must be (n, {model.layers[0].neurons[0].nin}) with one label per row")
    history = History()
    params = model.parameters()
    step = CompiledStep(model, X, y, alpha, loss) if compiled else None
    for k in range(steps):
        if step is not None:
            value, acc = step()
        else:
            total, acc = loss_and_accuracy(model, X, y, alpha, loss)
            model.zero_grad()
            total.backward()
            value = total.data
        lr = lr_start - (lr_start - lr_end) * k / steps  # micrograd's 1.0 − 0.9·k/100
        descend(params, lr)
        history.loss.append(value)
        history.accuracy.append(acc)
        history.lr.append(lr)
        if callback is not None:
            callback(k, value, acc)
    return history


def descend(params: list[Value], lr: float) -> None:
    """p ← p − lr·∂L/∂p for every parameter; if any gradient or new value is not finite, an error
    naming it, and no parameter changes (training diverged: lower the learning rate)."""
    new = [p.data - lr * p.grad for p in params]
    for p, v in zip(params, new, strict=True):
        if not math.isfinite(v):
            raise ValueError(
                f"train: the update of {p.label or 'a parameter'} is {v!r} (gradient {p.grad!r}, "
                f"learning rate {lr!r}): training diverged; no parameter was changed"
            )
    for p, v in zip(params, new, strict=True):
        p.data = v


def predict(model: MLP, X: np.ndarray) -> np.ndarray:
    """The model's first output for each row of X, as a numpy array of floats."""
    return np.array([model(list(map(float, x)))[0].data for x in np.asarray(X, dtype=float)])


class ProgressBar:
    """A one-line progress bar with the loss: redrawn in place on a terminal, a line per 10% otherwise."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        """A bar for ``total`` steps written to ``stream`` (stdout by default)."""
        self.total, self.width = total, width
        self.stream = stream if stream is not None else sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, k: int, loss: float, acc: float) -> None:
        """Show step k (0-based) with its loss and accuracy."""
        done = k + 1
        filled = round(self.width * done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] step {done:>4}/{self.total}  loss {loss:.4f}  acc {acc:6.1%}"
        if self.tty:
            end = "\n" if done == self.total else ""
            self.stream.write("\r" + line + end)
        elif done == self.total or done % max(1, self.total // 10) == 0 or done == 1:
            self.stream.write(line + "\n")
        self.stream.flush()
