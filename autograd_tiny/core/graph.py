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
    # nodes deep needs no raised recursion limit. The first time a node is popped it is marked
    # seen and pushed back under a None marker, with its unseen parents on top. When the marker
    # surfaces, everything pushed above it (the node's parents and theirs) has been placed, so the
    # node under it is placed too: a post-order, which lists parents before children.
    # A parent already seen is already placed: were it waiting under its marker, it would be on
    # the path to its own child, and a computation graph has no cycles. (A node can be pushed
    # twice before it is first popped; the second pop finds it seen and skips it.)
    # Parents are pushed in reverse so that they are visited in argument order: the same program
    # gives the same order, whatever the hash seed. The set holds nodes by identity; a visit
    # allocates only set and list entries and one reversed() iterator, so big graphs stay fast.
    if not hasattr(root, "parents"):  # None would pass for the stack's marker below
        raise TypeError(f"topological_order: root must be a Value, got {type(root).__name__}")
    order: list[Any] = []
    seen: set[Any] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the marker: the node under it has all its parents placed
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            stack.append(node)
            stack.append(None)
            for parent in reversed(node.parents):
                if parent not in seen:
                    stack.append(parent)
    return order
