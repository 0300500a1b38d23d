"""autograd_tiny: a scalar reverse-mode automatic differentiation engine for learning backpropagation."""

from autograd_tiny import paths
from autograd_tiny.core import functional
from autograd_tiny.core.engine import Value
from autograd_tiny.core.graph import topological_order
from autograd_tiny.nn import (
    MLP,
    Layer,
    Module,
    Neuron,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    from_torch,
    hinge_loss,
    mse_loss,
    to_torch,
)
from autograd_tiny.nn.optim import SGD, Adam
from autograd_tiny.transforms.compile import compile, to_python
from autograd_tiny.transforms.gradcheck import gradcheck
from autograd_tiny.transforms.higher import grad, gradients, hessian, jacobian, jvp
from autograd_tiny.views.trace import trace  # the function; the module is autograd_tiny.trace

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
    "from_torch",
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
    "to_torch",
    "topological_order",
    "trace",
]
__version__ = "0.1.0"

paths.register(__name__)  # autograd_tiny.rules, autograd_tiny.viz, …: see paths.py


def __getattr__(name: str) -> object:
    """``draw_dot``, ``to_dot`` and ``step_through``, imported on first use (graphviz is slow to import)."""
    if name in ("draw_dot", "to_dot"):
        from autograd_tiny.views import viz

        return getattr(viz, name)
    if name == "step_through":
        from autograd_tiny.views.stepper import step_through

        return step_through
    raise AttributeError(f"module 'autograd_tiny' has no attribute {name!r}")
