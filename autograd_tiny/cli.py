"""The ``autograd-tiny`` command: worked examples, traces and training from a terminal."""

from __future__ import annotations

import argparse
import sys

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
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="autograd-tiny", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the chapter's worked example, forward and backward")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
