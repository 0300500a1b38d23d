"""The short import paths: ``autograd_tiny.trace`` is ``autograd_tiny.views.trace``, and so on.

The package is layered (core, transforms, nn, views, teach, cli), and every module keeps the short
name it is known by in the README, the notebooks and the docstrings. ``SHORT`` is the table; a
short name is the very same module object as the long one (no copy, no wrapper), so a class or a
setting reached either way is one thing. A module that the package imports anyway is registered
at once; the others (graphviz drawings, the teaching material) only when first imported.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

SHORT: dict[str, str] = {
    "rules": "core.rules",
    "engine": "core.engine",
    "graph": "core.graph",
    "functional": "core.functional",
    "higher": "transforms.higher",
    "gradcheck": "transforms.gradcheck",
    "compile": "transforms.compile",
    "losses": "nn.losses",
    "optim": "nn.optim",
    "data": "nn.data",
    "train": "nn.train",
    "bridge": "nn.bridge",
    "trace": "views.trace",
    "viz": "views.viz",
    "stepper": "views.stepper",
    "plot": "views.plot",
    "examples": "teach.examples",
    "pitfalls": "teach.pitfalls",
    "matrix": "teach.matrix",
    "practice": "teach.practice",
    "expr": "cli.expr",
}
PACKAGE = "autograd_tiny"


class ShortPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook that answers ``import autograd_tiny.<short>`` with the layered module."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        """A spec for a short name of this package; None for every other module."""
        package, _, short = fullname.partition(".")
        if package != PACKAGE or short not in SHORT:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def __init__(self) -> None:
        """A hook with no modules aliased yet."""
        self.specs: dict[str, importlib.machinery.ModuleSpec | None] = {}  # module name → its own spec

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The layered module itself (imported now if it was not)."""
        module = importlib.import_module(f"{PACKAGE}.{SHORT[spec.name.partition('.')[2]]}")
        self.specs[module.__name__] = module.__spec__  # the import system sets the short spec next
        return module

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module ran under its own name. Its own spec is put back."""
        module.__spec__ = self.specs[module.__name__]


def register(name: str) -> None:
    """Give every already-imported layered module its short name now, and install the hook for the rest."""
    package = sys.modules[name]
    for short, long in SHORT.items():
        module = sys.modules.get(f"{PACKAGE}.{long}")
        if module is not None:
            sys.modules.setdefault(f"{PACKAGE}.{short}", module)
            if not hasattr(package, short):  # trace and compile are the functions of those names
                setattr(package, short, module)
    if not any(isinstance(f, ShortPaths) for f in sys.meta_path):
        sys.meta_path.append(ShortPaths())
