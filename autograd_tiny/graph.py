"""The one topological ordering of a computation graph, shared by backward, trace and drawing.

A graph here is a DAG of nodes, each with a tuple ``parents`` (the inputs it was computed from).
A topological order lists every node after all of its parents: the order of the forward pass.
The backward pass walks it in reverse, so a node's gradient is complete before it is passed on.
"""

from __future__ import annotations

from typing import Any


def topological_order(root: Any) -> list[Any]:
    """Every node reachable from ``root``, each listed after all of its parents (root last)."""
    # Depth-first search with an explicit stack instead of recursion, so a chain a million
    # nodes deep needs no raised recursion limit. Each stack entry is (node, expanded):
    # the first time a node is popped we push it back marked as expanded, then its parents
    # on top; when the marked copy surfaces again, all its parents are already in ``order``
    # (post-order), so appending it there keeps the order topological.
    # Parents are pushed in reverse so that they are visited in argument order: the same
    # program always gives the same order, whatever the hash seed.
    order: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:  # reached again through another child: already placed
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in reversed(node.parents):
            if id(parent) not in visited:
                stack.append((parent, False))
    return order
