"""Plots of a training run: the loss curve and the decision boundary (matplotlib, an extra).

The figure is made with pyplot, so whatever backend is active shows it: a Jupyter kernel's inline
backend once, when the cell ends; a desktop window on ``plt.show()``; and on a machine without a
display matplotlib itself picks Agg. The backend is never chosen or switched here: calling
``matplotlib.use`` inside a running kernel would silence every later figure of the notebook.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from autograd_tiny.nn import MLP
from autograd_tiny.nn.train import History, predict


def _pyplot() -> Any:
    """matplotlib.pyplot with the backend the session already has, or an ImportError saying how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plotting needs matplotlib: pip install 'autograd-tiny[plot]' (or pip install matplotlib)"
        ) from None
    return plt


@dataclass(frozen=True, repr=False)
class TrainingPlot:
    """What ``plot_training`` drew: the figure and its axes.

    It prints as one line rather than as a picture: Jupyter already shows the figure once when the
    cell ends, and a Figure as the cell's last value would show it a second time.
    """

    figure: Any
    loss_axes: Any
    accuracy_axes: Any
    boundary_axes: Any
    steps: int

    def __repr__(self) -> str:
        """<TrainingPlot: N steps, loss and accuracy, decision boundary>."""
        return f"<TrainingPlot: {self.steps} steps, loss and accuracy, decision boundary>"


def plot_training(
    model: MLP, X: np.ndarray, y: np.ndarray, history: History, path: str | None = None
) -> TrainingPlot:
    """Loss and accuracy curves (left) and the decision boundary (right); written to ``path`` if given."""
    plt = _pyplot()
    fig, (ax_loss, ax_db) = plt.subplots(1, 2, figsize=(11, 4.5))
    steps = np.arange(1, len(history.loss) + 1)
    ax_loss.plot(steps, history.loss, color="tab:blue", label="loss")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss", color="tab:blue")
    ax_acc = ax_loss.twinx()
    ax_acc.plot(steps, history.accuracy, color="tab:orange", label="accuracy")
    ax_acc.set_ylabel("training accuracy", color="tab:orange")
    ax_acc.set_ylim(0, 1.05)
    ax_loss.set_title("loss and accuracy")

    # decision boundary: the model's score on a grid; the boundary is where the score is 0
    pad = 0.5
    xs = np.linspace(X[:, 0].min() - pad, X[:, 0].max() + pad, 60)
    ys = np.linspace(X[:, 1].min() - pad, X[:, 1].max() + pad, 60)
    gx, gy = np.meshgrid(xs, ys)
    scores = predict(model, np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    ax_db.contourf(gx, gy, scores > 0, alpha=0.3, cmap="coolwarm", levels=[-0.5, 0.5, 1.5])
    ax_db.contour(gx, gy, scores, levels=[0.0], colors="k", linewidths=1)
    ax_db.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=25)
    ax_db.set_title("decision boundary")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)  # savefig renders with Agg whatever the session's backend is
    return TrainingPlot(fig, ax_loss, ax_acc, ax_db, len(history.loss))
