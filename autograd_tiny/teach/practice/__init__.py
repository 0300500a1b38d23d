"""Practice mode: exercises in the chapter's style that the engine checks, with hints.

An exercise is one of the chapter's worked examples with new numbers. You compute the gradients by
hand; ``check`` says which answers are right and, for a wrong one, which chain-rule step to look at,
without giving the answer away (``reveal`` does that, when you ask):

    from autograd_tiny import practice

    ex = practice.exercise("two_layer_relu", seed=0)       # same seed, same numbers, on any machine
    print(ex.question)                                     # the network, its numbers, the unknowns
    feedback = ex.check({"dL/dz2": -6, "∂L/∂w2": -12})     # ASCII or ∂ names; numbers or "−3/2"
    print(feedback)                                        # right / wrong / missing, with hints
    print(feedback.reveal())                               # the same, with the answers
    ex.answers()                                           # the key, for teachers

The kinds (``KINDS``), each at ``level`` 1, 2 or 3 (bigger layers or deeper networks):

    two_layer_relu     Example 1: x → ReLU unit → linear output, L = (ŷ − y)²        integer answers
    sigmoid_bce        Example 2: one sigmoid neuron with binary cross-entropy       4 significant digits
    delta_recurrence   Practice Problem 4: from ∂L/∂z⁽³⁾, W⁽³⁾, z⁽²⁾ find δ⁽²⁾        one decimal
    batch_bias         Section 8: ∂L/∂W = (1/M) Δ Aᵀ, ∂L/∂b summed over the batch     integer answers
    reused_node        a node that feeds two paths: its gradient is a sum             integer answers

How a wrong answer is located. The engine's backward pass is a list of chain-rule steps
∂L/∂u += (∂y/∂u) · ∂L/∂y (``trace``). For a wrong ∂L/∂t the checker starts from the nearest answer
of yours that every path from t to L passes through and that is right (or from ∂L/∂L = 1): the
error lies in the steps between. It then tries the classic slips on those steps: a ReLU′ or σ′ left
out, a sign flipped, a factor left out or replaced by its partner, one path of a reused node
dropped, 1/M applied twice or not at all, W transposed. If your number follows from one of them, it
names that step and the slip ("your answer would follow if ..."), preferring the slip that explains
the most of your wrong answers at once (and would not have spoilt your right ones); if it follows
from a wrong answer of yours higher up, it says so; otherwise it names the first step after the
last right one.

Checking an operation you wrote yourself (a forward function on floats and its derivatives):

    def forward(u, v):
        return u * v

    def derivatives(u, v):              # (∂y/∂u, ∂y/∂v)
        return v, u

    print(practice.check_op(forward, derivatives))      # against central differences

    def backward(grads, node):          # node.inputs: the input nodes; node.data: the output
        u, v = node.inputs              # grads[n] is ∂L/∂n; grads[node] is the upstream gradient
        grads[u] += v.data * grads[node]                 # += : an input used twice gets both
        grads[v] += u.data * grads[node]

    print(practice.check_backward(forward, backward))   # on graphs where an input is reused

``autograd-tiny practice [--kind K] [--seed N] [--level L]`` is the same in a terminal (``session``).

For a class: ``practice.worksheet(30, seed=1)`` is 30 different exercises as a printable page, with
``.save("sheet.html")`` and ``.save("key.html", key=True)`` (``autograd-tiny practice --worksheet 30
--seed 1 --out sheet.html --key key.html``).

Files, one job each: ``answers.py`` (reading a learner's numbers and gradient names), ``feedback.py``
(an exercise, checking it, tracing a wrong answer to a step), ``kinds.py`` (the exercises' generators),
``checkers.py`` (``check_op``, ``check_backward``), ``session.py`` (the terminal session) and
``worksheet.py`` (printable worksheets and their keys).
"""

from autograd_tiny.teach.practice.answers import parse_number
from autograd_tiny.teach.practice.checkers import Node, OpCheck, OpRow, check_backward, check_op
from autograd_tiny.teach.practice.feedback import Exercise, Feedback, Verdict
from autograd_tiny.teach.practice.kinds import KINDS, LEVELS, exercise
from autograd_tiny.teach.practice.session import session
from autograd_tiny.teach.practice.worksheet import Worksheet, worksheet

__all__ = ["KINDS", "LEVELS", "Exercise", "Feedback", "Node", "OpCheck", "OpRow", "Verdict", "Worksheet",
           "check_backward", "check_op", "exercise", "parse_number", "session", "worksheet"]  # fmt: skip
