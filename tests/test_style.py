"""House style and the package surface: ruff is clean, public names have docstrings and type hints."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_tiny

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    out = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _public_objects():
    for info in pkgutil.walk_packages(autograd_tiny.__path__, "autograd_tiny."):  # every layer's files
        if info.name.rpartition(".")[2].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        yield module.__name__, module
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module.__name__}.{name}", obj
                if inspect.isclass(obj):
                    for mname, member in vars(obj).items():
                        generated = dataclasses.is_dataclass(obj) and mname == "__init__"
                        if generated:
                            continue
                        if inspect.isfunction(member) and (not mname.startswith("_") or mname == "__init__"):
                            yield f"{module.__name__}.{name}.{mname}", member
                        elif isinstance(member, (classmethod, staticmethod)) and not mname.startswith("_"):
                            yield f"{module.__name__}.{name}.{mname}", member.__func__


def test_every_public_name_has_a_docstring():
    missing = [name for name, obj in _public_objects() if not (obj.__doc__ or "").strip()]
    assert not missing, missing


def test_public_functions_have_type_hints():
    unhinted = []
    for name, obj in _public_objects():
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
            if any(p.annotation is inspect.Parameter.empty for p in params) or (
                sig.return_annotation is inspect.Signature.empty
            ):
                unhinted.append(name)
    assert not unhinted, unhinted


def test_the_package_exports_what_it_lists():
    from autograd_tiny import draw_dot, gradcheck, to_dot, trace, viz

    for name in autograd_tiny.__all__:
        assert getattr(autograd_tiny, name) is not None, name
    assert draw_dot is viz.draw_dot and to_dot is viz.to_dot
    # the functions share their modules' names; the modules are still reachable in full
    assert trace is sys.modules["autograd_tiny.trace"].trace
    assert gradcheck is sys.modules["autograd_tiny.gradcheck"].gradcheck
    with pytest.raises(AttributeError, match="no attribute 'drawdot'"):
        autograd_tiny.drawdot  # noqa: B018 (the lookup is what is tested)


def test_importing_the_package_does_not_import_graphviz():
    # draw_dot and to_dot load graphviz on first use, so `autograd-tiny trace` starts quickly
    viz = "autograd_tiny.views.viz"
    code = f"import sys, autograd_tiny; print('graphviz' in sys.modules, '{viz}' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
