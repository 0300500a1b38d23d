"""The ``autograd-tiny`` command: worked examples, traces and training from a terminal."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from autograd_tiny.engine import Value


def _example1() -> dict[str, Value]:
    """The chapter's Example 1: x → z₁ = w₁x + b₁ → a₁ = ReLU(z₁) → z₂ = w₂a₁ + b₂, L = (z₂ − y)²."""
    x, y = Value(1.0, "x"), 10.0
    w1, b1, w2, b2 = Value(2.0, "w1"), Value(0.0, "b1"), Value(3.0, "w2"), Value(1.0, "b2")
    z1 = w1 * x + b1
    a1 = z1.relu()
    z2 = w2 * a1 + b2
    loss = (z2 - y) ** 2
    loss.backward()
    return {"x": x, "w1": w1, "b1": b1, "z1": z1, "a1": a1, "w2": w2, "b2": b2, "z2": z2, "L": loss}


def cmd_demo(args: argparse.Namespace) -> int:
    """Print the chapter's Example 1: forward values, then every gradient."""
    v = _example1()
    print("Example 1 (chapter 16-05): x=1, w1=2, b1=0, w2=3, b2=1, y=10; ReLU hidden, linear out, L=(ŷ−y)²")
    print("forward:  " + "  ".join(f"{k} = {v[k].data:g}" for k in ("z1", "a1", "z2", "L")))
    print("backward: " + "  ".join(f"∂L/∂{k} = {v[k].grad:g}" for k in ("z2", "w2", "b2", "z1", "w1", "b1")))
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


def _fail(message: str) -> int:
    """Print one clear line to stderr and return the usage-error status."""
    print(f"autograd-tiny: error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="autograd-tiny", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the chapter's worked example, forward and backward")
    demo.set_defaults(func=cmd_demo)
    tr = sub.add_parser("train", help="train MLP(2, [16, 16, 1]) on a 2-D data set, micrograd's demo")
    tr.add_argument("--dataset", choices=DATASETS, default="moons")
    tr.add_argument("--steps", type=int, default=100, help="gradient steps (default 100)")
    tr.add_argument("--samples", type=int, default=100, help="points in the data set (default 100)")
    tr.add_argument("--noise", type=float, default=0.1, help="noise of the data set (default 0.1)")
    tr.add_argument("--seed", type=int, default=0, help="seed of the data and the weights (default 0)")
    tr.add_argument("--plot", metavar="FILE.png", help="write the loss curve and decision boundary")
    tr.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
