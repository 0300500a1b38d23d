"""Networks and training on Values: modules, losses, optimizers, datasets and the training loop.

``autograd_tiny.nn`` itself holds the networks (``MLP``, ``Layer``, ``Neuron``, ``Module``, from
modules.py), the losses (losses.py) and the PyTorch bridge (bridge.py: ``to_torch``, ``from_torch``), as
``nn.MLP`` and ``nn.mse_loss``; ``optim.py`` (SGD, Adam), ``data.py`` (the datasets) and ``train.py``
(the loop and its progress bar) are its other files.
"""

from autograd_tiny.nn.bridge import from_torch, to_torch
from autograd_tiny.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from autograd_tiny.nn.modules import ACTIVATIONS as ACTIVATIONS
from autograd_tiny.nn.modules import INITS as INITS
from autograd_tiny.nn.modules import MAX_PARAMETERS as MAX_PARAMETERS
from autograd_tiny.nn.modules import MLP, Layer, Module, Neuron

__all__ = [
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "from_torch",
    "hinge_loss",
    "mse_loss",
    "to_torch",
]
