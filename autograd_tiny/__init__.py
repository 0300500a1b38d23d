"""autograd_tiny: a scalar reverse-mode automatic differentiation engine for learning backpropagation."""

from autograd_tiny import functional
from autograd_tiny.engine import Value
from autograd_tiny.graph import topological_order
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
    "cross_entropy",
    "functional",
    "hinge_loss",
    "mse_loss",
    "topological_order",
]
__version__ = "0.1.0"
