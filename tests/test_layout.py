"""The layout stays true: layers import downward only, no cycles, no private names across modules,
no file over 800 lines, and the README's map and reading list match the files."""

from __future__ import annotations

import ast
import graphlib
import re
from pathlib import Path

from autograd_tiny.paths import SHORT

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograd_tiny"
README = (ROOT / "README.md").read_text(encoding="utf-8")
LAYERS = ["core", "transforms", "nn", "views", "teach", "cli"]  # each imports only from those before it


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(module: str) -> str:
    """A short path (autograd_tiny.trace) as the module it names (autograd_tiny.views.trace)."""
    head, _, rest = module.partition(".")
    first, _, tail = rest.partition(".")
    if head == "autograd_tiny" and first in SHORT:
        return ".".join(filter(None, ["autograd_tiny", SHORT[first], tail]))
    return module


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names taken, line) for every import of this package in the file, at any depth,
    leaving out those under ``if TYPE_CHECKING:`` (hints only: nothing is imported when it runs)."""
    found = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if (
                isinstance(child, ast.ImportFrom)
                and child.module
                and child.module.split(".")[0] == "autograd_tiny"
            ):
                found.append((_resolve(child.module), [a.name for a in child.names], child.lineno))
            elif isinstance(child, ast.Import):
                for a in child.names:
                    if a.name.split(".")[0] == "autograd_tiny":
                        found.append((_resolve(a.name), [], child.lineno))
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _edges() -> dict[str, set[str]]:
    """module → the modules of this package it imports (``from pkg import mod`` is an edge to mod)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for module, names, _ in _imports(path):
            subs = {_resolve(f"{module}.{n}") for n in names} & MODULES.keys()
            targets = subs or {module}
            if names and len(subs) < len(names):  # some names are not modules: the module itself too
                targets |= {module}
            graph[name] |= targets & MODULES.keys()
    return graph


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as e:
        return e.args[1]
    return None


def test_the_import_graph_has_no_cycle():
    cycle = _cycle(_edges())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_layers_import_downward_only():
    upward = []
    for m, targets in _edges().items():
        for t in targets:
            lm, lt = _layer(m), _layer(t)
            if lm is not None and lt is not None and lt > lm:
                upward.append(f"{m} ({LAYERS[lm]}) imports {t} ({LAYERS[lt]})")
    assert not upward, upward


def test_the_core_imports_nothing_above_it_and_the_package_root_nothing_of_the_cli():
    graph = _edges()
    assert all(
        _layer(t) in (0, None) and t != "autograd_tiny" for m in graph if _layer(m) == 0 for t in graph[m]
    )
    assert not {t for t in graph["autograd_tiny"] if _layer(t) == LAYERS.index("cli")}


def test_no_module_takes_another_modules_private_names():
    taken = []
    for name, path in MODULES.items():
        for module, names, line in _imports(path):
            taken += [f"{path.relative_to(ROOT)}:{line} takes {module}.{n}" for n in names
                      if n.startswith("_") and not n.startswith("__") and module != name]  # fmt: skip
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("autograd")
        ]
        aliases = {a.asname or a.name for node in imported for a in node.names}
        for node in ast.walk(tree):
            private = (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            )
            if private and isinstance(node.value, ast.Name) and node.value.id in aliases:
                taken.append(f"{path.relative_to(ROOT)}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not taken, taken


def test_the_check_finds_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from autograd_tiny.core.engine import _real\nif TYPE_CHECKING:\n    import autograd_tiny.cli\n"
    )
    assert _imports(bad) == [("autograd_tiny.core.engine", ["_real"], 1)]
    assert _resolve("autograd_tiny.trace") == "autograd_tiny.views.trace"
    assert _resolve("autograd_tiny.compile.writer") == "autograd_tiny.transforms.compile.writer"
    graph = _edges()
    assert "autograd_tiny.views.latex" in graph["autograd_tiny.views.trace"]
    assert _cycle(graph) is None
    graph["autograd_tiny.views.latex"].add("autograd_tiny.views.trace")  # what stepper and trace once did
    assert set(_cycle(graph)) == {"autograd_tiny.views.latex", "autograd_tiny.views.trace"}


def test_no_source_file_is_over_800_lines():
    long = {
        str(p.relative_to(ROOT)): n for p in MODULES.values() if (n := len(p.read_text().splitlines())) > 800
    }
    assert not long, long


def test_the_readme_names_the_core_files_and_they_are_at_most_700_lines():
    m = re.search(r"<!-- core-files: (.+?) -->", README)
    assert m, "the README's Reading the engine section has no core-files line"
    files = m.group(1).split()
    assert files and all((ROOT / f).is_file() for f in files), files
    assert all(f.startswith("autograd_tiny/core/") for f in files), files
    total = sum(len((ROOT / f).read_text(encoding="utf-8").splitlines()) for f in files)
    assert total <= 700, f"the core files are {total} lines"
    for i, f in enumerate(files, start=1):  # the reading order in the section is the line's order
        assert re.search(rf"^{i}\. `{re.escape(f)}`", README, re.M), f


def test_the_readme_tree_has_one_line_per_file():
    a = README.index("## What is in the package")
    tree = README[README.index("```text", a) : README.index("```\n", README.index("```text", a) + 7)]
    listed, stack = set(), []
    for line in tree.splitlines()[1:]:
        m = re.match(r"^((?:│   |    )*)(?:├── |└── )?(\S+)", line)
        depth = len(m.group(1)) // 4 if line[:1] in "│├└ " else -1
        name = m.group(2)
        if depth < 0:
            stack = [name.rstrip("/")]
            continue
        stack = [*stack[: depth + 1], name.rstrip("/")]
        if name.endswith(".py"):
            listed.add("/".join(stack))
    files = {str(p.relative_to(ROOT)) for p in MODULES.values()}
    files |= {str(p.relative_to(ROOT)) for p in (ROOT / "benchmarks").glob("*.py")}
    faces = {f for f in files if f.endswith("__init__.py") and f.count("/") > 1}  # a folder's imports only
    assert files - faces - listed == set(), "not in the README's tree"
    assert listed <= files, listed - files
