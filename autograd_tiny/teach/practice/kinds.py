"""The kinds of exercise: each draws small numbers with its own random.Random and builds the graph."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from numbers import Integral
from typing import Any

from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import Value, brief
from autograd_tiny.nn.losses import binary_cross_entropy
from autograd_tiny.teach.practice.answers import Chain, value_text
from autograd_tiny.teach.practice.feedback import Built, Exercise, Slip

KINDS = ("two_layer_relu", "sigmoid_bce", "delta_recurrence", "batch_bias", "reused_node")
LEVELS = (1, 2, 3)

# ---------------------------------------------------------------------------------------------
# The kinds. Each generator draws small numbers with its own random.Random (integers only, so
# the same seed gives the same exercise on every machine), keeps drawing until the exercise is
# pleasant (forward values and answers small, each ReLU in the state it drew), and builds the
# graph. The key is then the engine's; ``reference`` is computed without the engine.
# ---------------------------------------------------------------------------------------------

_TRIES = 100_000
_NONZERO = (-3, -2, -1, 1, 2, 3)
_ERRORS = (-5, -4, -3, -2, -1, 1, 2, 3, 4, 5)  # ŷ − y: small, so the answers stay small
_HALVES = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
_HALF_STEPS = tuple(k / 2 for k in range(-4, 5))  # −2, −1.5, …, 2 (exact in binary)
_TENTHS = tuple(k for k in range(-9, 10) if k)  # δ's in tenths: −0.9 … 0.9
_INTEGERS = "Every answer is an integer (ReLU′(0) = 0, as in the chapter)."


def _state(rng: random.Random) -> str:
    """A ReLU unit's state for an exercise: mostly on, sometimes off, now and then exactly at 0."""
    r = rng.randrange(12)
    return "on" if r < 9 else "off" if r < 11 else "zero"


def _states(rng: random.Random, n: int) -> list[str]:
    """States for a layer of n ReLU units; a layer of several has at least one unit on."""
    while True:
        states = [_state(rng) for _ in range(n)]
        if n == 1 or "on" in states:
            return states


def _in_state(z: float, state: str) -> bool:
    """Whether the pre-activation z puts the unit in that state."""
    return z > 0 if state == "on" else z < 0 if state == "off" else z == 0


def _draw_in_state(rng: random.Random, state: str, top: int) -> int:
    """An integer pre-activation in [−top, top] that puts the unit in that state."""
    return rng.randint(1, top) if state == "on" else -rng.randint(1, top) if state == "off" else 0


def _leaf(x: float, label: str) -> Value:
    """A labelled input of the graph."""
    return Value(float(x), label)


def _named(v: Value, label: str) -> Value:
    """Label a node and return it."""
    v.label = label
    return v


def _square_loss(y_hat: Value, y: float) -> Value:
    """L = (ŷ − y)², with the chapter's names."""
    return _named(_named(y_hat - y, "ŷ−y") ** 2, "L")


def _small(root: Value, labels: Sequence[str], bound: float) -> bool:
    """Whether every asked gradient is at most ``bound`` in size (replayed, not touching .grad)."""
    chain = Chain(root)
    return all(abs(chain.grads[chain.index[label]]) <= bound for label in labels)


def _two_layer_relu(rng: random.Random, level: int) -> Built:
    """Example 1: x → z1 = w1·x + b1 → a1 = ReLU(z1) → ŷ = z2 = w2·a1 + b2, L = (ŷ − y)²; level 2 has
    two hidden units, level 3 two hidden layers."""
    widths = {1: (1, 1, 1), 2: (1, 2, 1), 3: (1, 1, 1, 1)}[level]
    depth = len(widths) - 1
    unknowns = {
        1: ["z2", "w2", "b2", "a1", "z1", "w1", "b1"],
        2: ["z2[0]", "W2[0,0]", "W2[0,1]", "b2[0]", "z1[0]", "z1[1]", "W1[0,0]", "W1[1,0]", "b1[0]", "b1[1]"],
        3: ["z3", "w3", "b3", "z2", "w2", "b2", "z1", "w1", "b1"],
    }[level]
    # each hidden unit's state is drawn first, and the numbers are drawn until they match it
    # (drawing the states with the numbers would favour units that are off: their answers are smaller)
    states = [_states(rng, widths[ell]) for ell in range(1, depth)]
    for _ in range(_TRIES):
        x = rng.choice(_NONZERO)
        Ws, bs, zs, a, ok = [], [], [], [x], True
        for ell in range(1, depth + 1):
            W = [[rng.choice(_NONZERO) for _ in range(widths[ell - 1])] for _ in range(widths[ell])]
            b = [rng.randint(-3, 3) for _ in range(widths[ell])]
            z = [sum(w * ai for w, ai in zip(row, a, strict=True)) + bi for row, bi in zip(W, b, strict=True)]
            if ell < depth:
                ok = ok and all(_in_state(zi, st) for zi, st in zip(z, states[ell - 1], strict=True))
                a = [max(zi, 0) for zi in z]
            Ws.append(W)
            bs.append(b)
            zs.append(z)
        y = zs[-1][0] - rng.choice(_ERRORS)
        if not ok or abs(y) > 10 or max(abs(v) for z in zs for v in z) > 20:
            continue
        root = _mlp(x, Ws, bs, y)
        if _small(root, unknowns, 150):
            break
    else:  # pragma: no cover (the draws above succeed within a few hundred tries)
        raise RuntimeError("no pleasant exercise found")
    given: dict[str, Any] = {"x": x}
    for ell, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        if widths[ell] == widths[ell - 1] == 1:
            given.update({f"w{ell}": W[0][0], f"b{ell}": b[0]})
        else:
            given.update({f"W{ell}": W, f"b{ell}": b})
    given["y"] = y
    network = {
        1: ["x → z1 = w1·x + b1 → a1 = ReLU(z1) → ŷ = z2 = w2·a1 + b2,   L = (ŷ − y)²"],
        2: [
            "x → z1 = W1·x + b1 (2 hidden units) → a1 = ReLU(z1) → ŷ = z2[0] = W2·a1 + b2,   L = (ŷ − y)²",
            "(W[i,j] is row i, column j; entries count from 0)",
        ],
        3: ["x → z1 = w1·x + b1 → a1 = ReLU(z1) → z2 = w2·a1 + b2 → a2 = ReLU(z2) → ŷ = z3 = w3·a2 + b3,"
            "   L = (ŷ − y)²"],
    }[level]  # fmt: skip
    latex = {
        1: [r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to \hat{y} = z_2 = w_2 a_1 + b_2,"
            r"\quad L = (\hat{y} - y)^2"],
        2: [r"x \to z^{(1)} = W^{(1)} x + b^{(1)}\ (2\text{ hidden units}) \to a^{(1)} ="
            r" \operatorname{ReLU}(z^{(1)}) \to \hat{y} = z^{(2)}_{0} = W^{(2)} a^{(1)} + b^{(2)},"
            r"\quad L = (\hat{y} - y)^2"],
        3: [r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w_2 a_1 + b_2 \to a_2 ="
            r" \operatorname{ReLU}(z_2) \to \hat{y} = z_3 = w_3 a_2 + b_3,\quad L = (\hat{y} - y)^2"],
    }[level]  # fmt: skip
    return Built(
        "A network of ReLU units with a squared error, backprop by hand (like the chapter's Example 1)",
        network,
        latex,
        given,
        root,
        unknowns,
        _mlp_reference(x, Ws, bs, y, widths),
        _INTEGERS,
    )


def _layer_names(ell: int, n_out: int, n_in: int) -> tuple[Callable[..., str], bool]:
    """How layer ℓ's nodes are called: w1, b1, z1, a1 for a 1 × 1 layer, else W1[i,j], b1[i], z1[i], a1[i]."""
    scalar = n_out == n_in == 1

    def name(s: str, i: int, j: int | None = None) -> str:
        if scalar:
            return f"{s.lower()}{ell}"
        return f"{s}{ell}[{i},{j}]" if j is not None else f"{s}{ell}[{i}]"

    return name, scalar


def _mlp(x: float, Ws: list, bs: list, y: float) -> Value:
    """The graph of x → ReLU layers → a linear output, L = (ŷ − y)², labelled as the chapter writes it."""
    prev = [_leaf(x, "x")]
    for ell, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        name, _ = _layer_names(ell, len(W), len(W[0]))
        Wv = [[_leaf(w, name("W", i, j)) for j, w in enumerate(row)] for i, row in enumerate(W)]
        bv = [_leaf(bi, name("b", i)) for i, bi in enumerate(b)]
        z = [_named(F.affine(Wv[i], prev, bv[i]), name("z", i)) for i in range(len(W))]
        prev = [_named(zi.relu(), name("a", i)) for i, zi in enumerate(z)] if ell < len(Ws) else z
    return _square_loss(prev[0], y)


def _mlp_reference(x: float, Ws: list, bs: list, y: float, widths: Sequence[int]) -> dict[str, float]:
    """The MLP's gradients from matrix.py: output error, the δ recurrence, ∂L/∂W = δ aᵀ (M = 1)."""
    import numpy as np

    from autograd_tiny.teach import matrix

    Wn = [np.array(W, dtype=float) for W in Ws]
    bn = [np.array(b, dtype=float).reshape(-1, 1) for b in bs]
    acts = ["relu"] * (len(Ws) - 1) + ["linear"]
    Zs, As = matrix.forward(Wn, bn, np.array([[float(x)]]), acts)
    delta = matrix.output_delta("mse", Zs[-1], As[-1], np.array([[float(y)]]), "linear")
    dWs, dbs = matrix.backward(Wn, Zs, As, delta, acts)
    ref: dict[str, float] = {}
    for ell in range(1, len(Ws) + 1):
        name, _ = _layer_names(ell, widths[ell], widths[ell - 1])
        dW, db = dWs[ell - 1], dbs[ell - 1]
        for i in range(widths[ell]):
            ref[name("z", i)] = ref[name("b", i)] = float(db[i, 0])  # one example: δ = ∂L/∂b
            for j in range(widths[ell - 1]):
                ref[name("W", i, j)] = float(dW[i, j])
        if ell < len(Ws):  # ∂L/∂a⁽ℓ⁾ = W⁽ℓ⁺¹⁾ᵀ δ⁽ℓ⁺¹⁾
            back = Wn[ell].T @ dbs[ell]
            for i in range(widths[ell]):
                ref[name("a", i)] = float(back[i, 0])
    return ref


def _bce(z: Value, y: int) -> Value:
    """ŷ = σ(z) and L = −[y ln ŷ + (1 − y) ln(1 − ŷ)] as one node, as examples.example2 builds it:
    ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)), and the step into z reads the chapter's ŷ − y beside it."""
    return _named(binary_cross_entropy([_named(z.sigmoid(), "ŷ")], [y]), "L")


def _sigmoid_bce(rng: random.Random, level: int) -> Built:
    """Example 2: z = w·x + b, ŷ = σ(z), binary cross-entropy; level 2 has two inputs, level 3 a ReLU
    unit first (Practice Problem 1's network)."""
    state = _state(rng)  # level 3's ReLU unit (drawn first: see _two_layer_relu)
    for _ in range(_TRIES):
        y = rng.randrange(2)
        if level < 3:
            xs = [rng.choice(_NONZERO) for _ in range(level)]
            ws = [rng.choice(_HALVES) for _ in range(level)]
            b = rng.choice(_HALF_STEPS)
            z = sum(w * x for w, x in zip(ws, xs, strict=True)) + b
            if abs(z) <= 3:
                break
        else:
            x, w1, b1 = rng.choice(_NONZERO), rng.choice(_NONZERO), rng.randint(-3, 3)
            w2, b2 = rng.choice(_HALVES), rng.choice(_HALF_STEPS)
            z1 = w1 * x + b1
            a1 = max(z1, 0)
            z = w2 * a1 + b2
            if _in_state(z1, "off" if state == "zero" else state) and abs(z1) <= 9 and abs(z) <= 3:
                break
    loss = "L = −[y·ln ŷ + (1 − y)·ln(1 − ŷ)]"
    loss_latex = r"L = -\left[y \ln \hat{y} + (1 - y) \ln(1 - \hat{y})\right]"
    s = 1.0 / (1.0 + math.exp(-z))  # the closed form: ∂L/∂z = σ(z) − y
    d = s - y
    if level < 3:
        names = ["x"] if level == 1 else ["x1", "x2"]
        wnames = ["w"] if level == 1 else ["w1", "w2"]
        xv = [_leaf(x, n) for x, n in zip(xs, names, strict=True)]
        wv = [_leaf(w, n) for w, n in zip(ws, wnames, strict=True)]
        root = _bce(_named(F.affine(wv, xv, _leaf(b, "b")), "z"), y)
        given = {**dict(zip(names, xs, strict=True)), **dict(zip(wnames, ws, strict=True)), "b": b, "y": y}
        unknowns = ["z", *wnames, "b"]
        reference = {"z": d, "b": d, **{w: d * x for w, x in zip(wnames, xs, strict=True)}}
        if level == 1:
            network = [f"z = w·x + b,   ŷ = σ(z),   {loss}"]
            latex = [rf"z = w x + b,\quad \hat{{y}} = \sigma(z),\quad {loss_latex}"]
        else:
            network = [f"z = w1·x1 + w2·x2 + b,   ŷ = σ(z),   {loss}"]
            latex = [rf"z = w_1 x_1 + w_2 x_2 + b,\quad \hat{{y}} = \sigma(z),\quad {loss_latex}"]
    else:
        xv = _leaf(x, "x")
        z1v = _named(F.affine([_leaf(w1, "w1")], [xv], _leaf(b1, "b1")), "z1")
        a1v = _named(z1v.relu(), "a1")
        root = _bce(_named(F.affine([_leaf(w2, "w2")], [a1v], _leaf(b2, "b2")), "z2"), y)
        given = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "y": y}
        unknowns = ["z2", "w2", "b2", "z1", "w1", "b1"]
        d1 = d * w2 * (1.0 if z1 > 0 else 0.0)  # Practice Problem 1: (ŷ − y)·w2·ReLU′(z1)
        reference = {"z2": d, "w2": d * a1, "b2": d, "z1": d1, "w1": d1 * x, "b1": d1}
        network = [f"x → z1 = w1·x + b1 → a1 = ReLU(z1) → z2 = w2·a1 + b2 → ŷ = σ(z2),   {loss}"]
        latex = [
            r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w_2 a_1 + b_2 \to"
            rf" \hat{{y}} = \sigma(z_2),\quad {loss_latex}"
        ]
    return Built(
        "A sigmoid neuron with binary cross-entropy, backprop by hand (like the chapter's Example 2)",
        network,
        latex,
        given,
        root,
        unknowns,
        reference,
        "Give each answer to 4 significant digits (answers within 0.1% count as right).",
        tolerance=1e-3,
        digits=4,
    )


def _delta_recurrence(rng: random.Random, level: int) -> Built:
    """Practice Problem 4: given δ⁽³⁾ = ∂L/∂z⁽³⁾, W⁽³⁾ and z⁽²⁾ (ReLU), find
    δ⁽²⁾ = (W⁽³⁾ᵀ δ⁽³⁾) ⊙ ReLU′(z⁽²⁾); level 2 has a square W⁽³⁾, level 3 takes two steps."""
    if level < 3:
        return _delta_one_step(rng, 3, 2 if level == 1 else 3)  # W⁽³⁾ is 2 × 3, then 3 × 3
    return _delta_two_steps(rng)


def _delta_line(up: int, W: list, d: list, z: list) -> tuple[str, list]:
    """The chapter's recurrence δ⁽ℓ⁾ = (W⁽ℓ⁺¹⁾)ᵀδ⁽ℓ⁺¹⁾ ⊙ ReLU′(z⁽ℓ⁾) with its numbers, and δ⁽ℓ⁾."""
    back = [sum(W[j][i] * d[j] for j in range(len(W))) for i in range(len(z))]
    slope = [1 if zi > 0 else 0 for zi in z]  # ReLU′(z), with ReLU′(0) = 0
    delta = [b * s for b, s in zip(back, slope, strict=True)]
    lo = up - 1
    text = (f"δ{lo} = (W{up})ᵀδ{up} ⊙ ReLU′(z{lo}) = {value_text(back)} ⊙ {value_text(slope)}"
            f" = {value_text(delta)}")  # fmt: skip
    return text, delta


def _mixed(states: Sequence[str]) -> bool:
    """Whether some units are on and some are not."""
    return "on" in states and any(s != "on" for s in states)


def _delta_one_step(rng: random.Random, n_lo: int, n_hi: int) -> Built:
    """One step of the δ recurrence from layer 3 (n_hi units) to layer 2 (n_lo ReLU units)."""
    for _ in range(_TRIES):
        states = [_state(rng) for _ in range(n_lo)]
        if not _mixed(states):
            continue
        z = [_draw_in_state(rng, s, 3) for s in states]  # (drawn to match: no bias to undo here)
        W = [[rng.randint(-3, 3) for _ in range(n_lo)] for _ in range(n_hi)]
        d = [rng.choice(_TENTHS) for _ in range(n_hi)]  # δ⁽³⁾ in tenths
        back = [sum(W[j][i] * d[j] for j in range(n_hi)) for i in range(n_lo)]  # W⁽³⁾ᵀδ⁽³⁾, in tenths
        on = [s == "on" for s in states]
        # answers at most 5 in size; some on unit gets a gradient; forgetting ReLU′ would show
        if (
            max(abs(v) for v in back) <= 50
            and any(back[i] for i in range(n_lo) if on[i])
            and any(back[i] for i in range(n_lo) if not on[i])
        ):
            break
    z2 = [_leaf(zi, f"z2[{i}]") for i, zi in enumerate(z)]
    a2 = [_named(zi.relu(), f"a2[{i}]") for i, zi in enumerate(z2)]
    W3 = [[_leaf(w, f"W3[{j},{i}]") for i, w in enumerate(row)] for j, row in enumerate(W)]
    z3 = [_named(F.dot(W3[j], a2), f"z3[{j}]") for j in range(n_hi)]
    root = _named(F.dot(z3, [_leaf(dj / 10, f"δ3[{j}]") for j, dj in enumerate(d)]), "L")
    unknowns = [f"z2[{i}]" for i in range(n_lo)]
    deltas = _delta_reference([z], [W], d)
    reference = {f"z2[{i}]": deltas[0][i] for i in range(n_lo)}
    slips: tuple[Slip, ...] = ()
    if n_lo == n_hi:  # a square W⁽³⁾: W⁽³⁾δ⁽³⁾ has the right shape too, and is the classic slip
        wrong = [sum(W[i][j] * d[j] for j in range(n_hi)) / 10 * on[i] for i in range(n_lo)]
        slips = (
            Slip(
                "transposed",
                "you used W3·δ3 instead of W3ᵀ·δ3: the recurrence sends δ back through the transpose of W3",
                {f"z2[{i}]": wrong[i] for i in range(n_lo)},
                {f"z2[{i}]": f"a2[{i}]" for i in range(n_lo)},
            ),
        )
    return Built(
        "One step of the δ recurrence (like the chapter's Practice Problem 4)",
        [
            f"Backprop has reached layer 3: δ3 = ∂L/∂z3 (given below, {n_hi} entries).",
            f"Layer 2 is a ReLU layer: a2 = ReLU(z2) with {n_lo} units, and z3 = W3·a2.",
            "(W3[j,i] is row j, column i; entries count from 0; δ2[i] is ∂L/∂z2[i])",
        ],
        [
            r"\text{Backprop has reached layer 3: } \delta^{(3)} = \partial L / \partial z^{(3)}",
            r"\text{Layer 2 is a ReLU layer: } a^{(2)} = \operatorname{ReLU}(z^{(2)}),\quad"
            r" z^{(3)} = W^{(3)} a^{(2)}",
        ],
        {"δ3": [dj / 10 for dj in d], "z2": z, "W3": W},
        root,
        unknowns,
        reference,
        "Answers have at most one decimal (ReLU′(0) = 0, as in the chapter).",
        slips=slips,
        known=tuple(f"z3[{j}]" for j in range(n_hi)),
        matrix_form=(_delta_line(3, W, [dj / 10 for dj in d], z)[0],),
    )


def _delta_two_steps(rng: random.Random) -> Built:
    """Two steps of the δ recurrence: layer 4 (2 units) → layer 3 (3 ReLU) → layer 2 (2 ReLU)."""
    for _ in range(_TRIES):
        s2 = [_state(rng) for _ in range(2)]
        if "on" not in s2:
            continue
        z2 = [_draw_in_state(rng, s, 3) for s in s2]
        a2 = [max(v, 0) for v in z2]
        W3 = [[rng.randint(-2, 2) for _ in range(2)] for _ in range(3)]
        b3 = [rng.randint(-2, 2) for _ in range(3)]
        z3 = [sum(w * a for w, a in zip(row, a2, strict=True)) + b for row, b in zip(W3, b3, strict=True)]
        if not _mixed(["on" if v > 0 else "off" for v in z3]) or max(map(abs, z3)) > 9:
            continue
        W4 = [[rng.randint(-2, 2) for _ in range(3)] for _ in range(2)]
        d4 = [rng.choice(_TENTHS) for _ in range(2)]
        d3 = [sum(W4[k][j] * d4[k] for k in range(2)) * (z3[j] > 0) for j in range(3)]  # tenths
        d2 = [sum(W3[j][i] * d3[j] for j in range(3)) * (z2[i] > 0) for i in range(2)]
        if max(abs(v) for v in d3 + d2) <= 50 and any(d2) and any(d3):
            break
    z2v = [_leaf(v, f"z2[{i}]") for i, v in enumerate(z2)]
    a2v = [_named(v.relu(), f"a2[{i}]") for i, v in enumerate(z2v)]
    W3v = [[_leaf(w, f"W3[{j},{i}]") for i, w in enumerate(row)] for j, row in enumerate(W3)]
    z3v = [_named(F.affine(W3v[j], a2v, _leaf(b3[j], f"b3[{j}]")), f"z3[{j}]") for j in range(3)]
    a3v = [_named(v.relu(), f"a3[{j}]") for j, v in enumerate(z3v)]
    W4v = [[_leaf(w, f"W4[{k},{j}]") for j, w in enumerate(row)] for k, row in enumerate(W4)]
    z4v = [_named(F.dot(W4v[k], a3v), f"z4[{k}]") for k in range(2)]
    root = _named(F.dot(z4v, [_leaf(dk / 10, f"δ4[{k}]") for k, dk in enumerate(d4)]), "L")
    deltas = _delta_reference([z2, z3], [W3, W4], d4, b3)
    line4 = _delta_line(4, W4, [dk / 10 for dk in d4], z3)
    reference = {f"z2[{i}]": deltas[0][i] for i in range(2)} | {f"z3[{j}]": deltas[1][j] for j in range(3)}
    return Built(
        "Two steps of the δ recurrence (Practice Problem 4, one layer deeper)",
        [
            "Backprop has reached layer 4: δ4 = ∂L/∂z4 (given below, 2 entries); z4 = W4·a3.",
            "Layers 3 and 2 are ReLU layers: a3 = ReLU(z3), z3 = W3·a2 + b3 (values below), a2 = ReLU(z2).",
            "(W[j,i] is row j, column i; entries count from 0; δℓ[i] is ∂L/∂zℓ[i])",
        ],
        [
            r"\text{Backprop has reached layer 4: } \delta^{(4)} = \partial L / \partial z^{(4)},\quad"
            r" z^{(4)} = W^{(4)} a^{(3)}",
            r"a^{(3)} = \operatorname{ReLU}(z^{(3)}),\quad z^{(3)} = W^{(3)} a^{(2)} + b^{(3)},\quad"
            r" a^{(2)} = \operatorname{ReLU}(z^{(2)})",
        ],
        {"δ4": [dk / 10 for dk in d4], "W4": W4, "z3": z3, "W3": W3, "z2": z2},
        root,
        [f"z3[{j}]" for j in range(3)] + [f"z2[{i}]" for i in range(2)],
        reference,
        "Answers have at most one decimal (ReLU′(0) = 0, as in the chapter).",
        known=("z4[0]", "z4[1]"),
        matrix_form=(line4[0], _delta_line(3, W3, line4[1], z2)[0]),
    )


def _delta_reference(zs: list, Ws: list, d_top: list, b_mid: list | None = None) -> list[list[float]]:
    """δ of each ReLU layer from matrix.py's recurrence, for one example (M = 1, so ∂L/∂b = δ).

    zs are the ReLU layers' pre-activations from the bottom; the bottom one is made the output of
    a dummy first layer (weights 0, bias z), so matrix.forward reproduces every z.
    """
    import numpy as np

    from autograd_tiny.teach import matrix

    Wn = [np.zeros((len(zs[0]), 1))] + [np.array(W, dtype=float) for W in Ws]
    biases = [np.array(zs[0], dtype=float)] + ([np.array(b_mid, dtype=float)] if b_mid else [])
    biases.append(np.zeros(len(Ws[-1])))
    acts = ["relu"] * len(zs) + ["linear"]
    Zs, As = matrix.forward(Wn, [b.reshape(-1, 1) for b in biases], np.zeros((1, 1)), acts)
    _, dbs = matrix.backward(Wn, Zs, As, np.array(d_top, dtype=float).reshape(-1, 1) / 10, acts)
    return [[float(v) for v in dbs[ell][:, 0]] for ell in range(len(zs))]


def _batch_bias(rng: random.Random, level: int) -> Built:
    """Section 8: one layer Z = W·A + b on a batch of M columns with given errors Δ, the batch-averaged
    loss: ∂L/∂W = (1/M) Δ Aᵀ and ∂L/∂b = (1/M) Σm δm."""
    n_in, n_out, M = {1: (2, 2, 2), 2: (3, 2, 3), 3: (3, 3, 3)}[level]
    for _ in range(_TRIES):
        A = [[rng.randint(-3, 3) for _ in range(M)] for _ in range(n_in)]
        columns = list(zip(*A, strict=True))
        if (
            not all(any(row) for row in A)
            or not all(any(c) for c in columns)
            or len(set(map(tuple, A))) < n_in
        ):
            continue  # every input and every example matters, and no two inputs are the same
        # each row of Δ is drawn until its sums divide by M, so every answer is an integer
        D = []
        for _ in range(n_out):
            for _ in range(2000):
                row = [rng.randint(-3, 3) for _ in range(M)]
                sums = [sum(row), *(sum(r * a for r, a in zip(row, A[j], strict=True)) for j in range(n_in))]
                # no entry equal to the row's mean, or "one example's δ" and "divided by M twice" coincide
                if (
                    all(s % M == 0 for s in sums)
                    and sum(s == 0 for s in sums) <= 1
                    and sums[0] // M not in row
                ):
                    D.append(row)
                    break
        # every example has an error somewhere, and no two outputs' errors are the same
        if len(D) == n_out and all(any(c) for c in zip(*D, strict=True)) and len(set(map(tuple, D))) == n_out:
            break
    W = [[rng.choice(_NONZERO) for _ in range(n_in)] for _ in range(n_out)]
    b = [rng.randint(-3, 3) for _ in range(n_out)]
    Av = [[_leaf(A[j][m], f"A[{j},{m}]") for m in range(M)] for j in range(n_in)]
    Wv = [[_leaf(W[i][j], f"W[{i},{j}]") for j in range(n_in)] for i in range(n_out)]
    bv = [_leaf(b[i], f"b[{i}]") for i in range(n_out)]
    Z = [[_named(F.affine(Wv[i], [Av[j][m] for j in range(n_in)], bv[i]), f"z[{i},{m}]") for m in range(M)]
         for i in range(n_out)]  # fmt: skip
    Dv = [[_leaf(D[i][m], f"Δ[{i},{m}]") for m in range(M)] for i in range(n_out)]
    # Lm stands for example m's loss: all that backprop needs of it is ∂Lm/∂zm = δm, which this has
    Ls = [
        _named(F.dot([Z[i][m] for i in range(n_out)], [Dv[i][m] for i in range(n_out)]), f"L{m}")
        for m in range(M)
    ]
    root = _named(_named(F.sum(Ls), "ΣLm") * (1.0 / M), "L")
    unknowns = [f"W[{i},{j}]" for i in range(n_out) for j in range(n_in)] + [f"b[{i}]" for i in range(n_out)]

    import numpy as np

    from autograd_tiny.teach import matrix

    Wn, An, Dn = np.array(W, dtype=float), np.array(A, dtype=float), np.array(D, dtype=float)
    Zs, As = matrix.forward([Wn], [np.array(b, dtype=float).reshape(-1, 1)], An, ["linear"])
    dWs, dbs = matrix.backward([Wn], Zs, As, Dn, ["linear"])
    reference = {f"W[{i},{j}]": float(dWs[0][i, j]) for i in range(n_out) for j in range(n_in)}
    reference |= {f"b[{i}]": float(dbs[0][i, 0]) for i in range(n_out)}
    Tn = matrix.backward([Wn], Zs, As, Dn, ["linear"], mistake="transposed_outer")[0][0]  # (1/M) A Δᵀ
    slip = Slip(
        "transposed",
        "you computed (1/M)·A·Δᵀ, the outer product transposed: ∂L/∂W = (1/M)·Δ·Aᵀ has the shape of W "
        "(outputs × inputs), its entry [i,j] pairs output i's δ with input j",
        {
            f"W[{i},{j}]": float(Tn[i, j])
            for i in range(min(n_in, n_out))
            for j in range(n_out)
            if i < Tn.shape[0]
        },
        {},
    )
    return Built(
        "A batch through one layer (the chapter's section 8)",
        [
            f"Z = W·A + b, with the M = {M} examples as the columns of A (b is added to every column);",
            "the loss is the batch average L = (1/M)·Σm Lm. Backprop has already found each example's error",
            f"δm = ∂Lm/∂zm (not divided by M): the columns of Δ. A is {n_in} inputs × {M} examples, Δ is "
            f"{n_out} outputs × {M} examples.",
            "(W[i,j] is row i (an output), column j (an input); entries count from 0)",
        ],
        [
            rf"Z = W A + b,\quad M = {M}\text{{ examples as the columns of }} A,\quad"
            r" L = \frac{1}{M} \sum_m L_m",
            r"\text{each example's error } \delta_m = \partial L_m / \partial z_m"
            r" \text{ is column } m \text{ of } \Delta",
        ],
        {"A": A, "Δ": D},
        root,
        unknowns,
        reference,
        "Every answer is an integer.",
        batch=M,
        slips=(slip,),
        matrix_form=(
            f"∂L/∂W = (1/M)·Δ·Aᵀ = (1/{M})·{value_text((Dn @ An.T).tolist())} = "
            f"{value_text(dWs[0].tolist())}",
            f"∂L/∂b = (1/M)·Σm δm = (1/{M})·{value_text(Dn.sum(axis=1).tolist())} = "
            f"{value_text(dbs[0][:, 0].tolist())}",
        ),
    )


def _reused_node(rng: random.Random, level: int) -> Built:
    """A node that feeds two paths, so its gradient is a sum: a skip connection (level 1), one weight
    used in both layers (level 2), or both (level 3)."""
    state = "on" if rng.randrange(5) else rng.choice(("off", "zero"))  # drawn first: see _two_layer_relu
    for _ in range(_TRIES):
        x, b1, b2 = rng.choice(_NONZERO), rng.randint(-3, 3), rng.randint(-3, 3)
        w1, w2 = rng.choice(_NONZERO), rng.choice(_NONZERO)  # level 1: two weights; else w = w1
        if (level == 1 and abs(w2) == 1) or (level == 3 and abs(w1) == 1):
            continue  # the paths into a1 (w and 1) would cancel, or be impossible to tell apart
        z1 = w1 * x + b1
        if not _in_state(z1, state):
            continue
        a1 = max(z1, 0)
        y_hat = (w2 * a1 + b2 + a1) if level == 1 else (w1 * a1 + b2 + (a1 if level == 3 else 0))
        y = y_hat - rng.choice(_ERRORS)
        if abs(y) > 10 or abs(y_hat) > 20:
            continue
        xv, b1v, b2v = _leaf(x, "x"), _leaf(b1, "b1"), _leaf(b2, "b2")
        w1v = _leaf(w1, "w1" if level == 1 else "w")
        a1v = _named(_named(F.affine([w1v], [xv], b1v), "z1").relu(), "a1")
        if level == 1:
            z2 = _named(F.affine([_leaf(w2, "w2")], [a1v], b2v), "z2")
            y_hat_v = _named(z2 + a1v, "ŷ")
        elif level == 2:
            y_hat_v = _named(F.affine([w1v], [a1v], b2v), "ŷ")
        else:
            y_hat_v = _named(_named(F.affine([w1v], [a1v], b2v), "z2") + a1v, "ŷ")
        root = _square_loss(y_hat_v, y)
        unknowns = {1: ["ŷ", "w2", "a1", "z1", "w1"], 2: ["ŷ", "b2", "a1", "z1", "b1", "w"],
                    3: ["ŷ", "a1", "z1", "b1", "w"]}[level]  # fmt: skip
        if _small(root, unknowns, 150):
            break
    g = 2.0 * (y_hat - y)  # the closed form, by hand: ∂L/∂ŷ = 2(ŷ − y), then the chain rule
    on = 1.0 if z1 > 0 else 0.0
    if level == 1:
        da1 = g * (w2 + 1)  # two paths: through z2 (w2) and straight into ŷ (1)
        reference = {"ŷ": g, "w2": g * a1, "a1": da1, "z1": da1 * on, "w1": da1 * on * x}
        given = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "y": y}
        network = ["x → z1 = w1·x + b1 → a1 = ReLU(z1) → z2 = w2·a1 + b2 → ŷ = z2 + a1,   L = (ŷ − y)²",
                   "(a skip connection: a1 feeds both z2 and ŷ)"]  # fmt: skip
        latex = [r"x \to z_1 = w_1 x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w_2 a_1 + b_2 \to"
                 r" \hat{y} = z_2 + a_1,\quad L = (\hat{y} - y)^2"]  # fmt: skip
        title = "A skip connection: one node feeds two paths"
    else:
        da1 = g * (w1 + (1 if level == 3 else 0))
        dz1 = da1 * on
        reference = {"ŷ": g, "b2": g, "a1": da1, "z1": dz1, "b1": dz1, "w": g * a1 + dz1 * x}  # w: both uses
        given = {"x": x, "w": w1, "b1": b1, "b2": b2, "y": y}
        if level == 2:
            network = ["x → z1 = w·x + b1 → a1 = ReLU(z1) → ŷ = w·a1 + b2,   L = (ŷ − y)²",
                       "(the same weight w in both layers)"]  # fmt: skip
            latex = [r"x \to z_1 = w x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to \hat{y} = w a_1 + b_2,"
                     r"\quad L = (\hat{y} - y)^2"]  # fmt: skip
            title = "One weight used twice: its gradient sums both uses"
        else:
            network = ["x → z1 = w·x + b1 → a1 = ReLU(z1) → z2 = w·a1 + b2 → ŷ = z2 + a1,   L = (ŷ − y)²",
                       "(the same weight w in both layers, and a1 also feeds ŷ directly)"]  # fmt: skip
            latex = [r"x \to z_1 = w x + b_1 \to a_1 = \operatorname{ReLU}(z_1) \to z_2 = w a_1 + b_2 \to"
                     r" \hat{y} = z_2 + a_1,\quad L = (\hat{y} - y)^2"]  # fmt: skip
            title = "A weight used twice and a skip connection: two sums"
    return Built(title, network, latex, given, root, unknowns, reference, _INTEGERS)


_MAKERS: dict[str, Callable[[random.Random, int], Built]] = {
    "two_layer_relu": _two_layer_relu,
    "sigmoid_bce": _sigmoid_bce,
    "delta_recurrence": _delta_recurrence,
    "batch_bias": _batch_bias,
    "reused_node": _reused_node,
}


def check_choice(kind: object, seed: object, level: object) -> None:
    """A TypeError or ValueError naming the argument, unless kind, seed and level are usable."""
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, one of {', '.join(KINDS)}; got {type(kind).__name__}")
    if kind not in KINDS:
        raise ValueError(f"unknown kind {brief(kind)}: choose one of {', '.join(KINDS)}")
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")
    if isinstance(level, bool) or not isinstance(level, Integral):
        raise TypeError(f"level must be an int (1, 2 or 3), got {type(level).__name__}")
    if level not in LEVELS:
        raise ValueError(f"level must be 1, 2 or 3, got {level}")


def exercise(kind: str, seed: int = 0, level: int = 1) -> Exercise:
    """An exercise of ``kind`` (one of ``KINDS``); the same seed and level give the same one everywhere."""
    check_choice(kind, seed, level)
    seed, level = int(seed), int(level)  # a numpy integer too
    return Exercise(kind, seed, level, _MAKERS[kind](random.Random(seed), level))
