"""Compiled graphs give the engine's numbers bit for bit, read like the chapter, and refuse what
they cannot do.

The oracle is the engine itself: the compiled code promises the very same floats (same expressions
from the rule table, same order of accumulation), so results are compared bit for bit
(``float.hex``, which also tells 0.0 from −0.0), never with a tolerance.
"""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autograd_tiny import data, losses, rules, trace
from autograd_tiny import functional as F
from autograd_tiny.compile import Compiled, compile, compile_batch, identifier, to_python
from autograd_tiny.engine import OPS, Constant, Value, lift
from autograd_tiny.examples import example1, example2, primer, problem1
from autograd_tiny.graph import topological_order
from autograd_tiny.nn import MLP
from autograd_tiny.train import train


def bits(result):
    """(root, [grads]) with every float as its exact bits."""
    root, grads = result
    return root.hex(), [g.hex() for g in grads]


def leaves_of(root):
    """The leaves of a graph that are not constants, in topological order."""
    return [n for n in topological_order(root) if not n.parents and not isinstance(n, Constant)]


def engine(root, inputs):
    """What the engine says: the root's value and each input's gradient after one backward pass."""
    for v in inputs:
        v.grad = 0.0
    root.backward()
    return root.data, [v.grad for v in inputs]


# ---- the worked examples ---------------------------------------------------------------------

EXAMPLE_1_SOURCE = '''from math import isfinite

from autograd_tiny.rules import square


def f(x, w1, b1, w2, b2):
    """L and its gradient with respect to x, w1, b1, w2, b2, by the chain rule."""
    # forward pass: one line per node, parents first
    z1 = w1 * x + b1  # z1 = w1·x + b1
    a1 = z1 if z1 > 0.0 else 0.0  # a1 = ReLU(z1)
    z2 = w2 * a1 + b2  # z2 = w2·a1 + b2
    L = square(z2 - 10.0)  # L = (z2 − 10)²
    # backward pass: ∂L/∂u += ∂v/∂u · ∂L/∂v for each node v and parent u, children first
    dL_dL = 1.0
    dL_dx = dL_dw1 = dL_db1 = dL_dw2 = dL_db2 = 0.0
    dL_dz2 = 2.0 * (z2 - 10.0) * dL_dL  # ∂L/∂z2 = 2·(z2 − 10)
    dL_dw2 += a1 * dL_dz2  # ∂z2/∂w2 = a1
    dL_da1 = w2 * dL_dz2  # ∂z2/∂a1 = w2
    dL_db2 += dL_dz2  # ∂z2/∂b2 = 1
    dL_dz1 = (1.0 if z1 > 0.0 else 0.0) * dL_da1  # ∂a1/∂z1 = ReLU′(z1)
    dL_dw1 += x * dL_dz1  # ∂z1/∂w1 = x
    dL_dx += w1 * dL_dz1  # ∂z1/∂x = w1
    dL_db1 += dL_dz1  # ∂z1/∂b1 = 1
    # inf or NaN anywhere is refused, as the engine refuses it (its backward() names the op)
    if not isfinite(sum((z1, a1, z2, L, dL_dx, dL_dw1, dL_db1, dL_dw2, dL_db2))):
        raise OverflowError("f: a value or gradient is not finite (or their sum overflows)")
    return L, [dL_dx, dL_dw1, dL_db1, dL_dw2, dL_db2]
'''


def test_example_1_reads_like_the_chapter():
    ex = example1()
    inputs = [ex.nodes[k] for k in ("x", "w1", "b1", "w2", "b2")]
    assert to_python(ex.root, inputs) == EXAMPLE_1_SOURCE


def test_the_printed_source_runs_as_it_is_and_gives_the_answer_key():
    namespace = {}
    exec(EXAMPLE_1_SOURCE, namespace)
    L, (dx, dw1, db1, dw2, db2) = namespace["f"](1.0, 2.0, 0.0, 3.0, 1.0)
    assert (L, dw2, db2, dw1, db1) == (9.0, -12.0, -6.0, -18.0, -18.0)  # the chapter's key
    assert dx == -36.0  # ∂L/∂x = δ1·w1 = −18·2


@pytest.mark.parametrize("make", [example1, example2, problem1, primer])
def test_seed_examples_compile_to_the_engines_numbers(make):
    ex = make()  # the example ran the engine's backward pass once
    inputs = leaves_of(ex.root)
    expected = (ex.root.data, [v.grad for v in inputs])
    f = compile(ex.root, inputs)
    assert bits(f(*[v.data for v in inputs])) == bits(expected)


# ---- every op of the table, on random graphs ---------------------------------------------------

NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.0, 0.5, -2.5]),
    st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False),
)


@st.composite
def programs(draw, rule_names=None):
    """A random graph as a program: input numbers, then ops of the table on earlier nodes and
    constants (every op reads at least one node, as ops made from Values do)."""
    n_inputs = draw(st.integers(1, 3))
    xs = draw(st.lists(NUMBERS, min_size=n_inputs, max_size=n_inputs))
    steps = []
    n = n_inputs
    names = rule_names or [r.name for r in rules.TABLE]
    for _ in range(draw(st.integers(1, 6))):
        rule = rules.RULES[draw(st.sampled_from(names))]
        length = draw(st.integers(1, 3))

        def operand(n=n):
            if draw(st.integers(0, 3)) == 0:
                return ("constant", draw(NUMBERS))
            return ("node", draw(st.integers(0, n - 1)))

        args = []
        for name, vec in zip(rule.names, rule.vectors, strict=True):
            if rule.name == "cross_entropy" and name == "t":
                args.append(("constant", float(draw(st.integers(0, length - 1)))))  # a class index
            elif vec:
                args.append([operand() for _ in range(length)])
            else:
                args.append(operand())
        flat = [a for g in args for a in (g if isinstance(g, list) else [g])]
        if all(kind == "constant" for kind, _ in flat):
            args[0] = [("node", n - 1)] * length if rule.vectors[0] else ("node", n - 1)
        steps.append((rule.name, args))
        n += 1
    return xs, steps


def build(xs, steps):
    """Run a program with the engine: (root, input leaves)."""
    inputs = [Value(x, f"x{i}") for i, x in enumerate(xs)]
    nodes = list(inputs)

    def operand(ref):
        kind, v = ref
        return nodes[v] if kind == "node" else lift(v, "test")

    for name, args in steps:
        groups = [[operand(r) for r in a] if isinstance(a, list) else operand(a) for a in args]
        nodes.append(OPS[name](*groups))
    root = F.sum(nodes[len(inputs) :])  # every op node reaches the root
    return root, inputs


def outcome(thunk):
    """(root, grads) as bits, or the type of the error raised."""
    try:
        return bits(thunk())
    except (ArithmeticError, ValueError, IndexError) as e:
        return type(e)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.data())
def test_random_graphs_over_every_op_give_the_engines_bits(program, draw):
    xs, steps = program
    try:
        root, inputs = build(xs, steps)
    except (ArithmeticError, ValueError):
        return  # the engine refuses these numbers: there is no graph to compile
    f = compile(root, inputs)
    got = outcome(lambda: f(*xs))
    assert got == outcome(lambda: engine(root, inputs))
    event(f"recorded numbers: {got.__name__ if isinstance(got, type) else 'numbers'}")
    got = assert_the_engines_bits_at_other_numbers(f, xs, steps, draw)
    event(f"other numbers: {got.__name__ if isinstance(got, type) else 'numbers'}")


def assert_the_engines_bits_at_other_numbers(f, xs, steps, draw):
    """f at new input numbers gives what the same program run by the engine there gives; its outcome."""
    xs2 = draw.draw(st.lists(NUMBERS, min_size=len(xs), max_size=len(xs)))

    def engine_at_xs2():
        root2, inputs2 = build(xs2, steps)
        return engine(root2, inputs2)

    got = outcome(lambda: f(*xs2))
    assert got == outcome(engine_at_xs2)
    return got


@pytest.mark.parametrize("name", [r.name for r in rules.TABLE])
@settings(max_examples=25, deadline=None)
@given(draw=st.data())
def test_each_op_of_the_table_compiles_to_the_engines_bits(name, draw):
    xs, steps = draw.draw(programs(rule_names=[name]))
    try:
        root, inputs = build(xs, steps)
    except (ArithmeticError, ValueError):
        return
    assert any(n.op == name for n in topological_order(root))
    f = compile(root, inputs)
    assert outcome(lambda: f(*xs)) == outcome(lambda: engine(root, inputs))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.data())
def test_leaves_left_out_of_the_inputs_are_fixed_numbers(program, draw):
    xs, steps = program
    try:
        root, inputs = build(xs, steps)
        expected = engine(root, inputs)
    except (ArithmeticError, ValueError):
        return
    keep = draw.draw(st.lists(st.booleans(), min_size=len(inputs), max_size=len(inputs)))
    chosen = [v for v, k in zip(inputs, keep, strict=True) if k]
    got = compile(root, chosen)(*[v.data for v in chosen])
    wanted = (expected[0], [g for g, k in zip(expected[1], keep, strict=True) if k])
    assert bits(got) == bits(wanted)


# ---- networks: every activation, every loss ---------------------------------------------------

LOSSES = {
    "mse_loss": (lambda out: losses.mse_loss(out, [0.5, -1.0, 2.0]), "linear"),
    "binary_cross_entropy": (lambda out: losses.binary_cross_entropy(out, [1.0, 0.0, 0.3]), "sigmoid"),
    "binary_cross_entropy_with_logits": (
        lambda out: losses.binary_cross_entropy_with_logits(out, [1.0, 0.0, 0.3]),
        "linear",
    ),
    "cross_entropy": (lambda out: losses.cross_entropy(out, 1), "linear"),
    "hinge_loss": (lambda out: losses.hinge_loss(out, [1.0, -1.0, 1.0]), "linear"),
}


def test_every_loss_of_losses_py_is_tested():
    public = {
        name
        for name, f in vars(losses).items()
        if inspect.isfunction(f) and f.__module__ == losses.__name__ and not name.startswith("_")
    }
    assert public == set(LOSSES)


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("fused", [True, False])
def test_mlps_compile_to_the_engines_bits(activation, loss, fused):
    make_loss, output = LOSSES[loss]
    model = MLP(3, [4, 3], activation=activation, output_activation=output, seed=7, fused=fused)
    x = [Value(v, f"x[{j}]") for j, v in enumerate([0.5, -1.2, 2.0])]
    L = make_loss(model(x))
    inputs = [*model.parameters(), *x]
    f = compile(L, inputs)
    assert bits(f(*[v.data for v in inputs])) == bits(engine(L, inputs))
    # the names are the chapter's: W1[0,1] is W1_0_1, its gradient dy_dW1_0_1 (the loss is unlabelled)
    assert "dy_dW1_0_1 += x_1 * dy_d" in f.source
    if fused:
        assert "dy_dW1_0_1 += x_1 * dy_dz1_0  # ∂z1[0]/∂W1[0,1] = x[1]" in f.source


# ---- training ---------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "bce"])
def test_compiled_training_has_the_engines_history_to_the_last_bit(loss):
    X, y = data.make_moons(40, 0.1, seed=3)
    plain, fast = MLP(2, [8, 8, 1], seed=3), MLP(2, [8, 8, 1], seed=3)
    h1 = train(plain, X, y, steps=6, loss=loss)
    h2 = train(fast, X, y, steps=6, loss=loss, compiled=True)
    assert [v.hex() for v in h1.loss] == [v.hex() for v in h2.loss]
    assert h1.accuracy == h2.accuracy and h1.lr == h2.lr
    assert [p.data.hex() for p in plain.parameters()] == [p.data.hex() for p in fast.parameters()]
    assert [p.grad.hex() for p in plain.parameters()] == [p.grad.hex() for p in fast.parameters()]


def _batch(branchy: bool, classes: int = 1, values=(0.7, -0.4, 0.2, 0.1)):
    """A small batch loss: per example a tiny network (its structure depends on x if branchy)."""
    w = [Value(v, f"w[{i}]") for i, v in enumerate(values[:3])]
    b = Value(values[3], "b")
    X = [0.5, -1.5, 2.0, -0.3, 1.1]
    outputs, terms = [], []
    for k, xv in enumerate(X):
        x = Value(xv, "x")
        z = [F.affine([w[c]], [x], b) for c in range(classes)]
        a = [zc.relu() if branchy and xv > 0 else zc.tanh() for zc in z]
        outputs.append(a)
        terms.append(losses.cross_entropy(a, k % classes) if classes > 1 else (a[0] - 0.5 * k) ** 2)
    root = F.sum(terms) * (1.0 / len(terms)) + 1e-2 * F.dot([*w, b], [*w, b])
    return root, [*w, b], outputs


@pytest.mark.parametrize("branchy, classes, structures", [(False, 1, 1), (True, 1, 2), (True, 3, 2)])
def test_batches_group_examples_by_structure_and_keep_the_engines_bits(branchy, classes, structures):
    root, params, outputs = _batch(branchy, classes)
    batch = compile_batch(root, params, outputs)
    assert batch.structures == structures
    value, grads, outs = batch([p.data for p in params])
    assert bits((value, grads)) == bits(engine(root, params))
    assert outs == [tuple(o.data for o in g) for g in outputs]


def test_a_batch_that_overflows_raises_the_engines_error():
    batch = compile_batch(*_batch(branchy=True))
    huge = [1e300, 0.0, 0.0, 0.0]  # w[0] = 1e300: a relu example's output, squared, overflows
    with pytest.raises(OverflowError) as compiled_error:
        batch(huge)
    with pytest.raises(OverflowError) as engine_error:
        _batch(branchy=True, values=huge)
    assert str(compiled_error.value) == str(engine_error.value)


def test_batch_refuses_examples_that_share_a_node_and_a_penalty_computed_first():
    w = Value(0.5, "w")
    shared = w * 2.0
    a, b = shared.tanh(), shared.relu()
    with pytest.raises(ValueError, match="belongs to examples 0 and 1"):
        compile_batch(F.sum([a, b]), [w], [a, b])
    x1, x2 = (w * Value(3.0)).tanh(), (w * Value(-1.0)).tanh()
    with pytest.raises(ValueError, match="uses the parameters"):
        compile_batch(w * w + F.sum([x1, x2]), [w], [x1, x2])


# ---- structure that changes, ops that cannot be compiled, errors -------------------------------


def branchy(x):
    return x.relu() * 2.0 if x.data > 0 else x.tanh()


def test_a_graph_whose_structure_changes_is_refused():
    f = compile(branchy, [1.5])
    assert bits(f(0.25)) == bits((0.5, [2.0]))
    with pytest.raises(ValueError, match=r"node 1 .* is tanh\(x\) here but relu\(x\) in the compiled graph"):
        f(-1.0)
    # the same check on recorded graphs
    x = Value(1.5, "x")
    g = compile(branchy(x), [x])
    x2 = Value(3.0, "x")
    g.check(branchy(x2), [x2])  # the same structure: no error
    with pytest.raises(ValueError, match="compile it again"):
        g.check(branchy(Value(-3.0, "x")), [Value(-3.0, "x")])
    x3 = Value(2.0, "x")
    with pytest.raises(ValueError, match=r"the constant 3\.0 here but the constant 2\.0"):
        g.check(x3.relu() * 3.0, [x3])


def test_without_the_check_a_function_is_its_recorded_graph():
    f = compile(branchy, [1.5], check=False)
    assert f(-1.0) == (0.0, [0.0])  # relu's branch, as recorded: the user turned the check off


def test_custom_ops_are_refused_naming_the_op():
    x = Value(2.0, "x")
    y = Value.from_op(x.data**3, "cube", (x,), (3 * x.data**2,))
    with pytest.raises(ValueError, match=r"'cube' made with Value\.from_op"):
        compile(y * 2.0, [x])
    with pytest.raises(ValueError, match="'cube'"):
        compile_batch(F.sum([y]), [x], [y])


def test_errors_are_the_engines_own():
    x = Value(1.0, "x")
    f = compile(x.log(), [x])
    with pytest.raises(ValueError) as compiled:
        f(-1.0)
    with pytest.raises(ValueError) as engine_error:
        Value(-1.0, "x").log()
    assert str(compiled.value) == str(engine_error.value)
    # a product that overflows: the engine names the op
    a, b = Value(1.0, "a"), Value(1.0, "b")
    with pytest.raises(OverflowError, match=r"mul\(1e\+200, 1e\+200\) = inf"):
        compile(a * b, [a, b])(1e200, 1e200)
    # a gradient that overflows while every value is finite
    u = Value(1e-300, "u")
    g = compile((u * 1e300) * 1e300, [u])  # ∂/∂u = 1e600
    with pytest.raises(OverflowError, match=r"the gradient overflows at mul\(2e-300, 1e\+300\)"):
        g(2e-300)  # the value, 2e300, is finite


def test_bad_arguments_are_named():
    x, y = Value(1.0, "x"), Value(2.0, "y")
    z = x * y
    with pytest.raises(TypeError, match="root must be a Value"):
        compile(3.0, [x])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Value"):
        compile(z, [1.0])
    with pytest.raises(ValueError, match="must be a leaf"):
        compile(z, [z])
    with pytest.raises(ValueError, match="listed twice"):
        compile(z, [x, x])
    with pytest.raises(ValueError, match="name must be a Python identifier"):
        compile(z, [x], name="not a name")
    with pytest.raises(TypeError, match="name must be a str"):
        compile(z, [x], name=3)
    f = compile(z, [x, y])
    with pytest.raises(TypeError, match=r"takes 2 numbers \(x, y\), got 1"):
        f(1.0)
    with pytest.raises(TypeError, match=r"input 1 .* must be a real number"):
        f(1.0, "2")
    with pytest.raises(ValueError, match="must be finite"):
        f(1.0, float("nan"))


def test_compiled_never_touches_the_graphs_gradients():
    x = Value(3.0, "x")
    y = (x * x).tanh()
    f = compile(y, [x])
    f(0.5), f(1e-320)
    with pytest.raises(ValueError):
        compile(x.log(), [x])(-2.0)  # the engine replays the graph on fresh leaves to say why
    assert x.grad == 0.0 and y.grad == 0.0


def test_inputs_that_the_root_does_not_use_and_a_root_that_is_an_input():
    x, unused = Value(2.0, "x"), Value(5.0, "unused")
    assert compile(x * 3.0, [x, unused])(2.0, 5.0) == (6.0, [3.0, 0.0])
    assert compile(x, [x])(4.0) == (4.0, [1.0])


def test_comments_name_each_node_as_trace_names_its_row():
    # labels u, u and u#1: trace tells the three apart (u#0, u#1#1, u#1#3); the comments must too
    a, b, c = Value(1.0, "u"), Value(2.0, "u"), Value(3.0, "u#1")
    L = a * b + c
    L.label = "L"
    source = to_python(L, [a, b, c])
    assert [r.label for r in trace(L).rows] == ["u#0", "u#1#1", "n2", "u#1#3", "L"]
    assert "# t2 = u#0·u#1#1" in source and "# L = t2 + u#1#3" in source
    assert "# ∂L/∂u#1#3 = 1" in source and "# ∂t2/∂u#1#1 = u#0" in source


def test_names_are_valid_unique_identifiers():
    assert identifier("W1[0,1]") == "W1_0_1" and identifier("ŷ−y") == "ŷ_y"
    assert identifier("lambda") == "lambda_" and identifier("2x") == "_2x" and identifier("−") == ""
    a, b, c = Value(1.0, "a b"), Value(2.0, "a_b"), Value(3.0, "exp")
    d = a * b + c  # two labels that read alike, and one that is a function's name in generated code
    f = compile(d, [a, b, c])
    assert "def f(a_b, a_b_1, exp_3):" in f.source
    assert f(1.0, 2.0, 3.0) == (5.0, [2.0, 1.0, 1.0])
    # unlabelled nodes are t<row>, the row trace numbers them by
    assert "t2 = a_b * a_b_1  # t2 = (a b)·a_b" in f.source
    assert "y = t2 + exp_3" in f.source and "dy_dt2 = dy_dy  # ∂y/∂t2 = 1" in f.source
    assert "n2 " in str(trace(d))
    assert repr(f) == "<Compiled f(a_b, a_b_1, exp_3): 2 nodes, 4 chain-rule steps>"
    assert isinstance(f, Compiled)


# ---- the command line -------------------------------------------------------------------------


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "autograd_tiny", *args], capture_output=True, text=True, timeout=300
    )


def test_compile_command_prints_code_that_runs():
    out = _cli("compile", "tanh(w*x + b)", "w=2", "x=1", "b=0")
    assert out.returncode == 0, out.stderr
    assert "def f_and_gradient(w, x, b):" in out.stdout
    assert "df_dw += x * df_dt2  # ∂t2/∂w = x" in out.stdout
    namespace = {}
    exec(out.stdout, namespace)
    w, x, b = Value(2.0), Value(1.0), Value(0.0)
    y = (w * x + b).tanh()
    assert bits(namespace["f_and_gradient"](2.0, 1.0, 0.0)) == bits(engine(y, [w, x, b]))


def test_compile_command_reads_a_leading_minus_as_the_expression():
    out = _cli("compile", "-x**2", "x=3")
    assert out.returncode == 0, out.stderr
    namespace = {}
    exec(out.stdout, namespace)
    assert namespace["f_and_gradient"](3.0) == (-9.0, [-6.0])


def test_batch_outputs_must_be_values():
    w = Value(0.5, "w")
    with pytest.raises(TypeError, match=r"outputs\[1\] must be a Value"):
        compile_batch(w * 2.0, [w], [w * 2.0, 3.0])
    with pytest.raises(ValueError, match="must be computed Values"):
        compile_batch(w * 2.0, [w], [w])


def test_compile_command_errors_are_one_line():
    out = _cli("compile", "log(x)", "x=0")
    assert out.returncode == 2 and "log is defined only for positive numbers" in out.stderr
    assert "Traceback" not in out.stderr


def test_train_command_compiled():
    out = _cli("train", "--compiled", "--steps", "5", "--samples", "20")
    assert out.returncode == 0, out.stderr
    assert "step    5/5" in out.stdout and "final loss" in out.stdout


def test_train_compiled_gives_the_same_predictions():
    X, y = data.make_moons(20, 0.1, seed=1)
    m1, m2 = MLP(2, [4, 1], seed=1), MLP(2, [4, 1], seed=1)
    train(m1, X, y, steps=3)
    train(m2, X, y, steps=3, compiled=True)
    assert np.array_equal([p.data for p in m1.parameters()], [p.data for p in m2.parameters()])


def test_a_constant_divisor_folds_into_the_formula():
    # ∂(x / 2)/∂x = 1/v with v = 2 folds to 0.5 (it once crashed the printer, and trace with it)
    assert rules.to_text("1 / v", {}, {"v": 2.0}) == "0.5"
    x = Value(3.0, "x")
    assert "dy_dx += 1.0 / 2.0 * dy_dy  # ∂y/∂x = 0.5" in compile(x / 2.0, [x]).source


def test_the_rule_printers_refuse_bad_names_and_leave_what_cannot_be_folded():
    # folding 1/0 or an overflow is no error of the reader's: the formula is shown unfolded
    assert rules.to_text("u / v", None, {"u": 1.0, "v": 0.0}) == "1/0"
    assert rules.to_latex("u / v", None, {"u": 1.0, "v": 0.0}) == r"\frac{1}{0}"
    assert rules.to_text("u * v", None, {"u": 1e308, "v": 1e308}) == "1e+308·1e+308"
    with pytest.raises(TypeError, match=r"to_text: names\['u'\] must be a str, got int"):
        rules.to_text("u", {"u": 3})
    with pytest.raises(ValueError, match=r"to_python: names\['u'\] is not a Python expression: '1 \+'"):
        rules.to_python("u + v", {"u": "1 +"})


# ---- inlined functions: the same bits as the table's functions ----------------------------------

EDGES = [0.0, -0.0, 1.5, -1.5, 1e-310, -1e-310, 1e308, -1e308, float("inf"), float("-inf"), float("nan")]


def same(a, b):
    """Equal bits, or both NaN."""
    return (a != a and b != b) or a.hex() == b.hex()


def inlined(call: str, **values):
    """Evaluate the code compile.py writes for ``call`` (e.g. "relu(u)") at these numbers."""
    from autograd_tiny.transforms.compile.writer import _Inline

    tree = _Inline().visit(ast.parse(call, mode="eval"))
    assert not any(isinstance(n, ast.Call) for n in ast.walk(tree)), "written out, not called"
    return eval(ast.unparse(ast.fix_missing_locations(tree)), {}, dict(values))


@pytest.mark.parametrize("name", ["relu", "step", "sign"])
@pytest.mark.parametrize("u", EDGES)
def test_inlined_one_argument_functions_give_the_functions_bits(name, u):
    assert same(inlined(f"{name}(u)", u=u), rules.FLOAT_MATH[name](u))


@pytest.mark.parametrize("u", EDGES)
@pytest.mark.parametrize("k", [0.01, -0.0, float("inf")])
def test_inlined_leaky_relu_and_select_give_the_functions_bits(u, k):
    assert same(inlined("leaky_relu(u, k)", u=u, k=k), rules.leaky_relu(u, k))
    assert same(inlined("select(u, a, b)", u=u, a=k, b=-2.5), rules.select(u, k, -2.5))


@pytest.mark.parametrize("u", [x for x in EDGES if x == x and abs(x) < 1e300])
@pytest.mark.parametrize("v", [0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 7.0])
def test_whole_number_exponents_are_written_as_powers_with_the_functions_bits(u, v):
    for name in ("pow", "pow_minus_one"):
        try:
            expected = rules.FLOAT_MATH[name](u, v)
        except (ZeroDivisionError, OverflowError) as e:  # 0 ** −1, 1e-310 ** −2: the same error
            with pytest.raises(type(e)):
                inlined(f"{name}(u, {v!r})", u=u)
            continue
        assert same(inlined(f"{name}(u, {v!r})", u=u), expected), (name, u, v)


def test_a_non_whole_exponent_or_a_variable_one_stays_a_call():
    from autograd_tiny.transforms.compile.writer import _code

    assert _code("pow(u, v)", {"u": "x", "v": "0.5"}) == "pow(x, 0.5)"  # (−8) ** 0.5 is complex in Python
    assert _code("pow(u, v)", {"u": "x", "v": "p"}) == "pow(x, p)"
    assert _code("pow(u, v)", {"u": "x", "v": "3.0"}) == "x ** 3.0"
    assert _code("v * pow_minus_one(u, v)", {"u": "x", "v": "3.0"}) == "3.0 * x ** 2.0"
    assert _code("v * pow_minus_one(u, v)", {"u": "x", "v": "2.0"}) == "2.0 * x"  # x ** 1.0 is x


@given(st.lists(st.sampled_from([*EDGES[:8], 2.0, -3.0, 0.1]), min_size=0, max_size=6), st.data())
def test_an_inlined_dot_product_adds_left_to_right_as_rules_dot(w, data):
    x = data.draw(st.lists(st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.3]), min_size=len(w), max_size=len(w)))
    names = {f"w{i}": v for i, v in enumerate(w)} | {f"x{i}": v for i, v in enumerate(x)}
    ws, xs = (", ".join(f"{c}{i}" for i in range(len(w))) for c in "wx")
    call = f"dot([{ws}], [{xs}])"
    got = inlined(call, **names)
    expected = rules.dot(w, x)
    assert same(float(got), expected)


def test_gradients_that_are_minus_zero_inside_the_graph_give_the_engines_bits():
    # an inner gradient of −0.0 is assigned, not added to 0.0: the inputs' gradients are unchanged
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    t = x * w
    r = t.relu()  # relu(−6) = 0: ∂r/∂t = 0, times a negative upstream gradient is −0.0
    L = r * -0.0 + (t * -0.0) * 5.0 + x * 0.0
    L.backward()
    f = compile(L, [x, w])
    assert bits(f(2.0, -3.0)) == bits((L.data, [x.grad, w.grad]))
    for xs in ([0.0, -0.0], [-0.0, 1.0], [1.0, -0.0], [-2.0, -0.0]):
        nodes = [Value(v) for v in xs]
        a, b = nodes
        out = (a * b).relu() * -0.0 + (a * b) * -1.0
        out.backward()
        assert bits(compile(out, nodes)(*xs)) == bits((out.data, [a.grad, b.grad]))


def test_an_output_that_also_feeds_another_output_keeps_its_seed():
    # each example's outputs are h and z = h·v: h's gradient is its seed from the loss plus z's step
    w, v = Value(0.7, "w"), Value(-1.3, "v")
    outputs, flat = [], []
    for x in (0.5, -2.0, 1.5):
        h = (w * x).tanh()
        z = h * v
        outputs.append([h, z])
        flat += [h, z]
    L = F.sum(flat)
    L.backward()
    batch = compile_batch(L, [w, v], outputs)
    loss, grads, _ = batch([0.7, -1.3])
    assert bits((loss, grads)) == bits((L.data, [w.grad, v.grad]))


# ---- a long graph in pieces -------------------------------------------------------------------

COMPILE = sys.modules["autograd_tiny.transforms.compile.function"]  # writes long graphs in pieces


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(1, 4), st.data())
def test_a_graph_cut_into_pieces_gives_the_engines_bits(program, piece, draw):
    xs, steps = program
    try:
        root, inputs = build(xs, steps)
    except (ArithmeticError, ValueError):
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(COMPILE, "_PIECE", piece)
        f = compile(root, inputs)
    n_ops = sum(1 for n in topological_order(root) if n.parents)
    assert ("def f_forward_2(" in f.source) == (n_ops > piece)
    assert outcome(lambda: f(*xs)) == outcome(lambda: engine(root, inputs))
    assert_the_engines_bits_at_other_numbers(f, xs, steps, draw)


@pytest.mark.parametrize("piece", [1, 5, 13])
@pytest.mark.parametrize("loss", ["cross_entropy", "hinge_loss"])
def test_mlps_cut_into_pieces_give_the_engines_bits(piece, loss, monkeypatch):
    make_loss, output = LOSSES[loss]
    model = MLP(3, [4, 3], activation="relu", output_activation=output, seed=7)
    x = [Value(v, f"x[{j}]") for j, v in enumerate([0.5, -1.2, 2.0])]
    L = make_loss(model(x))
    inputs = [*model.parameters(), *x]
    monkeypatch.setattr(COMPILE, "_PIECE", piece)
    f = compile(L, inputs)
    assert bits(f(*[v.data for v in inputs])) == bits(engine(L, inputs))
    ast.parse(f.source)


def test_a_batch_whose_loss_is_cut_into_pieces_keeps_the_engines_bits(monkeypatch):
    monkeypatch.setattr(COMPILE, "_PIECE", 2)
    root, params, outputs = _batch(branchy=True)
    value, grads, _ = compile_batch(root, params, outputs)([p.data for p in params])
    assert bits((value, grads)) == bits(engine(root, params))


def test_an_overflow_in_a_piece_is_the_engines_error(monkeypatch):
    monkeypatch.setattr(COMPILE, "_PIECE", 1)
    a, b = Value(1.0, "a"), Value(1.0, "b")
    f = compile((a * b + a) * b, [a, b])
    with pytest.raises(OverflowError, match=r"mul\(1e\+200, 1e\+200\) = inf"):
        f(1e200, 1e200)


def test_a_long_chain_is_compiled_in_pieces_of_few_variables():
    x = Value(0.5, "x")
    y = x
    for i in range(COMPILE._PIECE * 2 + 10):  # three pieces, the last one of 10 nodes
        y = y * 1.0000001 if i % 2 else y + 0.1
    f = compile(y, [x])
    assert bits(f(0.5)) == bits(engine(y, [x]))
    namespace: dict = {}
    exec(f.source, namespace)
    pieces = sorted(k for k in namespace if k.startswith("f_"))
    assert pieces == [f"f_{p}_{i}" for p in ("backward", "forward") for i in (1, 2, 3)]
    # each piece holds about one value and one gradient per node; f itself, a handful
    assert max(namespace[k].__code__.co_nlocals for k in pieces) <= 2 * COMPILE._PIECE + 2
    assert namespace["f"].__code__.co_nlocals < 12


def test_pieces_pass_names_in_any_script_and_formulas_tell_minus_zero_from_zero(monkeypatch):
    θ = Value(0.5, "θ")
    ŷ = (θ * 3.0).tanh()
    ŷ.label = "ŷ"
    y = ŷ * 0.0 + θ * -0.0 + (ŷ - θ) ** 2
    y.label = "σ1"
    monkeypatch.setattr(COMPILE, "_PIECE", 2)
    f = compile(y, [θ])
    assert bits(f(0.5)) == bits(engine(y, [θ]))
    # a formula written first for 0.0 is not reused for −0.0
    for line in ["t3 = ŷ * 0.0  # t3 = ŷ·0", "t4 = θ * -0.0  # t4 = θ·−0", "# ∂t4/∂θ = −0", "# ∂t3/∂ŷ = 0"]:
        assert line + "\n" in f.source
