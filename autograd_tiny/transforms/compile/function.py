"""One function of the inputs: ``to_python`` writes it, ``compile`` runs it (a long graph in pieces)."""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from autograd_tiny.core.engine import Constant, Value, finite
from autograd_tiny.core.graph import topological_order
from autograd_tiny.transforms.compile.record import (
    check_inputs,
    check_root,
    first_difference,
    record_graph,
    refuse_custom,
    replay,
)
from autograd_tiny.transforms.compile.writer import (
    Names,
    Writer,
    finite_check,
    identifier,
    import_lines,
    indented,
    shown_names,
    tuple_display,
    unpacking,
)

# ---------------------------------------------------------------------------------------------
# One function of the inputs: to_python and compile.
# ---------------------------------------------------------------------------------------------


class _Source(NamedTuple):
    """A generated function: its text, its parameters' names, its counts of nodes and steps."""

    text: str
    params: list[str]
    nodes: int
    steps: int


def function_source(
    root: Value,
    inputs: Sequence[Value],
    name: str,
    order: Sequence[Value] | None = None,
    bases: dict[int, str] | None = None,
) -> _Source:
    """The source of ``name(*inputs) -> (root, [gradients])``, with its parameters and counts.

    ``order`` (the op nodes, parents first) defaults to the graph's; ``inputs`` are then leaves.
    ``compile_batch`` passes the loss's own nodes, with examples' outputs among the inputs (named
    by ``bases``).
    """
    full = topological_order(root)
    if order is None:
        refuse_custom(full)
        order = [n for n in full if n.parents]  # the inputs are leaves
    # index as trace numbers its rows (constants left out), so t7 here is n7 there
    rows = [n for n in full if not isinstance(n, Constant) or n is root]
    index = {id(n): i for i, n in enumerate(rows)}
    names = Names({name})
    shown = shown_names(rows)
    bases = bases or {}
    params = [names.add(v, index.get(id(v), k), shown, bases.get(id(v))) for k, v in enumerate(inputs)]
    for n in order:  # an unlabelled root is y, as in y = f(x)
        names.add(n, index[id(n)], shown, "y" if n is root and not n.label else None)
    root_code = names.code.get(id(root))
    # ∂L/∂…: named after the root's label; an unlabelled root is called y
    label = names.shown.get(id(root)) if root.label else "y"
    d = names.fresh("d" + (identifier(root.label) or "y"))
    in_graph = {id(n) for n in full}
    w = Writer(order, names, [v for v in inputs if id(v) in in_graph], d, seeded=[root])
    doc = (
        f'"""{label} and its gradient with respect to {", ".join(params) or "nothing"}, by the chain rule."""'
    )
    start = []  # the root's gradient, 1, and the inputs' gradients' first values, 0
    if id(root) in w.grad:
        start = [f"{w.grad[id(root)]} = 1.0", *w.zero_lines({id(root)})]
    grads = [w.grad.get(id(v), "0.0") for v in inputs]
    result = f"return {root_code or repr(root.data)}, [{', '.join(grads)}]"
    if len(order) > _PIECE:
        text = _in_pieces(name, params, doc, start, order, w, [g for g in grads if g != "0.0"], result)
        return _Source(text, params, len(order), w.steps)
    body = [doc, "# forward pass: one line per node, parents first", *w.forward]
    if start:
        body.append(
            f"# backward pass: ∂{label}/∂u += ∂v/∂u · ∂{label}/∂v for each node v and parent u, "
            "children first"
        )
        body += [*start, *w.backward]
    checked = w.values + [g for g in grads if g != "0.0"]
    body += finite_check(tuple_display(checked), name) if checked else []
    body.append(result)
    head = f"def {name}({', '.join(params)}):"
    return _Source("\n".join([head, *indented(body)]) + "\n", params, len(order), w.steps)


# ---------------------------------------------------------------------------------------------
# A long graph in pieces.
# ---------------------------------------------------------------------------------------------

# Op nodes per function in a long graph. CPython numbers a function's variables, and a variable
# numbered beyond 255 (65,535) costs an extra instruction (two) at every use: the compiled chain
# of 10^6 ops ran at 1.7× the time per node of 10^4 in one function. In pieces of 10^4 nodes, each
# with its own variables, a node costs what it costs in a graph of 10^4.
_PIECE = 10_000
_WORD = re.compile(r"\b(?!\d)\w+")  # the names in a line of code (θ, ŷ too), keywords, functions


def _block(lines: Sequence[str]) -> tuple[dict[str, None], dict[str, None]]:
    """The names a block of generated lines reads before it writes them, and those it writes (in
    order of first use). Every line is ``target = expr``, ``target += expr`` or ``target -= expr``."""
    reads: dict[str, None] = {}
    writes: dict[str, None] = {}
    for line in lines:
        target, op, expr = line.split("  # ", 1)[0].split(" ", 2)
        for word in _WORD.findall(expr):
            if word not in writes:
                reads[word] = None
        if op != "=" and target not in writes:  # += reads its target first
            reads[target] = None
        writes[target] = None
    return reads, writes


def _in_pieces(
    name: str, params: list[str], doc: str, start: list[str], order: Sequence[Value], w: Writer,
    grads: list[str], result: str,
) -> str:  # fmt: skip
    """The source of ``name`` for a long graph: functions of ``_PIECE`` nodes' forward lines, then
    one per piece for its backward lines (last piece first), called in turn by ``name``, which
    passes each number from the function that makes it to the functions that use it.

    ``start``: the lines that give the root's gradient and the inputs' gradients their first
    values. The lines are those of the function in one piece, in the same order, so the numbers
    are the same, bit for bit. A piece's forward values that only its own backward function reads
    travel as one tuple, so ``name`` holds few variables however long the graph."""
    cuts = range(0, len(order), _PIECE)
    k = len(cuts)
    # the blocks of lines in the order they run: forward 1, …, k, then backward k, …, 1
    blocks = [
        (w.names.fresh(f"{name}_forward_{i + 1}"), w.forward[a : a + _PIECE], i) for i, a in enumerate(cuts)
    ]
    for i in reversed(range(k)):
        lines = [
            line for n in reversed(order[cuts[i] : cuts[i] + _PIECE]) for line in w.steps_of.get(id(n), ())
        ]
        if lines:
            blocks.append((w.names.fresh(f"{name}_backward_{i + 1}"), lines, i))
    scanned = [_block(lines) for _, lines, _ in blocks]
    variables = (
        set(params) | set(_WORD.findall(" ".join(start))) | {v for _, writes in scanned for v in writes}
    )
    ins = [[v for v in reads if v in variables] for reads, _ in scanned]
    readers: dict[str, list[int]] = {}  # a name → the blocks that read it, in the order they run
    for b, names in enumerate(ins):
        for v in names:
            readers.setdefault(v, []).append(b)
    last = set(grads) | set(_WORD.findall(result))  # what the whole function checks and returns
    back = {i: b for b, (_, _, i) in enumerate(blocks) if b >= k}  # piece → its backward block
    saved: dict[int, tuple[str, list[str]]] = {}  # piece → its tuple's name in ``name``, its values
    top = [
        doc,
        f"# {len(order):,} nodes: the forward pass in functions of {_PIECE:,} nodes, then the backward "
        "pass of each, last first",
    ]
    functions = []
    for b, ((fn, lines, i), (_, writes)) in enumerate(zip(blocks, scanned, strict=True)):
        piece = order[cuts[i] : cuts[i] + _PIECE]
        first, end = w.names.code[id(piece[0])], w.names.code[id(piece[-1])]
        nodes = f"{first} to {end}" if end != first else first
        body = [f'"""The {"forward" if b < k else "backward"} pass of {nodes}."""', *lines]
        args, call = ins[b], ins[b]
        if b == k:  # the backward pass begins
            top += start
        if b >= k and i in saved:  # this piece's own forward values, from its tuple
            tuple_name, values = saved[i]
            body.insert(1, f"{unpacking(values)} = saved")
            args = ["saved", *[v for v in args if v not in set(values)]]
            call = [tuple_name, *args[1:]]
        outs = [v for v in writes if v in last or any(r > b for r in readers.get(v, ()))]
        returned = list(outs)
        if b < k:
            body += finite_check(tuple_display(list(writes)), fn, "a value")
            own = [v for v in outs if v not in last and i in back and readers[v] == [back[i]]]
            if own:
                saved[i] = (w.names.fresh(f"saved_{i + 1}"), own)
                returned = [v for v in outs if v not in set(own)] + [tuple_display(own)]
                outs = [v for v in outs if v not in set(own)] + [saved[i][0]]
        if returned:
            body.append(f"return {', '.join(returned)}")
        functions.append("\n".join([f"def {fn}({', '.join(args)}):", *indented(body)]) + "\n")
        called = f"{fn}({', '.join(call)})"
        top.append(f"{', '.join(outs)} = {called}" if outs else called)
    if len(blocks) == k:  # no gradient to compute
        top += start
    top += finite_check(tuple_display(grads), name, "a gradient") if grads else []
    top.append(result)
    functions.append("\n".join([f"def {name}({', '.join(params)}):", *indented(top)]) + "\n")
    return "\n\n".join(functions)


def module_source(functions: Sequence[str]) -> str:
    """Generated functions with the imports they need: a file that runs as it is."""
    source = "\n\n".join(functions)
    return "\n".join(import_lines(source)) + "\n\n\n" + source


def _function_name(name: object) -> str:
    """A valid name for the generated function: a TypeError if not a str, a ValueError if not a name."""
    if not isinstance(name, str):
        raise TypeError(f"compile: name must be a str (a Python identifier), got {type(name).__name__}")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"compile: name must be a Python identifier, got {name!r}")
    return name


def to_python(root: Value, inputs: Sequence[Value], name: str = "f") -> str:
    """The source of a function of the inputs' numbers that returns (root, [∂root/∂input, ...]).

    One line per node, one per chain-rule step, each with its formula as a comment; the same float
    expressions as the engine in the engine's order, so the numbers are the engine's, bit for bit.
    A graph of more than 10,000 op nodes comes in pieces of 10,000 nodes, each a function.
    """
    root = check_root(root)
    inputs = check_inputs(inputs)
    return module_source([function_source(root, inputs, _function_name(name)).text])


def run_source(source: str, filename: str) -> dict[str, Any]:
    """Run generated source in a namespace of its own and return that namespace."""
    namespace: dict[str, Any] = {"__name__": "autograd_tiny.compiled"}
    exec(builtins.compile(source, filename, "exec"), namespace)
    return namespace


def as_floats(values: Sequence[Any], what: Sequence[str]) -> Sequence[float]:
    """The inputs as finite floats: as they are when they already are (one quick look at each),
    else each through ``finite``, whose error names it as ``what[i]``."""
    for x in values:
        if type(x) is not float or x - x != 0.0:  # x − x is 0 for a finite x, NaN for ±inf and NaN
            return [finite(v, w) for v, w in zip(values, what, strict=True)]
    return values


class Compiled:
    """A recorded graph compiled to Python: call it with the inputs' numbers for (root, gradients).

    ``.source`` is the code; the numbers are the engine's, bit for bit. ``check(root, inputs)``
    refuses a graph whose structure differs from the compiled one.
    """

    def __init__(
        self,
        root: Value,
        inputs: Sequence[Value],
        name: str = "f",
        function: Callable[..., Value] | None = None,
        check: bool = False,
    ) -> None:
        """Compile the graph of ``root`` as a function of ``inputs`` (use ``compile``)."""
        root = check_root(root)
        inputs = check_inputs(inputs)
        self.name = _function_name(name)
        made = function_source(root, inputs, self.name)
        self.source = module_source([made.text])
        self.nodes, self.steps = made.nodes, made.steps  # op nodes, chain-rule steps
        self._fn = run_source(self.source, f"<compiled {self.name}>")[self.name]
        order = topological_order(root)
        self._entries = record_graph(order, inputs)
        self._labels = [n.label for n in order]
        self.input_names = [v.label for v in inputs]
        self._what = [
            f"{self.name}: input {i} ({label or 'unlabelled'})" for i, label in enumerate(self.input_names)
        ]
        self._params = ", ".join(made.params)
        self._function = function
        self.checks = bool(check) and function is not None

    def __call__(self, *xs: float) -> tuple[float, list[float]]:
        """(root, [∂root/∂input for each input]) at these numbers, one per input, in order."""
        if len(xs) != len(self.input_names):
            raise TypeError(
                f"{self.name}() takes {len(self.input_names)} numbers ({self._params}), got {len(xs)}"
            )
        values = as_floats(xs, self._what)
        if self.checks:
            self._check_function(values)
        try:
            return self._fn(*values)
        except (ArithmeticError, ValueError):
            # not finite somewhere, or a domain error: the engine says where, in its own words (or,
            # if the check was only cautious, gives the numbers)
            nodes, grads = replay(self._entries, self._labels, values, len(values))
            return nodes[-1].data, grads

    def _check_function(self, values: Sequence[float]) -> None:
        """Build the function's graph at these numbers and compare it with the compiled one."""
        xs = [Value(v, label) for v, label in zip(values, self.input_names, strict=True)]
        root = self._function(*xs)  # type: ignore[misc]
        if not isinstance(root, Value):
            raise TypeError(f"compile: {self.name} must return a Value, got {type(root).__name__}")
        self.check(root, xs)

    def check(self, root: Value, inputs: Sequence[Value]) -> None:
        """Raise a ValueError naming the first difference if ``root``'s graph (with ``inputs`` in the
        places of the compiled inputs) is not the compiled one: its ops, wiring, constants, leaves."""
        root = check_root(root)
        inputs = check_inputs(inputs)
        if len(inputs) != len(self.input_names):
            raise ValueError(
                f"compile: check got {len(inputs)} inputs, the compiled function has {len(self.input_names)}"
            )
        order = topological_order(root)
        refuse_custom(order)
        difference = first_difference(
            self._entries,
            record_graph(order, inputs),
            self._labels,
            [n.label for n in order],
            self.input_names,
        )
        if difference:
            raise ValueError(
                f"compile: this graph is not the one compiled as {self.name}: {difference}; "
                "compile it again (the graph depends on the numbers, e.g. through an `if` on a value)"
            )

    def __repr__(self) -> str:
        """Compiled f(x, w1, …) → L: 5 nodes, 9 chain-rule steps."""
        checked = ", checked against its function on every call" if self.checks else ""
        steps = f"{self.nodes} nodes, {self.steps} chain-rule steps"
        return f"<Compiled {self.name}({self._params}): {steps}{checked}>"


def compile(
    root: Value | Callable[..., Value],
    inputs: Sequence[Value] | Sequence[float],
    name: str | None = None,
    check: bool = True,
) -> Compiled:
    """``compile(root, inputs)``: the recorded graph as a callable of the inputs' numbers.

    ``compile(f, example_inputs)``: build f's graph at these numbers (inputs labelled by f's
    parameters) and compile it; each call then rebuilds the graph to check that it is the same
    (``check=False`` skips that, for a function whose graph never depends on its numbers).
    """
    if isinstance(root, Value) or not callable(root):
        return Compiled(check_root(root), check_inputs(inputs), _function_name("f" if name is None else name))
    f = root
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"compile: example_inputs must be a list of numbers, got {type(inputs).__name__}")
    try:
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        params = [p.name for p in inspect.signature(f).parameters.values() if p.kind in positional]
    except (TypeError, ValueError):  # a builtin without a signature
        params = []
    labels = [
        p if k < len(params) and identifier(p) == p else f"x{k}" for k, p in enumerate(params[: len(inputs)])
    ]
    labels += [f"x{k}" for k in range(len(labels), len(inputs))]
    xs = [
        Value(finite(x, f"compile: example input {k}"), label)
        for k, (x, label) in enumerate(zip(inputs, labels, strict=True))
    ]
    out = f(*xs)
    if not isinstance(out, Value):
        raise TypeError(f"compile: the function must return a Value, got {type(out).__name__}")
    fname = getattr(f, "__name__", "f")
    if name is None:
        name = fname if fname.isidentifier() and not keyword.iskeyword(fname) else "f"
    fname = name
    return Compiled(out, xs, _function_name(fname), function=f, check=check)
