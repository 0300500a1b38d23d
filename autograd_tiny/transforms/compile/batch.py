"""``compile_batch``: a loss over many examples, a forward and a backward function per example structure."""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd_tiny.core.engine import Constant, Value
from autograd_tiny.core.graph import topological_order
from autograd_tiny.transforms.compile.function import as_floats, function_source, module_source, run_source
from autograd_tiny.transforms.compile.record import (
    check_inputs,
    check_root,
    record_graph,
    refuse_custom,
    replay,
)
from autograd_tiny.transforms.compile.writer import (
    Names,
    Writer,
    finite_check,
    identifier,
    indented,
    shown_names,
    tuple_display,
    unpacking,
)

# ---------------------------------------------------------------------------------------------
# A loss over many examples: one function per example structure.
# ---------------------------------------------------------------------------------------------


class _Example:
    """One example's part of a batch graph: its nodes (parents first), outputs and data leaves."""

    def __init__(self, nodes: list[Value], outputs: list[Value], params: dict[int, int]) -> None:
        self.nodes, self.outputs = nodes, outputs
        local = {id(n): i for i, n in enumerate(nodes)}
        self.data: list[Value] = []  # the leaves that are neither parameters nor constants: its x
        where: dict[int, int] = {}
        entries = []
        for n in nodes:
            refs = []
            for p in n.parents:
                if id(p) in local:
                    refs.append(("node", local[id(p)]))
                elif id(p) in params:
                    refs.append(("param", params[id(p)]))
                elif isinstance(p, Constant):
                    refs.append(("constant", repr(p.data)))
                else:
                    if id(p) not in where:
                        where[id(p)] = len(self.data)
                        self.data.append(p)
                    refs.append(("data", where[id(p)]))
            entries.append((n.op, tuple(refs)))
        # examples with equal structures share one branch of the forward and backward functions
        self.structure = (tuple(entries), tuple(local[id(o)] for o in outputs))
        self.values = tuple(p.data for p in self.data)


class CompiledBatch:
    """A loss over many examples compiled piece by piece: a forward and a backward function looping
    over the examples (a branch per example structure, reused for every example that has it), and
    one function for the loss on top.

    Call it with the parameters' numbers: (loss, [∂loss/∂parameter, ...], [each example's outputs]),
    the engine's numbers bit for bit. The examples' data (their x) are fixed when it is compiled.
    """

    def __init__(
        self, root: Value, inputs: Sequence[Value], outputs: Sequence[Sequence[Value] | Value]
    ) -> None:
        """Compile (use ``compile_batch``)."""
        root = check_root(root)
        params = check_inputs(inputs)
        if not params:
            raise ValueError("compile_batch: inputs must list at least one parameter to differentiate by")
        if isinstance(outputs, (Value, str, bytes)) or not isinstance(outputs, Sequence) or not outputs:
            raise TypeError(
                "compile_batch: outputs must be a non-empty list with each example's output node(s)"
            )
        groups = []
        for e, o in enumerate(outputs):  # each example: one output node, or a list of them
            if not isinstance(o, (Value, list, tuple)):
                raise TypeError(f"compile_batch: outputs[{e}] must be a Value or a list of Values")
            groups.append([o] if isinstance(o, Value) else list(o))
        order = topological_order(root)
        refuse_custom(order)
        pos = {id(n): i for i, n in enumerate(order)}
        param_index = {id(p): k for k, p in enumerate(params)}
        owner = self._owners(groups, pos)
        ops = [n for n in order if n.parents]
        top = [n for n in ops if id(n) not in owner]
        self._check_layout(ops, top, owner, groups, param_index)
        members: list[list[Value]] = [[] for _ in groups]
        for n in ops:
            if id(n) in owner:
                members[owner[id(n)]].append(n)
        examples = [_Example(m, g, param_index) for m, g in zip(members, groups, strict=True)]
        # backward: the examples in reverse order of where the engine's order places them
        self._backward_order = sorted(range(len(examples)), key=lambda e: -pos[id(members[e][0])])

        # one forward and one backward function, each a loop over the examples with a branch per
        # structure; gradients named ∂L/∂… after the loss (y if unlabelled)
        d = "d" + (identifier(root.label) or "y")
        structures: dict[tuple, int] = {}
        kinds: list[_Example] = []  # the first example of each structure
        for ex in examples:
            if ex.structure not in structures:
                structures[ex.structure] = len(structures) + 1
                kinds.append(ex)
        flat = [o for g in groups for o in g]
        bases = {id(o): f"ex{e}_{identifier(o.label) or 'out'}" for e, g in enumerate(groups) for o in g}
        top_source = function_source(root, [*params, *flat], "loss", order=top, bases=bases).text
        self.source = module_source([top_source, *self._example_functions(kinds, params, d)])
        namespace = run_source(self.source, "<compiled batch>")
        self._top, self._forward = namespace["loss"], namespace["forward"]
        self._backward = namespace["backward"]
        self._examples = [(structures[ex.structure], ex.values) for ex in examples]
        # backward visits the examples in its order, each with its outputs' gradients grads[a:b]
        starts = [len(params)]
        for g in groups:
            starts.append(starts[-1] + len(g))
        self._seeds = [(e, starts[e], starts[e + 1]) for e in self._backward_order]
        self.structures = len(structures)
        self.examples_per_structure = [0] * len(structures)
        for ex in examples:
            self.examples_per_structure[structures[ex.structure] - 1] += 1
        self.n_params = len(params)
        self._what = [f"compiled batch: parameter {k}" for k in range(len(params))]
        self._entries = record_graph(order, params)
        self._labels = [n.label for n in order]
        self._output_positions = [[pos[id(o)] for o in g] for g in groups]

    @staticmethod
    def _owners(groups: list[list[Value]], pos: dict[int, int]) -> dict[int, int]:
        """For each node of an example (its outputs and everything computed on the way to them from
        leaves), the example's index; a node two examples share is an error."""
        owner: dict[int, int] = {}
        for e, g in enumerate(groups):
            for o in g:
                if not isinstance(o, Value) or not o.parents:
                    raise ValueError(
                        f"compile_batch: example {e}'s outputs must be computed Values (op nodes)"
                    )
                if id(o) not in pos:
                    raise ValueError(
                        f"compile_batch: an output of example {e} ({o.label or o.op}) is not in the graph "
                        "of the loss"
                    )
            stack = list(g)
            while stack:
                n = stack.pop()
                if id(n) in owner:
                    if owner[id(n)] != e:
                        raise ValueError(
                            f"compile_batch: {n.label or n.op} belongs to examples {owner[id(n)]} and {e}: "
                            "examples may share only parameters and leaves"
                        )
                    continue
                owner[id(n)] = e
                stack.extend(p for p in n.parents if p.parents)
        return owner

    @staticmethod
    def _check_layout(
        ops: list[Value],
        top: list[Value],
        owner: dict[int, int],
        groups: list[list[Value]],
        params: dict[int, int],
    ) -> None:
        """Refuse a graph whose engine order could not be kept example by example (ValueError)."""
        outputs = {id(o) for g in groups for o in g}
        for n in top:
            for p in n.parents:
                if p.parents and id(p) in owner and id(p) not in outputs:
                    raise ValueError(
                        f"compile_batch: the loss reads {p.label or p.op}, inside example {owner[id(p)]}: "
                        "list it among that example's outputs"
                    )
        # the engine visits each example's nodes one after another, and the loss's own uses of the
        # parameters (a penalty Σ p²) before every example: then each example can run as one call
        span: dict[int, list[int]] = {}
        last_example = -1
        for i, n in enumerate(ops):
            if id(n) in owner:
                span.setdefault(owner[id(n)], []).append(i)
                last_example = i
        for e, at in span.items():
            if at[-1] - at[0] + 1 != len(at):
                raise ValueError(
                    f"compile_batch: example {e}'s nodes are not consecutive in the graph's order"
                )
        for i, n in enumerate(ops):
            if id(n) not in owner and i < last_example and any(id(p) in params for p in n.parents):
                raise ValueError(
                    f"compile_batch: the loss uses the parameters ({n.label or n.op}) before the last "
                    "example's nodes: build the loss from the examples' terms first"
                )

    @staticmethod
    def _example_functions(kinds: list[_Example], params: list[Value], d: str) -> list[str]:
        """The source of forward(params, examples) and backward(params, examples, grads): each a loop
        over the examples, with one branch per structure when there are several."""
        reserved = {"forward", "backward", "examples", "outputs", "structure"}
        base = Names(reserved)
        shown_params = shown_names(params)
        pnames = [base.add(p, i, shown_params) for i, p in enumerate(params)]
        pgrads = {id(p): base.fresh(f"{d}_d{name}") for p, name in zip(params, pnames, strict=True)}
        forward: list[list[str]] = []
        backward: list[list[str]] = []
        used: set[int] = set()  # the parameters whose gradient some structure adds to
        for ex in kinds:
            names = base.copy()
            shown = shown_names([*params, *ex.data, *ex.nodes])
            dnames = [names.add(x, len(params) + i, shown) for i, x in enumerate(ex.data)]
            for i, n in enumerate(ex.nodes):
                names.add(n, len(params) + len(ex.data) + i, shown)
            w = Writer(ex.nodes, names, params, d, pgrads, seeded=ex.outputs)
            used |= {id(p) for p in params if id(p) in w.grad}
            outs = [names.code[id(o)] for o in ex.outputs]
            unpack = [f"{unpacking(dnames)} = data"] if dnames else []
            forward.append([
                *unpack,
                *w.forward,
                f"outputs.append({tuple_display(outs)})",
                f"saved.append({tuple_display(w.values)})",
            ])  # fmt: skip
            backward.append([
                *unpack,
                f"{unpacking(w.values)} = saved",
                f"{unpacking([w.grad.get(id(o), '_') for o in ex.outputs])} = seeds",
                *w.zero_lines({id(p) for p in params} | {id(o) for o in ex.outputs}),
                *w.backward,
            ])  # fmt: skip
        grads = [pgrads[id(p)] if id(p) in used else "_" for p in params]
        unpack = [f"{unpacking(pnames)} = params"] if pnames else []
        return [
            _loop(
                "forward(params, examples)",
                "Every example's forward pass: its outputs, and the values its backward pass reads.",
                [*unpack, "outputs, saved = [], []"],
                "structure, data",
                forward,
                "outputs, saved",
                finite_check("map(sum, saved)", "forward", "a value"),  # every number of every example
            ),
            _loop(
                "backward(params, examples, grads)",
                "Every example's chain-rule steps, added to the gradients in the engine's order.",
                [*unpack, f"{unpacking(grads)} = grads"],
                "structure, data, saved, seeds",
                backward,
                tuple_display([g if g != "_" else f"grads[{i}]" for i, g in enumerate(grads)]),
            ),
        ]

    def __call__(self, values: Sequence[float]) -> tuple[float, list[float], list[tuple[float, ...]]]:
        """(loss, [∂loss/∂parameter], [each example's outputs]) at these parameter numbers."""
        if (
            isinstance(values, (str, bytes))
            or not isinstance(values, Sequence)
            or len(values) != self.n_params
        ):
            raise TypeError(f"compile_batch: call with a list of the {self.n_params} parameters' numbers")
        params = tuple(as_floats(tuple(values), self._what))
        try:
            outs, saved = self._forward(params, self._examples)
            flat = [v for o in outs for v in o]
            loss, grads = self._top(*params, *flat)  # the loss, its gradients: parameters', then outputs'
            examples = [(*self._examples[e], saved[e], grads[a:b]) for e, a, b in self._seeds]
            acc = self._backward(params, examples, tuple(grads[: self.n_params]))
            if not math.isfinite(sum(acc)):
                raise OverflowError("compiled batch: a gradient is not finite")
            return loss, list(acc), outs
        except (ArithmeticError, ValueError):  # the engine names the op (or, if it was only the sum, agrees)
            nodes, grads = replay(self._entries, self._labels, params, self.n_params)
            outs = [tuple(nodes[i].data for i in at) for at in self._output_positions]
            return nodes[-1].data, grads, outs

    def __repr__(self) -> str:
        """CompiledBatch: n examples, k structures, P parameters."""
        return (
            f"<CompiledBatch: {len(self._examples)} examples in {self.structures} structure(s), "
            f"{self.n_params} parameters>"
        )


def _loop(
    head: str, doc: str, before: list[str], targets: str, branches: list[list[str]], result: str,
    after: Sequence[str] = (),
) -> str:  # fmt: skip
    """def head: before; for targets in examples: <the branch of each structure>; after; return result."""
    if len(branches) == 1:
        body = indented(branches[0])
    else:
        body = []
        for k, lines in enumerate(branches, start=1):
            body += [f"{'if' if k == 1 else 'elif'} structure == {k}:", *indented(lines)]
        body = indented(body)
    lines = [f'"""{doc}"""', *before, f"for {targets} in examples:", *body, *after, f"return {result}"]
    return "\n".join([f"def {head}:", *indented(lines)]) + "\n"


def compile_batch(
    root: Value, inputs: Sequence[Value], outputs: Sequence[Sequence[Value] | Value]
) -> CompiledBatch:
    """A loss over many examples, compiled with one code branch per example structure (training).

    ``inputs``: the parameters; ``outputs``: each example's output node(s) (a model's outputs). The
    examples may share only parameters and leaves; the loss built on their outputs gets a function of
    its own. Call the result with the parameters' numbers.
    """
    return CompiledBatch(root, inputs, outputs)
