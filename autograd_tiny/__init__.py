"""autograd_tiny: a scalar reverse-mode automatic differentiation engine for learning backpropagation."""

from autograd_tiny.engine import Value
from autograd_tiny.graph import topological_order

__all__ = ["Value", "topological_order"]
__version__ = "0.1.0"
