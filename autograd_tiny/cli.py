"""The ``autograd-tiny`` command: worked examples, traces and training from a terminal."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from typing import NoReturn, TextIO

from autograd_tiny.engine import Value
from autograd_tiny.expr import FUNCTIONS


def cmd_demo(args: argparse.Namespace) -> int:
    """Example 1 forward and backward, traced node by node and drawn; then a short training run."""
    from autograd_tiny.examples import example1
    from autograd_tiny.trace import trace
    from autograd_tiny.viz import GraphvizNotFound, render

    ex = example1()
    v = ex.nodes
    print("Example 1 (chapter 16-05): x=1, w1=2, b1=0, w2=3, b2=1, y=10; ReLU hidden, linear out, L=(ŷ−y)²")
    print("forward:  " + "  ".join(f"{k} = {v[k].data:g}" for k in ("z1", "a1", "z2", "L")))
    print("backward: " + "  ".join(f"∂L/∂{k} = {v[k].grad:g}" for k in ("z2", "w2", "b2", "z1", "w1", "b1")))
    print()
    print(trace(ex.root))
    print()
    print(ex)
    if args.svg:
        try:
            render(ex.root, args.svg)
            print(f"\nwrote the graph of Example 1 to {args.svg}")
        except GraphvizNotFound as e:
            print(f"\n(no drawing: {e})")
        except OSError as e:
            return _fail(f"cannot write {args.svg}: {e.strerror or e}")
    print()
    print("A short training run: micrograd's demo, MLP(2, [16, 16, 1]) on 100 moons points")
    _, _, _, history = _train_run("moons", 100, seed=0, n=100, noise=0.1)
    print(f"final loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.0%}")
    return 0


DATASETS = ("moons", "circles", "xor", "spirals")


def _train_run(dataset: str, steps: int, seed: int, n: int, noise: float, out: TextIO | None = None):
    """Make the data set, build micrograd's demo network and train it with a progress bar."""
    from autograd_tiny import data
    from autograd_tiny.nn import MLP
    from autograd_tiny.train import ProgressBar, train

    X, y = getattr(data, f"make_{dataset}")(n, noise, seed=seed)
    model = MLP(2, [16, 16, 1], seed=seed)
    history = train(model, X, y, steps=steps, callback=ProgressBar(steps, out))
    return model, X, y, history


def cmd_train(args: argparse.Namespace) -> int:
    """Train MLP(2, [16, 16, 1]) on a 2-D data set and report the loss and accuracy."""
    if args.steps < 1:
        return _fail("--steps must be a positive integer")
    if args.samples < 4:
        return _fail("--samples must be at least 4")
    if not 0 <= args.noise < 10:
        return _fail("--noise must lie in [0, 10)")
    if args.plot and importlib.util.find_spec("matplotlib") is None:  # say so before training, not after
        return _fail("--plot needs matplotlib: pip install 'autograd-tiny[plot]' (or pip install matplotlib)")
    print(
        f"training MLP(2, [16, 16, 1]) on {args.samples} {args.dataset} points (noise {args.noise}), "
        f"max-margin loss + 1e-4·L2, {args.steps} steps"
    )
    t0 = time.perf_counter()
    model, X, y, history = _train_run(args.dataset, args.steps, args.seed, args.samples, args.noise)
    elapsed = time.perf_counter() - t0
    print(
        f"final loss {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.0%}, "
        f"{elapsed:.1f} s ({1000 * elapsed / args.steps:.0f} ms a step)"
    )
    if args.plot:
        try:
            from autograd_tiny.plot import plot_training

            plot_training(model, X, y, history, args.plot)
        except (ImportError, OSError, ValueError) as e:
            return _fail(f"cannot write the plot {args.plot}: {e}")
        print(f"wrote {args.plot}")
    return 0


TRACE_LIMIT = 80  # nodes: larger graphs get a summary instead of a full trace in `examples`


def cmd_examples(args: argparse.Namespace) -> int:
    """Print each worked example's trace and whether the engine agrees with its answer key."""
    from autograd_tiny.examples import EXAMPLES
    from autograd_tiny.trace import trace

    if args.list:
        for name, make in EXAMPLES.items():
            print(f"{name:<10} {(make.__doc__ or '').splitlines()[0]}")
        return 0
    if args.name is not None and args.name not in EXAMPLES:
        return _fail(f"no example called {args.name!r}: choose one of {', '.join(EXAMPLES)}")
    names = [args.name] if args.name else list(EXAMPLES)
    agree = True
    for name in names:
        ex = EXAMPLES[name]()
        print("=" * 100)
        print(f"{ex.name}: {ex.title}  [{ex.source}]")
        if ex.root is not None:
            t = trace(ex.root)
            print(t if len(t) <= TRACE_LIMIT else f"(a graph of {len(t)} nodes: too large to trace here)")
        print()
        print(ex)
        agree = agree and ex.agrees()
    print("=" * 100)
    print("all examples agree with their answer keys" if agree else "SOME EXAMPLES DISAGREE with their keys")
    return 0 if agree else 1


def cmd_trace(args: argparse.Namespace) -> int:
    """Parse an expression with the allow-list, trace it, print the gradients, optionally draw it."""
    from autograd_tiny.expr import ExpressionError, evaluate, parse_bindings
    from autograd_tiny.trace import num, trace
    from autograd_tiny.viz import GraphvizNotFound, render

    try:
        values = parse_bindings(args.bindings)
        variables = {name: Value(v, name) for name, v in values.items()}
        root = evaluate(args.expression, variables)
    except ExpressionError as e:
        return _fail(str(e))
    except (ValueError, ZeroDivisionError, OverflowError) as e:  # a domain error of the engine
        return _fail(f"cannot evaluate {args.expression!r}: {e}")
    if not root.label:
        root.label = "y"
    root.backward()
    if args.dot:  # draw first, so that a bad file name fails before anything is printed
        try:
            render(root, args.dot)
        except (GraphvizNotFound, ValueError) as e:
            return _fail(str(e))
        except OSError as e:
            return _fail(f"cannot write {args.dot}: {e.strerror or e}")
    print(trace(root))
    print()
    for name, var in variables.items():
        print(f"∂{root.label}/∂{name} = {num(var.grad)}")
    if args.dot:
        print(f"wrote {args.dot}")
    return 0


def cmd_practice(args: argparse.Namespace) -> int:
    """Exercises like the course's worked examples, one prompt per unknown, checked with hints."""
    from autograd_tiny.practice import session

    if args.seed is not None and args.seed < 0:
        return _fail("--seed must be 0 or more")
    return session(args.kind, args.seed, args.level)


def _fail(message: str) -> int:
    """Print one clear line to stderr and return the usage-error status."""
    print(f"autograd-tiny: error: {message}", file=sys.stderr)
    return 2


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line (and status 2), without the usage text."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the problem and exit with status 2."""
        if len(message) > 300:
            message = message[:300] + "…"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = _Parser(prog="autograd-tiny", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    demo = sub.add_parser("demo", help="the chapter's Example 1 traced and drawn, then a training run")
    demo.add_argument("--svg", default="example1.svg", help="where to draw Example 1 (default example1.svg)")
    demo.set_defaults(func=cmd_demo)
    ex = sub.add_parser("examples", help="every worked result of the seeds, traced and checked")
    ex.add_argument("name", nargs="?", help="one example (default: all); --list shows the names")
    ex.add_argument("--list", action="store_true", help="list the example names")
    ex.set_defaults(func=cmd_examples)
    tr_ = sub.add_parser("trace", help='trace an expression node by node: trace "tanh(w*x + b)" w=2 x=1 b=0')
    tr_.add_argument("expression", help="numbers, names, + - * / **, and " + ", ".join(FUNCTIONS))
    tr_.add_argument("bindings", nargs="*", metavar="NAME=NUMBER", help="a value for every name used")
    tr_.add_argument("--dot", metavar="FILE", help="also draw the graph to FILE (.svg, .png, .pdf or .dot)")
    tr_.set_defaults(func=cmd_trace)
    tr = sub.add_parser("train", help="train MLP(2, [16, 16, 1]) on a 2-D data set, micrograd's demo")
    tr.add_argument("--dataset", choices=DATASETS, default="moons")
    tr.add_argument("--steps", type=int, default=100, help="gradient steps (default 100)")
    tr.add_argument("--samples", type=int, default=100, help="points in the data set (default 100)")
    tr.add_argument("--noise", type=float, default=0.1, help="noise of the data set (default 0.1)")
    tr.add_argument("--seed", type=int, default=0, help="seed of the data and the weights (default 0)")
    tr.add_argument("--plot", metavar="FILE.png", help="write the loss curve and decision boundary")
    tr.set_defaults(func=cmd_train)
    from autograd_tiny.practice import KINDS, LEVELS

    pr = sub.add_parser(
        "practice",
        help="backprop by hand: exercises like the course's, checked with hints",
        description="Exercises like the course's worked examples, with new numbers: work out each gradient\n"
        "by hand and type it at its prompt (? for a hint, Enter to skip, q or Ctrl-D to stop). A wrong\n"
        "answer gets the chain-rule step to look at, not the answer; the score comes at the end.",
        epilog="examples:\n  autograd-tiny practice\n"
        "  autograd-tiny practice --kind batch_bias --seed 3 --level 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pr.add_argument("--kind", metavar="KIND", choices=KINDS, help="only this kind: " + ", ".join(KINDS))
    pr.add_argument("--seed", metavar="N", type=int, help="the first exercise's seed, ≥ 0 (default: random)")
    pr.add_argument("--level", type=int, choices=LEVELS, default=1, help="1, 2 or 3: bigger layers, deeper")
    pr.set_defaults(func=cmd_practice)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
