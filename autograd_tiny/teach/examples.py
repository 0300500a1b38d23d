"""Every worked result of the course texts (the chapter *16-05 Backpropagation (Mathematics)* and the
*Primer on Backpropagation*), built with the engine and checked against the texts' answer keys.

Each function builds its graph, runs the backward pass, and returns an ``Example``: the graph's
root (for ``trace`` and ``draw_dot``), the named nodes, and a list of ``Check``s pairing each
number of the answer key with what the engine computed. Numbers the key gives rounded (0.7311)
are checked to that rounding; exact ones exactly; and two ways of computing the same float (the
graph against numpy's algebra) to a stated tolerance, since their last bits depend on the order of
the sums, so on the CPU and the BLAS.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from autograd_tiny import nn
from autograd_tiny.core import functional as F
from autograd_tiny.core.engine import Value
from autograd_tiny.teach import matrix, pitfalls
from autograd_tiny.transforms.gradcheck import gradcheck


@dataclass(frozen=True)
class Check:
    """One item of an answer key: ``got`` relates to ``expected`` as ``relation`` says.

    relation "≈": |got − expected| ≤ tol; "<" / ">": got below / above expected; "shape": equal tuples.
    """

    name: str
    expected: float | tuple[int, ...]
    got: float | tuple[int, ...]
    relation: str = "≈"
    tol: float = 0.0
    note: str = ""  # why the key's digits differ from the engine's (the text rounded first), printed after it

    @property
    def ok(self) -> bool:
        """Whether the engine agrees with this item of the key."""
        if self.relation == "shape":
            return tuple(self.got) == tuple(self.expected)
        if self.relation == "<":
            return self.got < self.expected
        if self.relation == ">":
            return self.got > self.expected
        return abs(self.got - self.expected) <= self.tol

    def __str__(self) -> str:
        """One line: the check and its verdict, without digits that are only rounding.

        A difference that should vanish prints as "≤ tol" and a relative error that should be small
        as "< bound": their exact values (1e-17, 1e-10) change with the CPU and the maths library.
        A mismatch prints the value it got, which is then no longer rounding.
        """
        verdict = "ok" if self.ok else "MISMATCH"
        if self.relation == "shape":
            return f"{self.name} = {self.got}   (key {self.expected})   {verdict}"
        if self.relation == "<":
            if self.ok:
                return f"{self.name} < {_power(self.expected)}   {verdict}"
            return f"{self.name} = {_number(self.got)}   (key: below {_power(self.expected)})   {verdict}"
        if self.relation == ">":
            return f"{self.name} = {_number(self.got, 2)}   (key: above {_power(self.expected)})   {verdict}"
        if self.expected == 0.0 and self.tol and self.ok:
            return f"{self.name} ≤ {_power(self.tol)}   (key 0, up to rounding)   {verdict}"
        tol = f" ± {_power(self.tol)}" if self.tol else ""
        note = f"; {self.note}" if self.note else ""
        return f"{self.name} = {_number(self.got)}   (key {_number(self.expected)}{tol}{note})   {verdict}"


def _number(v: object, digits: int = 6) -> str:
    """A float to ``digits`` significant digits with a real minus sign (−12, 0.731059); else str(v)."""
    return f"{v:.{digits}g}".replace("-", "−") if isinstance(v, float) else str(v)


def _power(v: object) -> str:
    """A tolerance or bound as written by hand: 1e-12, 5e-5, 0.001."""
    if not isinstance(v, float) or 1e-3 <= abs(v) < 1e4:
        return f"{v:g}"
    mantissa, exponent = f"{v:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


@dataclass
class Example:
    """A worked result: its graph, its named nodes and its answer key against the engine."""

    name: str
    title: str
    source: str
    root: Value | None
    checks: list[Check]
    nodes: dict[str, Value] = field(default_factory=dict)

    def agrees(self) -> bool:
        """True if every item of the answer key matches the engine."""
        return all(c.ok for c in self.checks)

    def __str__(self) -> str:
        """Title, source and the checks, one a line."""
        lines = [f"{self.title}  [{self.source}]"] + [f"  {c}" for c in self.checks]
        lines.append(f"  the engine {'agrees with' if self.agrees() else 'DISAGREES with'} the answer key")
        return "\n".join(lines)


def _named(**nodes: Value) -> dict[str, Value]:
    """Label each Value with its keyword name and return them as a dict."""
    for name, v in nodes.items():
        v.label = name
    return nodes


def example1() -> Example:
    """Chapter, Example 1: x → z₁ = w₁x + b₁ → a₁ = ReLU(z₁) → z₂ = w₂a₁ + b₂ = ŷ, L = (ŷ − y)²."""
    x, w1, b1, w2, b2 = Value(1.0), Value(2.0), Value(0.0), Value(3.0), Value(1.0)
    z1 = F.affine([w1], [x], b1)  # one node, as the chapter writes z₁ = w₁·x + b₁
    a1 = z1.relu()
    z2 = F.affine([w2], [a1], b2)
    L = nn.mse_loss([z2], [10.0])  # (ŷ − y)², one node: its local derivative is the chapter's 2(ŷ − y)
    n = _named(x=x, w1=w1, b1=b1, w2=w2, b2=b2, z1=z1, a1=a1, z2=z2, L=L)
    L.backward()
    key = [("z1", 2.0), ("a1", 2.0), ("z2", 7.0), ("L", 9.0)]
    grads = [("z2", -6.0), ("w2", -12.0), ("b2", -6.0), ("z1", -18.0), ("w1", -18.0), ("b1", -18.0)]
    checks = [Check(k, v, n[k].data) for k, v in key]
    checks += [Check(f"∂L/∂{k}" if k != "z1" else "δ1 = ∂L/∂z1", v, n[k].grad) for k, v in grads]
    return Example(
        "example1", "Example 1: 2-layer network backprop by hand", "chapter, Example 1", L, checks, n
    )


def example2() -> Example:
    """Chapter, Example 2: one sigmoid neuron with BCE, x = 2, w = 1, b = −1, y = 0."""
    x, w, b, y = Value(2.0), Value(1.0), Value(-1.0), 0.0
    z = F.affine([w], [x], b)
    y_hat = z.sigmoid()
    # L = −[y ln ŷ + (1 − y) ln(1 − ŷ)], one node with ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)); times σ′(z) = ŷ(1 − ŷ)
    # that is the chapter's clean ∂L/∂z = ŷ − y, which trace writes beside the step
    L = nn.binary_cross_entropy([y_hat], [y])
    n = _named(x=x, w=w, b=b, z=z, ŷ=y_hat, L=L)
    L.backward()
    checks = [
        Check("z", 1.0, z.data),
        Check("ŷ = σ(1)", 0.7311, y_hat.data, tol=5e-5),
        Check("L", 1.313, L.data, tol=5e-4),
        Check("∂L/∂z = ŷ − y", 0.7311, z.grad, tol=5e-5),
        Check("∂L/∂w", 1.4622, w.grad, tol=1e-4, note="the chapter's 1.4622 is 2 × 0.7311, rounded first"),
        Check("∂L/∂b", 0.7311, b.grad, tol=5e-5),
    ]
    return Example(
        "example2", "Example 2: backprop through sigmoid + BCE", "chapter, Example 2", L, checks, n
    )


def example3() -> Example:
    """Chapter, Example 3: a 64 → 128 layer on a batch of 32: shapes of W, a, z, δ and ∂L/∂W."""
    rng = np.random.default_rng(3)
    n_in, n_out, M = 64, 128, 32
    W = [[Value(float(v)) for v in row] for row in rng.normal(0, 0.1, (n_out, n_in))]
    b = [Value(0.0) for _ in range(n_out)]
    A = rng.normal(size=(n_in, M))  # a⁽ℓ⁻¹⁾: inputs in columns
    # z⁽ℓ⁾ = W a⁽ℓ⁻¹⁾ + b for every column m; L = (1/M) Σₘ ½‖zₘ‖², so each example's δₘ = zₘ
    Z = [[F.affine(W[i], list(A[:, m]), b[i]) for m in range(M)] for i in range(n_out)]
    L = F.sum([z * z for row in Z for z in row]) * (0.5 / M)
    L.backward()
    dW = np.array([[w.grad for w in row] for row in W])
    Zd = np.array([[z.data for z in row] for row in Z])
    delta = np.array([[z.grad for z in row] for row in Z]) * M  # per-example δ = ∂Lₘ/∂z = z
    checks = [
        Check("W", (128, 64), (len(W), len(W[0])), "shape"),
        Check("a⁽ℓ⁻¹⁾", (64, 32), A.shape, "shape"),
        Check("z", (128, 32), Zd.shape, "shape"),
        Check("δ", (128, 32), delta.shape, "shape"),
        Check("∂L/∂W", (128, 64), dW.shape, "shape"),
        Check("max |∂L/∂W − (1/M) δ aᵀ|", 0.0, float(np.max(np.abs(dW - delta @ A.T / M))), tol=1e-12),
    ]
    return Example("example3", "Example 3: matrix shape analysis", "chapter, Example 3", None, checks)


def problem1() -> Example:
    """Practice Problem 1: ∂L/∂w₁ = (ŷ − y)·w₂·ReLU′(z₁)·x for a ReLU → sigmoid network with BCE;
    checked where z₁ > 0 and where z₁ ≤ 0 (then the gradient is 0)."""
    active = _problem1(x=1.5, w1=0.8, b1=0.1, w2=-1.2, b2=0.3)
    dead = _problem1(x=1.5, w1=-0.8, b1=0.1, w2=-1.2, b2=0.3)
    checks = [*active.checks, Check("with z1 ≤ 0: ∂L/∂w1", 0.0, dead.nodes["w1"].grad)]
    return Example("problem1", active.title, active.source, active.root, checks, active.nodes)


def _problem1(x: float, w1: float, b1: float, w2: float, b2: float) -> Example:
    """Practice Problem 1's network for one set of numbers."""
    y = 1.0
    vx, vw1, vb1, vw2, vb2 = Value(x), Value(w1), Value(b1), Value(w2), Value(b2)
    z1 = F.affine([vw1], [vx], vb1)
    a1 = z1.relu()
    z2 = F.affine([vw2], [a1], vb2)
    y_hat = z2.sigmoid()
    L = nn.binary_cross_entropy([y_hat], [y], reduction="sum")
    n = _named(x=vx, w1=vw1, b1=vb1, w2=vw2, b2=vb2, z1=z1, a1=a1, z2=z2, ŷ=y_hat, L=L)
    L.backward()
    formula = (y_hat.data - y) * w2 * (1.0 if z1.data > 0 else 0.0) * x  # the answer, in floats
    checks = [Check("∂L/∂w1 = (ŷ − y)·w2·ReLU′(z1)·x", formula, vw1.grad, tol=1e-12)]
    return Example(
        "problem1",
        "Practice Problem 1: the full expression for ∂L/∂w₁",
        "chapter, Practice Problem 1",
        L,
        checks,
        n,
    )


def problem4() -> Example:
    """Practice Problem 4: δ⁽²⁾ = ((W⁽³⁾)ᵀ δ⁽³⁾) ⊙ ReLU′(z⁽²⁾) = [0.8, 0, 0] with ReLU′(0) = 0."""
    z2 = [Value(1.0, "z2[0]"), Value(-2.0, "z2[1]"), Value(0.0, "z2[2]")]
    a2 = [z.relu() for z in z2]
    for i, a in enumerate(a2):
        a.label = f"a2[{i}]"
    W3 = [
        [Value(w, f"W3[{i},{j}]") for j, w in enumerate(row)] for i, row in enumerate([[1, 2, 3], [-1, 0, 1]])
    ]
    z3 = [F.dot(W3[i], a2) for i in range(2)]
    for i, z in enumerate(z3):
        z.label = f"z3[{i}]"
    delta3 = [Value(0.5, "δ3[0]"), Value(-0.3, "δ3[1]")]
    L = F.dot(z3, delta3)  # L = Σᵢ δ⁽³⁾ᵢ z⁽³⁾ᵢ, so exactly ∂L/∂z⁽³⁾ = δ⁽³⁾ arrives
    L.label = "L"
    L.backward()
    checks = [Check(f"δ2[{i}]", e, z2[i].grad) for i, e in enumerate((0.8, 0.0, 0.0))]
    return Example(
        "problem4",
        "Practice Problem 4: one step of the δ recurrence",
        "chapter, Practice Problem 4",
        L,
        checks,
        {f"z2[{i}]": z for i, z in enumerate(z2)},
    )


def problem5(seed: int = 5) -> Example:
    """Practice Problem 5: a linear deep network is one layer (W_eff, b_eff); ∂L/∂W_eff = (ŷ − y)xᵀ."""
    model = nn.MLP(2, [3, 3, 2], activation="linear", seed=seed)
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=2), rng.normal(size=2)
    state = model.state_dict()
    Ws = [np.array(state[f"W{i}"]) for i in (1, 2, 3)]
    bs = [np.array(state[f"b{i}"]).reshape(-1, 1) for i in (1, 2, 3)]
    W_eff, b_eff = matrix.collapse_linear(Ws, bs)
    deep = np.array([o.data for o in model(list(x))])
    # the collapsed network, as a graph of its own with W_eff as parameters, L = ½‖ŷ − y‖²
    We = [[Value(float(W_eff[i, j]), f"Weff[{i},{j}]") for j in range(2)] for i in range(2)]
    y_hat = [F.affine(We[i], list(x), float(b_eff[i, 0])) for i in range(2)]
    L = 0.5 * nn.mse_loss(y_hat, list(y), reduction="sum")
    L.label = "L"
    L.backward()
    got = np.array([[w.grad for w in row] for row in We])
    expected = np.outer(np.array([v.data for v in y_hat]) - y, x)
    checks = [
        Check(
            "max |deep(x) − (W_eff x + b_eff)|",
            0.0,
            float(np.max(np.abs(deep - (W_eff @ x + b_eff[:, 0])))),
            tol=1e-12,
        ),
        Check("max |∂L/∂W_eff − (ŷ − y)xᵀ|", 0.0, float(np.max(np.abs(got - expected))), tol=1e-12),
    ]
    return Example(
        "problem5", "Practice Problem 5: linear layers collapse", "chapter, Practice Problem 5", L, checks
    )


def batches(seed: int = 8, M: int = 4) -> Example:
    """Section 8: Z = WA + b over M columns; ∂L/∂W = (1/M) Δ Aᵀ, ∂L/∂b sums δ, divided by M once."""
    rng = np.random.default_rng(seed)
    Wn, bn, A, Y = (
        rng.normal(size=(2, 3)),
        rng.normal(size=(2, 1)),
        rng.normal(size=(3, M)),
        rng.normal(size=(2, M)),
    )
    W = [[Value(float(Wn[i, j]), f"W[{i},{j}]") for j in range(3)] for i in range(2)]
    b = [Value(float(bn[i, 0]), f"b[{i}]") for i in range(2)]
    # L = (1/M) Σₘ ½‖W aₘ + b − yₘ‖²: the batch-averaged loss, built example by example
    per_example = [
        0.5
        * nn.mse_loss([F.affine(W[i], list(A[:, m]), b[i]) for i in range(2)], list(Y[:, m]), reduction="sum")
        for m in range(M)
    ]
    L = F.sum(per_example) * (1.0 / M)
    L.label = "L"
    L.backward()
    Zs, As = matrix.forward([Wn], [bn], A, ["linear"])
    delta = matrix.output_delta("half_sse", Zs[0], As[1], Y, "linear")  # Δ = Z − Y, per example
    dW, db = np.array([[w.grad for w in row] for row in W]), np.array([[v.grad] for v in b])
    twice, _ = matrix.backward([Wn], Zs, As, delta, ["linear"], mistake="divide_twice")
    checks = [
        Check("max |∂L/∂W − (1/M) Δ Aᵀ|", 0.0, float(np.max(np.abs(dW - delta @ A.T / M))), tol=1e-12),
        Check(
            "max |∂L/∂b − (1/M) Σₘ δₘ|",
            0.0,
            float(np.max(np.abs(db - delta.sum(1, keepdims=True) / M))),
            tol=1e-12,
        ),
        Check("∂L/∂W ÷ (dividing by M twice)", float(M), float(np.mean(dW / twice[0])), tol=1e-9),
    ]
    return Example("batches", "Section 8: handling batches", "chapter, section 8", L, checks)


def gradient_checking() -> Example:
    """Section 9: central differences agree with Example 1's backward pass to < 1e-7 relative."""
    ex = example1()
    p = ex.nodes

    def loss(w1: Value, b1: Value, w2: Value, b2: Value) -> Value:
        z1 = F.affine([w1], [1.0], b1)
        return (F.affine([w2], [z1.relu()], b2) - 10.0) ** 2

    result = gradcheck(loss, [p["w1"], p["b1"], p["w2"], p["b2"]])
    checks = [Check("max relative error", 1e-7, result.max_rel_error, "<")]
    checks += [
        Check(f"∂L/∂{r.name} (central difference)", r.analytic, r.numeric, tol=1e-6) for r in result.rows
    ]
    return Example("gradcheck", "Section 9: gradient checking", "chapter, section 9", ex.root, checks)


def _pitfall_checks() -> list[tuple[str, Callable[[str | None], Callable[..., Value]], list[float]]]:
    """(mistake, builder of f for gradcheck, inputs) for each of the chapter's pitfalls."""
    r = random.Random(9)
    layer = [r.uniform(-1, 1) for _ in range(8)]  # W (2×2), x (2), b (2)

    def dense(m: str | None) -> Callable[..., Value]:
        return lambda *q: F.dot(pitfalls.dense_tanh(q[:4], q[4:6], q[6:], m), [1.0, -2.0])

    def batch(m: str | None) -> Callable[..., Value]:
        return lambda w, b: pitfalls.batch_mse(w, b, [0.5, -1.0, 2.0], [1.0, 0.0, 0.5], m)

    def sig(m: str | None) -> Callable[..., Value]:
        return lambda u: pitfalls.sigmoid(u * 2.0, m) * 3.0

    return [
        ("forget_fprime", dense, layer),
        ("transposed_outer", dense, layer),
        ("bias_not_summed", batch, [0.3, -0.2]),
        ("divide_twice", batch, [0.3, -0.2]),
        ("wrong_sign", sig, [0.4]),
    ]


def pitfall_checks() -> Example:
    """Pitfalls: gradcheck passes each right rule (< 1e-7) and catches each planted mistake (> 1e-3)."""
    checks = []
    for mistake, build, inputs in _pitfall_checks():
        checks.append(
            Check(
                f"{mistake}: correct rule, max rel. error",
                1e-7,
                gradcheck(build(None), inputs).max_rel_error,
                "<",
            )
        )
        checks.append(
            Check(
                f"{mistake}: planted mistake, max rel. error",
                1e-3,
                gradcheck(build(mistake), inputs).max_rel_error,
                ">",
            )
        )
    return Example("pitfalls", "Pitfalls, caught by gradient checking", "chapter, Pitfalls", None, checks)


def primer(seed: int = 10, n: int = 3, h: int = 4, m: int = 2) -> Example:
    """The primer: x → σ(W₁x + b₁) → σ(W₂a₁ + b₂), L = ½‖a₂ − y‖², three ways: graph, equations, matrix.py."""
    rng = np.random.default_rng(seed)
    model = nn.MLP(n, [h, m], activation="sigmoid", output_activation="sigmoid", seed=seed)
    x, y = rng.normal(size=n), rng.uniform(size=m)
    out = model(list(x))
    L = 0.5 * nn.mse_loss(out, list(y), reduction="sum")
    L.label = "L"
    L.backward()
    st = model.state_dict()
    W1, W2 = np.array(st["W1"]), np.array(st["W2"])
    b1, b2 = np.array(st["b1"]), np.array(st["b2"])
    # the primer's vector equations
    a1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    a2 = 1 / (1 + np.exp(-(W2 @ a1 + b2)))
    dz2 = (a2 - y) * a2 * (1 - a2)
    dz1 = (W2.T @ dz2) * a1 * (1 - a1)
    eq = {"W1": np.outer(dz1, x), "b1": dz1, "W2": np.outer(dz2, a1), "b2": dz2}
    _, dWs, dbs = matrix.gradients([W1, W2], [b1, b2], x[:, None], y[:, None], ["sigmoid"] * 2, "half_sse")
    mat = {"W1": dWs[0], "b1": dbs[0][:, 0], "W2": dWs[1], "b2": dbs[1][:, 0]}
    graph = {
        f"{k}{i + 1}": np.array(v)
        for i, layer in enumerate(model.layers)
        for k, v in (
            ("W", [[w.grad for w in nr.w] for nr in layer.neurons]),
            ("b", [nr.b.grad for nr in layer.neurons]),
        )
    }
    checks = []
    for k in ("W2", "b2", "W1", "b1"):
        checks.append(
            Check(
                f"max |∂L/∂{k}: graph − equations|", 0.0, float(np.max(np.abs(graph[k] - eq[k]))), tol=1e-12
            )
        )
        checks.append(
            Check(
                f"max |∂L/∂{k}: matrix.py − equations|", 0.0, float(np.max(np.abs(mat[k] - eq[k]))), tol=1e-12
            )
        )
    return Example("primer", "Primer: a two-layer sigmoid network", "Primer on Backpropagation", L, checks)


EXAMPLES: dict[str, Callable[[], Example]] = {
    "example1": example1,
    "example2": example2,
    "example3": example3,
    "problem1": problem1,
    "problem4": problem4,
    "problem5": problem5,
    "batches": batches,
    "gradcheck": gradient_checking,
    "pitfalls": pitfall_checks,
    "primer": primer,
}


def all_examples() -> list[Example]:
    """Every worked result, in the order of the seeds' README."""
    return [make() for make in EXAMPLES.values()]
