"""autograd_tiny: a scalar reverse-mode automatic differentiation engine for learning backpropagation."""

from autograd_tiny import functional
from autograd_tiny.compile import compile, to_python
from autograd_tiny.engine import Value
from autograd_tiny.gradcheck import gradcheck
from autograd_tiny.graph import topological_order
from autograd_tiny.higher import grad, gradients, hessian, jacobian, jvp
from autograd_tiny.nn import (
    MLP,
    Layer,
    Module,
    Neuron,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from autograd_tiny.optim import SGD, Adam
from autograd_tiny.trace import trace  # the function; the module stays importable by its full name

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Value",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "compile",
    "cross_entropy",
    "draw_dot",
    "functional",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "hinge_loss",
    "jacobian",
    "jvp",
    "mse_loss",
    "step_through",
    "to_dot",
    "to_python",
    "topological_order",
    "trace",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``draw_dot``, ``to_dot`` and ``step_through``, imported on first use (graphviz is slow to import)."""
    if name in ("draw_dot", "to_dot"):
        from autograd_tiny import viz

        return getattr(viz, name)
    if name == "step_through":
        from autograd_tiny.stepper import step_through

        return step_through
    raise AttributeError(f"module 'autograd_tiny' has no attribute {name!r}")
