"""The autograd-tiny command: worked examples, traces and training from a terminal."""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import re
import sys
import textwrap
import time
from typing import NoReturn, TextIO

from autograd_tiny import __version__
from autograd_tiny.cli.expr import FUNCTIONS, clip, shorten
from autograd_tiny.core.engine import Value

PROG = "autograd-tiny"
DESCRIPTION = """\
autograd-tiny: backpropagation you can read. A scalar reverse-mode automatic differentiation
engine prints the forward pass and every chain-rule step of the backward pass, node by node,
reproduces the course's worked examples against their answer keys, and trains a small network."""
EPILOG = """\
examples:
  autograd-tiny demo                                  Example 1 traced and drawn, then a training run
  autograd-tiny examples --list                       the names of the course's worked examples
  autograd-tiny trace "tanh(w*x + b)" w=2 x=1 b=-1    the chain rule, step by step, for any expression
  autograd-tiny train --dataset moons --steps 100     train a 2-16-16-1 network on 2-D points

autograd-tiny COMMAND --help explains each command."""


def cmd_demo(args: argparse.Namespace) -> int:
    """Example 1 forward and backward, traced node by node and drawn; then a short training run."""
    from autograd_tiny.teach.examples import example1
    from autograd_tiny.views.trace import trace
    from autograd_tiny.views.viz import GraphvizNotFound

    problem = _unwritable(args.svg, "--svg", DRAWING_FORMATS)
    if problem:  # say so before anything runs
        return _fail(problem)
    ex = example1()
    note, problem = f"wrote the graph of Example 1 to {args.svg}", None
    try:  # draw first, so that a file that cannot be written fails before anything is printed
        problem = _draw(ex.root, args.svg)
    except GraphvizNotFound as e:
        note = f"(no drawing: {e})"
    if problem:
        return _fail(problem)
    v = ex.nodes
    print(
        "Example 1 of the course's worked examples: the network x → z1 = w1·x + b1 → a1 = ReLU(z1) → "
        "ŷ = z2 = w2·a1 + b2 with the loss L = (ŷ − y)², at x=1, w1=2, b1=0, w2=3, b2=1, y=10"
    )
    print("forward:  " + "  ".join(f"{k} = {v[k].data:g}" for k in ("z1", "a1", "z2", "L")))
    print("backward: " + "  ".join(f"∂L/∂{k} = {v[k].grad:g}" for k in ("z2", "w2", "b2", "z1", "w1", "b1")))
    print()
    print(trace(ex.root))
    print()
    print(ex)
    print()
    print(note)
    print()
    print("A short training run: micrograd's demo, MLP(2, [16, 16, 1]) on 100 moons points")
    _, _, _, history = _train_run("moons", 100, seed=0, n=100, noise=0.1)
    print(f"final loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.0%}")
    return 0


DATASETS = ("moons", "circles", "xor", "spirals")
DRAWING_FORMATS = ("svg", "png", "pdf", "dot")  # what viz.render writes, told by the file's extension
PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff")  # matplotlib's savefig
MAX_STEPS = 1_000_000  # a step on 100 points takes ~50 ms: a million is already a long day
MAX_SAMPLES = 10_000  # full-batch: every step holds a graph of every point (~35 MB per 1,000 points)
MAX_DRAWN = 500  # nodes: Graphviz takes very long to lay out a larger graph


def _layout_problem(e: Exception) -> str | None:
    """What a failed Graphviz layout means for a CLI user, in one line (None: not a layout failure)."""
    import graphviz

    from autograd_tiny.views.viz import LayoutTimeout

    if isinstance(e, LayoutTimeout):
        return (
            f"Graphviz did not finish laying out {e.what} within {e.seconds:g} s: write a .dot file "
            "instead (--dot g.dot), or trace a smaller expression"
        )
    if isinstance(e, graphviz.CalledProcessError):
        message = (e.stderr or b"").decode("utf-8", "replace").strip() or f"status {e.returncode}"
        return f"Graphviz could not draw the graph: {message}"
    return None


def _draw(root: Value, path: str) -> str | None:
    """Draw the graph ending at ``root`` to ``path`` (the extension picks the format), as viz.render
    does, with Graphviz's messages kept off the terminal. Returns what went wrong (a graph too large,
    a layout past viz's time limit, Graphviz's own error), or None; raises GraphvizNotFound when no
    Graphviz can draw the format."""
    import graphviz

    from autograd_tiny.core.graph import topological_order
    from autograd_tiny.views.viz import LayoutTimeout, draw_dot

    size = len(topological_order(root))
    if size > MAX_DRAWN:
        return f"the graph has {size} nodes, too many to draw (at most {MAX_DRAWN}): trace it without --dot"
    drawing = draw_dot(root, max_nodes=MAX_DRAWN)
    fmt = os.path.splitext(path)[1].lower()[1:]
    if fmt == "dot":
        data = drawing.source.encode("utf-8")
    else:
        try:
            data = drawing.pipe(format=fmt)
        except (LayoutTimeout, graphviz.CalledProcessError) as e:
            return _layout_problem(e)
        except OSError as e:  # found but not runnable (permissions, a broken install)
            return f"cannot run Graphviz (dot, or Python for its WebAssembly build): {e.strerror or e}"
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        return f"cannot write {shorten(path)}: {e.strerror or e}"
    return None


def _unwritable(path: str, option: str, formats: tuple[str, ...]) -> str | None:
    """What is wrong with ``path`` as the file ``option`` writes, or None if it looks writable."""
    writes = {"--plot": "the plot", "--out": "the worksheet", "--key": "the answer key"}
    what = writes.get(option, "the drawing")
    problem = None
    folder = os.path.dirname(path) or "."
    if not path.strip():
        problem = "no file name given"
    elif os.path.splitext(path)[1].lower()[1:] not in formats:
        listed = ", ".join(f".{f}" for f in formats)
        problem = f"the file name must end in {listed} (the extension picks the format)"
    elif not os.path.isdir(folder):
        problem = f"the folder {shorten(folder)} does not exist"
    elif os.path.isdir(path):
        problem = "it is a folder, not a file"
    elif not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        problem = "no permission to write it"
    return f"{option}: cannot write {what} {shorten(path)}: {problem}" if problem else None


def _train_run(dataset: str, steps: int, seed: int, n: int, noise: float, out: TextIO | None = None, **kw):
    """Make the data set, build micrograd's demo network and train it with a progress bar."""
    from autograd_tiny.nn import MLP, data
    from autograd_tiny.nn.train import ProgressBar, train

    X, y = getattr(data, f"make_{dataset}")(n, noise, seed=seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    history = train(model, X, y, steps=steps, callback=ProgressBar(steps, out), **kw)
    return model, X, y, history


def cmd_train(args: argparse.Namespace) -> int:
    """Train MLP(2, [16, 16, 1]) on a 2-D data set and report the loss and accuracy."""
    if not 1 <= args.steps <= MAX_STEPS:
        return _fail(
            f"--steps must be a positive integer, at most {MAX_STEPS:,}; got {clip(str(args.steps), 40)}"
        )
    if not 4 <= args.samples <= MAX_SAMPLES:
        return _fail(
            f"--samples must be at least 4 and at most {MAX_SAMPLES:,}; got {clip(str(args.samples), 40)}"
        )
    if not (math.isfinite(args.noise) and 0 <= args.noise < 10):
        return _fail(f"--noise must be a number in [0, 10); got {args.noise!r}")
    args.noise += 0.0  # −0.0 + 0.0 = 0.0: numpy refuses a noise scale of −0.0 as negative
    if args.seed < 0:
        return _fail(f"--seed must be an integer ≥ 0; got {clip(str(args.seed), 40)}")
    if args.plot is not None:  # say what is wrong before training, not after
        problem = _unwritable(args.plot, "--plot", PLOT_FORMATS)
        if problem:
            return _fail(problem)
        if importlib.util.find_spec("matplotlib") is None:
            return _fail(
                "--plot needs matplotlib: pip install 'autograd-tiny[plot]' (or pip install matplotlib)"
            )
    print(
        f"training MLP(2, [16, 16, 1]) on {args.samples} {args.dataset} points (noise {args.noise}), "
        f"max-margin loss + 1e-4·L2, {args.steps} steps"
    )
    t0 = time.perf_counter()
    model, X, y, history = _train_run(
        args.dataset, args.steps, args.seed, args.samples, args.noise, compiled=args.compiled
    )
    elapsed = time.perf_counter() - t0
    print(
        f"final loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.0%}, "
        f"{elapsed:.1f} s ({1000 * elapsed / args.steps:.0f} ms a step)"
    )
    if args.plot:
        try:
            from autograd_tiny.views.plot import plot_training

            plot_training(model, X, y, history, args.plot)
        except (ImportError, OSError, ValueError) as e:
            return _fail(f"cannot write the plot {shorten(args.plot)}: {e}")
        print(f"wrote {args.plot}")
    return 0


TRACE_LIMIT = 80  # nodes: larger graphs get a summary instead of a full trace in `examples`


def cmd_examples(args: argparse.Namespace) -> int:
    """Print each worked example's trace and whether the engine agrees with its answer key."""
    from autograd_tiny.teach.examples import EXAMPLES
    from autograd_tiny.views.trace import trace

    if args.list and args.name is not None:
        return _fail(f"examples: --list takes no name (got {args.name!r}): use --list, or a name alone")
    if args.list:
        for name, make in EXAMPLES.items():
            print(f"{name:<10} {(make.__doc__ or '').splitlines()[0]}")
        return 0
    if args.name is not None and args.name not in EXAMPLES:
        return _fail(f"no example called {args.name!r}: choose one of {', '.join(EXAMPLES)}")
    if args.all_steps and not args.html:
        return _fail("examples: --all-steps writes the --html page with every step: give --html FILE too")
    if (args.dot or args.html) and args.name is None:
        return _fail("examples: --dot and --html draw one example: give its NAME (--list shows them)")
    for option, path, formats in (("--dot", args.dot, DRAWING_FORMATS), ("--html", args.html, ("html",))):
        problem = path is not None and _unwritable(path, option, formats)
        if problem:  # say so before any work
            return _fail(problem)
    built = {name: EXAMPLES[name]() for name in ([args.name] if args.name else EXAMPLES)}
    if (args.dot or args.html) and built[args.name].root is None:  # say so before any output
        return _fail(f"{args.name} has no single graph to draw (it is checked with matrices)")
    agree = True
    for ex in built.values():
        print("=" * 100)
        print(f"{ex.name}: {ex.title}  [{ex.source}]")
        if ex.root is not None:
            t = trace(ex.root)
            print(t if len(t) <= TRACE_LIMIT else f"(a graph of {len(t)} nodes: too large to trace here)")
        print()
        print(ex)
        agree = agree and ex.agrees()
        problem = _draw_example(ex, args.dot, args.html, args.all_steps)
        if problem:
            return _fail(problem)
    print("=" * 100)
    if args.name is not None:  # one example: say so of it, not of all of them
        print(f"{args.name} agrees with its answer key" if agree else f"{args.name} DISAGREES with its key")
    else:
        print(
            "all examples agree with their answer keys" if agree else "SOME EXAMPLES DISAGREE with their keys"
        )
    return 0 if agree else 1


_STEPS_WRITTEN = {
    False: "(open it in a browser: → and ← step through the backward pass)",
    True: "(every step one after another: open it in a browser and print it)",
}


def _draw_example(ex: object, dot: str | None, html: str | None, all_steps: bool = False) -> str | None:
    """Draw a worked example's graph to ``dot`` and step through it in ``html`` (each if given);
    what went wrong, or None. The files' names are printed as they are written."""
    from graphviz import CalledProcessError

    from autograd_tiny.views.viz import GraphvizNotFound, LayoutTimeout

    root = getattr(ex, "root", None)
    if dot:
        try:
            problem = _draw(root, dot)
        except GraphvizNotFound as e:
            problem = str(e)
        if problem:
            return problem
        print(f"wrote {dot}")
    if html:
        from autograd_tiny.views.stepper import step_through

        try:
            step_through(root).save(html, all_steps=all_steps)
        except (LayoutTimeout, CalledProcessError) as e:
            return _layout_problem(e)
        except (GraphvizNotFound, ValueError, OSError) as e:
            return f"cannot write {html}: {getattr(e, 'strerror', None) or e}"
        print(f"wrote {html} {_STEPS_WRITTEN[all_steps]}")
    return None


def _root_name(taken: set[str]) -> str:
    """A name for the expression's value that no variable has: f, else f0, f1, …"""
    if "f" not in taken:
        return "f"
    k = 0
    while f"f{k}" in taken:
        k += 1
    return f"f{k}"


def cmd_trace(args: argparse.Namespace) -> int:
    """Parse an expression with the allow-list, trace it, print the gradients, optionally draw it."""
    from graphviz import CalledProcessError

    from autograd_tiny.cli.expr import ExpressionError, evaluate, parse_bindings
    from autograd_tiny.core.graph import topological_order
    from autograd_tiny.views.trace import num, trace
    from autograd_tiny.views.viz import GraphvizNotFound, LayoutTimeout

    if args.all_steps and not args.html:
        return _fail("trace: --all-steps writes the --html page with every step: give --html FILE too")
    expression = args.expression.strip()  # a leading space may protect a leading minus from argparse
    if args.dot is not None:
        problem = _unwritable(args.dot, "--dot", DRAWING_FORMATS)
        if problem:  # say so before any work
            return _fail(problem)
    try:
        values = parse_bindings(args.bindings)
        variables = {name: Value(v, name) for name, v in values.items()}
        root = evaluate(expression, variables)
    except ExpressionError as e:
        if re.fullmatch(r"--[A-Za-z][\w-]*", expression):  # most likely a mistyped option
            return _fail(f"{expression} is not an option of trace (it has --dot FILE and --help): {e}")
        return _fail(str(e))
    except (ValueError, ZeroDivisionError, OverflowError) as e:  # a domain error of the engine
        return _fail(f"cannot evaluate {shorten(expression)}: {e}")
    if not root.label:  # an unnamed expression (not just one variable, not L = ...)
        root.label = _root_name({n.label for n in topological_order(root)})
    try:
        root.backward()
    except ArithmeticError as e:  # a derivative that is infinite where it is needed (√x at 0)
        return _fail(f"cannot differentiate {shorten(expression)} here: {e}")
    nodes = topological_order(root)
    # A gradient can overflow although every value is finite (x ** 1e9 just above x = 1): refuse
    # to print inf or nan as if it were a derivative.
    wild = next((n for n in reversed(nodes) if not math.isfinite(n.grad)), None)
    if wild is not None:
        name = wild.label or "an intermediate value"
        return _fail(f"the gradient of {shorten(expression)} with respect to {name} overflows a float")
    if args.dot is not None:  # draw first, so that a file that cannot be written fails before printing
        try:
            problem = _draw(root, args.dot)
        except GraphvizNotFound as e:
            problem = str(e)
        if problem:
            return _fail(problem)
    if args.html:  # the backward pass one step at a time, as a page that opens offline
        from autograd_tiny.views.stepper import step_through

        problem = _unwritable(args.html, "--html", ("html",))
        if problem:
            return _fail(problem)
        try:
            step_through(root).save(args.html, all_steps=args.all_steps)
        except (LayoutTimeout, CalledProcessError) as e:
            return _fail(_layout_problem(e))
        except (GraphvizNotFound, ValueError, OSError) as e:
            return _fail(f"cannot write {args.html}: {getattr(e, 'strerror', None) or e}")
    lines = [str(trace(root)), ""]
    lines += [f"∂{root.label}/∂{name} = {num(var.grad)}" for name, var in variables.items()]
    if args.dot is not None:
        lines.append(f"wrote {args.dot}")
    if args.html:
        lines.append(f"wrote {args.html} {_STEPS_WRITTEN[args.all_steps]}")
    print("\n".join(lines))
    return 0


def cmd_practice(args: argparse.Namespace) -> int:
    """Exercises like the course's worked examples, one prompt per unknown, checked with hints."""
    from autograd_tiny.teach.practice import session

    if args.seed is not None and args.seed < 0:
        return _fail("--seed must be 0 or more")
    if args.worksheet is not None:
        return _worksheet(args)
    for option, value in (("--out", args.out), ("--key", args.key)):
        if value is not None:
            return _fail(f"{option} writes a worksheet: give --worksheet N too (N exercises)")
    return session(args.kind, args.seed, args.level)


def _worksheet(args: argparse.Namespace) -> int:
    """practice --worksheet N: N exercises as a printable page (--out), their answers (--key)."""
    import secrets

    from autograd_tiny.teach.practice.worksheet import MAX_EXERCISES, worksheet

    if not 1 <= args.worksheet <= MAX_EXERCISES:
        return _fail(f"--worksheet must be between 1 and {MAX_EXERCISES} (the number of exercises)")
    out = args.out or "worksheet.html"
    for option, path in (("--out", out), ("--key", args.key)):
        problem = path is not None and _unwritable(path, option, ("html", "htm"))
        if problem:
            return _fail(problem)
    if args.key is not None and os.path.abspath(args.key) == os.path.abspath(out):
        return _fail("--key: the answer key needs a file of its own, not the worksheet's")
    seed = secrets.randbelow(1000) if args.seed is None else args.seed  # printed, so it can be repeated
    sheet = worksheet(args.worksheet, seed=seed, kinds=args.kind, level=args.level)
    try:
        sheet.save(out)
        if args.key is not None:
            sheet.save(args.key, key=True)
    except OSError as e:
        return _fail(f"cannot write the worksheet: {e.strerror or e}")
    kinds = args.kind or "every kind in turn"
    print(f"wrote {len(sheet)} exercises ({kinds}, level {args.level}, seed {seed}) to {shorten(out)}")
    if args.key is not None:
        print(f"wrote their answers to {shorten(args.key)}")
    print("open it in a browser and print it (each exercise stays on one page, A4 or Letter)")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    """Print an expression's forward and backward pass as Python code (to_python, transforms/compile)."""
    from autograd_tiny.cli.expr import ExpressionError, evaluate, parse_bindings
    from autograd_tiny.core.graph import topological_order
    from autograd_tiny.transforms.compile import to_python

    expression = args.expression.strip()
    try:
        variables = {name: Value(v, name) for name, v in parse_bindings(args.bindings).items()}
        root = evaluate(expression, variables)
    except ExpressionError as e:
        return _fail(str(e))
    except (ValueError, ZeroDivisionError, OverflowError) as e:  # a domain error of the engine
        return _fail(f"cannot evaluate {shorten(expression)}: {e}")
    if not root.label:  # f, as trace calls it (unless the expression names it: L = ...)
        root.label = _root_name({n.label for n in topological_order(root)})
    print(to_python(root, list(variables.values()), name=f"{root.label}_and_gradient"), end="")
    return 0


def _one_line(message: str, limit: int = 400) -> str:
    """``message`` without line breaks or control characters, cut to ``limit`` characters."""
    flat = "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
    return clip(flat, limit)


def _fail(message: str) -> int:
    """Print one clear line to stderr and return the usage-error status."""
    print(f"{PROG}: error: {_one_line(message)}", file=sys.stderr)
    return 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (and status 2), without the usage text."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the problem (and the subcommand, if any) and exit with status 2."""
        command = self.prog[len(PROG) :].strip()  # "train" for the parser of `autograd-tiny train`
        where = f"{command}: " if command else ""
        self.exit(2, f"{PROG}: error: {where}{_one_line(message, 300)} (see {self.prog} --help)\n")


def _command(sub: argparse._SubParsersAction, name: str, summary: str, description: str, examples: str):
    """A subcommand with a one-line summary (in the main help) and its own description and examples."""
    return sub.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 92),
        epilog="examples:\n" + examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    demo = _command(
        sub,
        "demo",
        "Example 1 traced, checked and drawn; a short training run",
        "Work Example 1 of the course, a one-hidden-unit ReLU network with a squared-error loss "
        "(x=1, w1=2, b1=0, w2=3, b2=1, y=10): print its forward pass, every chain-rule step of its "
        "backward pass and the check against its answer key, and draw its computation graph. Then "
        "train a small network, MLP(2, [16, 16, 1]), for 100 steps on 100 points of the two-moons "
        "data set.",
        "  autograd-tiny demo                      draws the graph to example1.svg\n"
        "  autograd-tiny demo --svg example1.png   .svg, .png, .pdf or .dot (Graphviz source)",
    )
    demo.add_argument(
        "--svg", metavar="FILE", default="example1.svg", help="where to draw Example 1 (default example1.svg)"
    )
    demo.set_defaults(func=cmd_demo)
    ex = _command(
        sub,
        "examples",
        "the course's worked examples, checked against their keys",
        "Rebuild each worked example of the course (its network, loss and numbers) with the engine, "
        "print its trace, and check every number against the example's answer key. The exit status "
        "is 1 if any number disagrees.",
        "  autograd-tiny examples --list      the names, with a line on each\n"
        "  autograd-tiny examples example2    one sigmoid neuron with a cross-entropy loss\n"
        "  autograd-tiny examples example1 --dot example1.svg --html example1.html",
    )
    ex.add_argument(
        "name", metavar="NAME", nargs="?", help="one example (default: all of them); --list shows the names"
    )
    ex.add_argument("--list", action="store_true", help="list the example names")
    ex.add_argument(
        "--dot", metavar="FILE", help="with NAME: draw its graph to FILE (.svg, .png, .pdf or .dot)"
    )
    ex.add_argument(
        "--html", metavar="FILE", help="with NAME: write its backward pass, step by step, as a web page"
    )
    ex.add_argument(
        "--all-steps", action="store_true", help="with --html: every step one after another, for printing"
    )
    ex.set_defaults(func=cmd_examples)
    tr_ = _command(
        sub,
        "trace",
        "any expression's forward and backward pass, step by step",
        "Build the computation graph of EXPR with a value for each name, run the backward pass, and "
        "print the forward table, every chain-rule step, and the derivative of EXPR (called f, or "
        "f0 if a name is f) with respect to each name. EXPR may use numbers, names, + - * / ** "
        "(powers are **, not ^), parentheses, and the functions " + ", ".join(FUNCTIONS) + "; the "
        "texts' − × · ÷ and x² are read too. NAME = EXPR statements, separated by ;, name values (the "
        "last is the root). It is read as Python reads it (-x**2 is -(x**2)) but never run as Python code.",
        '  autograd-tiny trace "tanh(w*x + b)" w=2 x=1 b=-1\n'
        '  autograd-tiny trace "z = w*x + b; L = (z - y)**2" w=2 x=1 b=−1 y=0\n'
        '  autograd-tiny trace "-x**2 + 3*x" x=-1.5 --dot graph.svg',
    )
    tr_.add_argument("expression", metavar="EXPR", help="the expression, in quotes")
    tr_.add_argument(
        "bindings", nargs="*", default=[], metavar="NAME=NUMBER", help="a value for every name used"
    )
    tr_.add_argument("--dot", metavar="FILE", help="also draw the graph to FILE (.svg, .png, .pdf or .dot)")
    tr_.add_argument(
        "--html", metavar="FILE", help="also write the backward pass, step by step, as a web page"
    )
    tr_.add_argument(
        "--all-steps", action="store_true", help="with --html: every step one after another, for printing"
    )
    tr_.set_defaults(func=cmd_trace)
    tr = _command(
        sub,
        "train",
        "train a 2-16-16-1 network on a 2-D data set",
        "Make a 2-D data set of two classes, train the network MLP(2, [16, 16, 1]) on it with the "
        "max-margin loss plus 1e-4·L2 and gradient descent on the whole set (the learning rate falling "
        "from 1.0 toward 0.1), and report the loss and the training accuracy. The seed fixes both the data "
        "and the initial weights.",
        "  autograd-tiny train\n"
        "  autograd-tiny train --dataset spirals --samples 200 --steps 300 --plot spirals.png",
    )
    tr.add_argument("--dataset", choices=DATASETS, default="moons", help="the data set (default moons)")
    tr.add_argument(
        "--steps",
        metavar="N",
        type=int,
        default=100,
        help=f"gradient steps, 1 to {MAX_STEPS:,} (default 100)",
    )
    tr.add_argument(
        "--samples",
        metavar="N",
        type=int,
        default=100,
        help=f"points in the data set, 4 to {MAX_SAMPLES:,} (default 100)",
    )
    tr.add_argument(
        "--noise",
        metavar="SD",
        type=float,
        default=0.1,
        help="noise of the data set, in [0, 10) (default 0.1)",
    )
    tr.add_argument(
        "--seed", metavar="N", type=int, default=0, help="seed of the data and the weights, ≥ 0 (default 0)"
    )
    tr.add_argument(
        "--plot",
        metavar="FILE",
        help="write the loss curve and the decision boundary to FILE (.png, .pdf, .svg, …)",
    )
    tr.add_argument("--compiled", action="store_true", help="run each step as compiled code: same numbers")
    tr.set_defaults(func=cmd_train)
    from autograd_tiny.teach.practice import KINDS, LEVELS

    pr = sub.add_parser(
        "practice",
        help="backprop by hand: exercises like the course's, checked with hints",
        description="Exercises like the course's worked examples, with new numbers: work out each gradient\n"
        "by hand and type it at its prompt (? for a hint, Enter to skip, q or Ctrl-D to stop). A wrong\n"
        "answer gets the chain-rule step to look at, not the answer; the score comes at the end.",
        epilog="examples:\n  autograd-tiny practice\n"
        "  autograd-tiny practice --kind batch_bias --seed 3 --level 2\n"
        "  autograd-tiny practice --worksheet 30 --seed 1 --out sheet.html --key key.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pr.add_argument("--kind", metavar="KIND", choices=KINDS, help="only this kind: " + ", ".join(KINDS))
    pr.add_argument("--seed", metavar="N", type=int, help="the first exercise's seed, ≥ 0 (default: random)")
    pr.add_argument("--level", type=int, choices=LEVELS, default=1, help="1, 2 or 3: bigger layers, deeper")
    pr.add_argument(
        "--worksheet",
        metavar="N",
        type=int,
        help="no session: write N different exercises as a page to print (--out), each with its seed",
    )
    pr.add_argument("--out", metavar="FILE", help="the worksheet's file, .html (default worksheet.html)")
    pr.add_argument("--key", metavar="FILE", help="also write the answer key to FILE (.html)")
    pr.set_defaults(func=cmd_practice)
    co = _command(
        sub,
        "compile",
        "any expression's backward pass written out as Python",
        "Build the graph of EXPR as trace does and print it as a Python function of the names' "
        "numbers: one line per node, one line per chain-rule step, each with its formula.",
        '  autograd-tiny compile "tanh(w*x + b)" w=2 x=1 b=-1',
    )
    co.add_argument("expression", metavar="EXPR", help="the expression, in quotes (as for trace)")
    co.add_argument(
        "bindings", nargs="*", default=[], metavar="NAME=NUMBER", help="the inputs and their values"
    )
    co.set_defaults(func=cmd_compile)
    return parser


_TRACE_OPTIONS = ("--dot", "--help")  # and -h; argparse also accepts a prefix such as --do


def _is_trace_option(arg: str) -> bool:
    """Whether argparse reads ``arg`` as one of trace's options (given in full, abbreviated, or --dot=F)."""
    name = arg.split("=", 1)[0]
    return arg == "-h" or (len(name) >= 3 and any(option.startswith(name) for option in _TRACE_OPTIONS))


def _protect_expression(argv: list[str]) -> list[str]:
    """``trace "-x*2" x=3``: argparse would take -x*2 for an option; a leading space makes it EXPR.

    Only the first operand after ``trace`` (EXPR) is touched, and only if it starts with - and is
    not one of trace's options, so "-x*2", "--x" and "-1" are all expressions.
    """
    argv = list(argv)
    command = next((i for i, a in enumerate(argv) if not a.startswith("-")), None)
    if command is None or argv[command] not in ("trace", "compile"):
        return argv
    i = command + 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":  # everything after -- is an operand already
            break
        if _is_trace_option(arg):
            i += 2 if "=" not in arg and "--dot".startswith(arg) else 1  # --dot takes the next word
            continue
        if arg.startswith("-"):
            argv[i] = " " + arg
        break  # the first operand is EXPR
    return argv


def _quiet_stdout() -> None:
    """After a broken pipe: send what is still buffered for stdout to the null device."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO): nothing to do
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        _printable_stdout()
        args = build_parser().parse_args(_protect_expression(argv))
        status = args.func(args)
        sys.stdout.flush()
    except BrokenPipeError:  # `autograd-tiny examples | head`: the reader has gone, so stop quietly
        _quiet_stdout()
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not a bad input: still one line, with a status of its own
        print(
            f"{PROG}: error: unexpected {type(e).__name__}: {_one_line(str(e), 200)} (a bug)", file=sys.stderr
        )
        return 70  # EX_SOFTWARE: an internal error
    return status


def _printable_stdout() -> None:
    """On a terminal that cannot show ∂ or −, print them as escapes rather than fail."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "∂−²".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


if __name__ == "__main__":
    sys.exit(main())
