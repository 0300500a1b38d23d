"""House style, checked: ruff is clean, every public name has a docstring and type hints."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import shutil
import subprocess
from pathlib import Path

import autograd_tiny

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is part of the test extra: pip install -e '.[test]'"
    out = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def _public_objects():
    for info in pkgutil.iter_modules(autograd_tiny.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"autograd_tiny.{info.name}")
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
