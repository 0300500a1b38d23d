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
    # nodes deep needs no raised recursion limit. A node is pushed when first seen; the first
    # time it is popped it is "expanded": pushed back, with its parents on top of it. When it
    # surfaces the second time, everything above it (its parents and theirs) is placed, so it
    # can be placed too: a post-order, which lists parents before children.
    # Parents are pushed in reverse so that they are visited in argument order: the same program
    # gives the same order, whatever the hash seed. The sets hold nodes by identity, and nothing
    # is allocated per visit but set and list entries, which keeps this fast for big graphs.
    order: list[Any] = []
    expanded: set[Any] = set()
    placed: set[Any] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node in placed:  # reached again through another child
            continue
        if node in expanded:  # second time on top: all its parents are placed
            placed.add(node)
            order.append(node)
            continue
        expanded.add(node)
        stack.append(node)
        for parent in reversed(node.parents):
            if parent not in expanded:
                stack.append(parent)
    return order
