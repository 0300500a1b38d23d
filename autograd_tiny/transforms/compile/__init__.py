"""Compile a recorded graph to Python: its forward and backward pass written out as float code.

The engine builds a graph of Value nodes and walks it. ``to_python(root, inputs)`` writes the same
computation out as a Python function of the inputs' numbers, one line per node of the forward pass
and one line per chain-rule step of the backward pass, named in the chapter's notation:

    z2 = w2 * a1 + b2  # z2 = w2·a1 + b2
    ...
    dL_dw2 += a1 * dL_dz2  # ∂z2/∂w2 = a1

Each forward line and each local derivative is the rule table's own expression (``rules.py``), with
its small float functions written out as a student would (``relu(z)`` as ``z if z > 0.0 else 0.0``,
``dot`` as a sum of products, added left to right as ``rules.dot`` adds), and every gradient
receives ``local * upstream`` in the engine's order (reverse topological order), so
``compile(root, inputs)`` returns exactly the engine's numbers, bit for bit, only faster: no nodes
are made and nothing is looked up.

What is compiled is the *recorded* graph: the function computes, for new input numbers, what that
graph computes. Python code with an ``if`` on a value can build a different graph for other numbers;
``Compiled.check(root, inputs)`` compares a fresh graph with the recorded one (ops, wiring,
constants) and raises a ValueError naming the first difference, and ``compile(f, example_inputs)``
compiles a function of Values and, by default, makes that check on every call. (ReLU's derivative
step(z) depends on the data but not the structure: it is computed, like every local derivative.)

Numbers: a Constant (the 10 of ``z2 - 10``) and a leaf that is not an input are written as
literals, and their derivatives are never computed; neither is any gradient that no input needs.
A value or gradient that is not finite, or a domain error, makes ``Compiled`` run the engine on the
recorded graph, so the error is the engine's own, naming the op.

A graph of more than 10,000 op nodes is written in pieces: a function per 10,000 nodes of the
forward pass, one per piece for its backward lines, and the function itself calling them in turn
(the same lines in the same order, so the same bits). One function with a million variables would
run each line slower; in pieces a node costs the same at 10^6 nodes as at 10^4.

``compile_batch`` compiles a training loss over many examples: a forward and a backward function
that loop over the examples (one branch per example structure, reused for every example and step),
and a function for the loss on top; the parameters' gradients are added to in the engine's order.

Files: ``record.py`` (what is recorded of a graph, the check against it, the engine's replay),
``writer.py`` (the lines of code and their comments, node by node), ``function.py`` (``to_python``,
``compile`` and ``Compiled``: one function of the inputs) and ``batch.py`` (``compile_batch``).
"""

from autograd_tiny.transforms.compile.batch import CompiledBatch, compile_batch
from autograd_tiny.transforms.compile.function import Compiled, compile, to_python
from autograd_tiny.transforms.compile.record import Entry as Entry  # the record's rows
from autograd_tiny.transforms.compile.writer import identifier as identifier  # a label as a Python name

__all__ = ["Compiled", "CompiledBatch", "compile", "compile_batch", "to_python"]
