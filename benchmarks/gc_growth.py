"""How CPython's cycle collector makes time per object grow with a live graph, engine or not.

    python benchmarks/gc_growth.py       # about half a minute

Builds a chain of n objects that each hold a reference to the one before (the shape of a graph of
unary ops) and keeps it alive until the chain is done, at 10^4 and 10^6 objects, with the collector
on and paused. First a bare slotted object with nothing but the link, then autograd_tiny's chain of
benchmarks/run.py (e). If the bare chain grows about as much as the engine does, the growth in (e)
belongs to the interpreter: each full collection re-scans every live container, and at a million
objects the scan no longer fits in the CPU's caches.
"""

from __future__ import annotations

import gc
import platform
import statistics
import time
from collections.abc import Callable

from autograd_tiny import Value


class Link:
    """The least a graph node can be: one slot for the object it was made from."""

    __slots__ = ("prev",)

    def __init__(self, prev: Link | None) -> None:
        """A link pointing at ``prev``."""
        self.prev = prev


def bare_chain(n: int) -> None:
    """n links, each made from the one before; all alive until the last is made."""
    y = Link(None)
    for _ in range(n):
        y = Link(y)


def engine_chain(n: int) -> None:
    """benchmarks/run.py's (e): n binary ops on autograd_tiny, forward and backward."""
    y = Value(0.5)
    for i in range(n):
        y = y * 1.0000001 if i % 2 else y + 0.1
    y.backward()


def per_object(fn: Callable[[int], None], n: int, repeats: int) -> float:
    """Median microseconds per object of fn(n), a full collection before each run."""
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn(n)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / n * 1e6


def main() -> None:
    """Print µs per object at 10^4 and 10^6, and the growth, with the collector on and paused."""
    print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    for name, fn in (("bare linked list", bare_chain), ("autograd_tiny chain", engine_chain)):
        for _ in range(10):  # warm up the allocator and the interpreter's specialisations
            fn(10_000)
        for collector in ("on", "paused"):
            if collector == "paused":
                gc.disable()
            try:
                small, big = per_object(fn, 10_000, 9), per_object(fn, 1_000_000, 3)
            finally:
                gc.enable()
            print(
                f"{name:20} collector {collector:6}: {small:.2f} µs → {big:.2f} µs an object, "
                f"{big / small:.2f}× from 10^4 to 10^6"
            )


if __name__ == "__main__":
    main()
