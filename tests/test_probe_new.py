"""Bad input to the newer public surface: higher.py, rules.py, compile.py, stepper.py, practice.py,
Trace.to_latex, gradcheck(order=...), Value.from_op(rule=...) and draw_dot's newer options.

Each public callable is called with a valid set of arguments, then with each argument replaced by
each of a list of wrong values. The call must either work or raise a built-in error of the kinds a
user expects (TypeError, ValueError, OverflowError, ZeroDivisionError, KeyError) whose message names
the function or the argument: never an AttributeError, IndexError, RecursionError or NameError from
deep inside. Then: functions given to grad/hessian/jacobian/jvp that misbehave, and deep graphs.
"""

from __future__ import annotations

import math

import pytest

from autograd_tiny import Value, gradcheck, higher, practice, rules, stepper, viz
from autograd_tiny.compile import compile, compile_batch
from autograd_tiny.compile import to_python as compile_to_python
from autograd_tiny.trace import trace

ALLOWED = (TypeError, ValueError, OverflowError, ZeroDivisionError, KeyError)


def _graph() -> tuple[Value, list[Value]]:
    """A small graph L = tanh(w·x + b)² over three leaves."""
    w, x, b = Value(0.5, "w"), Value(-1.5, "x"), Value(0.25, "b")
    return (w * x + b).tanh() ** 2, [w, x, b]


def _bad_values() -> list[tuple[str, object]]:
    """The wrong values of the brief, each with an id (a fresh Value and list each time)."""
    return [
        ("None", None),
        ("dict", {}),
        ("set", set()),
        ("str", "abc"),
        ("nan", float("nan")),
        ("inf", float("inf")),
        ("minus1", -1),
        ("zero", 0),
        ("huge", 10**400),
        ("object", object()),
        ("empty list", []),
        ("[None]", [None]),
        ("Value", Value(1.0, "v")),
        ("list of Values", [Value(1.0, "v")]),
    ]


def _sq(x):
    return x * x


def _two(x, y):
    return x * y + x.sin()


def _vec(x, y):
    return [x * y, x + y]


def _forward(u, v):
    return u * v


def _derivs(u, v):
    return (v, u)


def _backward(grads, node):
    u, v = node.inputs
    grads[u] = grads.get(u, 0.0) + node_data(v) * grads[node]
    grads[v] = grads.get(v, 0.0) + node_data(u) * grads[node]


def node_data(n):
    return n.data


def _calls(tmp_path):
    """(name, function, args, kwargs, names of the arguments, the words a message may name)."""
    L, xs = _graph()
    t = trace(L)
    compiled = compile(L, xs)
    ex = practice.exercise("two_layer_relu", seed=0)
    step = stepper.step_through(L)
    path = str(tmp_path / "s.html")
    mul = rules.RULES["mul"]
    return [
        ("grad", higher.grad, [_sq], {"argnum": 0}),
        ("grad()", lambda x: higher.grad(_sq)(x), [2.0], {}),
        ("grad(argnum)", lambda x, y: higher.grad(_two, argnum=1)(x, y), [2.0, 3.0], {}),
        ("gradients", higher.gradients, [L, xs], {"create_graph": False}),
        ("gradients cg", lambda r, i: higher.gradients(r, i, create_graph=True), [L, xs], {}),
        ("hessian", higher.hessian, [_two], {}),
        ("hessian()", lambda x, y: higher.hessian(_two)(x, y), [2.0, 3.0], {}),
        ("jacobian", higher.jacobian, [_vec], {"mode": "reverse"}),
        ("jacobian()", lambda x, y: higher.jacobian(_vec)(x, y), [2.0, 3.0], {}),
        ("jacobian fwd()", lambda x, y: higher.jacobian(_vec, "forward")(x, y), [2.0, 3.0], {}),
        ("jvp", higher.jvp, [_two, [2.0, 3.0], [1.0, 0.0]], {}),
        ("tangents", higher.tangents, [[L], xs, [1.0, 0.0, 0.0]], {}),
        ("local_derivatives", higher.local_derivatives, [L], {}),
        ("rules.to_text", rules.to_text, ["y * sigmoid(-u)", {"u": "z"}, {"u": 2.0}], {}),
        ("rules.to_latex", rules.to_latex, ["1 / u", {"u": "z"}, {"u": 2.0}], {}),
        ("rules.to_python", rules.to_python, ["1 / u", {"u": "z1"}], {}),
        ("rules.float_source", rules.float_source, [mul], {}),
        ("Rule.split", mul.split, [[Value(1.0), Value(2.0)]], {}),
        ("Rule.locate", mul.locate, [1, 2], {}),
        ("compile.to_python", compile_to_python, [L, xs, "f"], {}),
        ("compile", compile, [L, xs, "f"], {}),
        ("compile(f)", compile, [_two, [2.0, 3.0]], {}),
        ("compile_batch", compile_batch, [L, xs, [L]], {}),
        ("Compiled.check", compiled.check, [L, xs], {}),
        ("Compiled()", compiled, [0.5, -1.5, 0.25], {}),
        ("step_through", stepper.step_through, [L], {"rankdir": "LR", "max_nodes": 500}),
        ("Stepper.save", step.save, [path], {}),
        ("derivation_latex", stepper.derivation_latex, [t], {}),
        ("exercise", practice.exercise, ["two_layer_relu", 0, 1], {}),
        ("Exercise.check", ex.check, [{}], {"reveal": False}),
        ("check_op", practice.check_op, [_forward, _derivs, None], {}),
        ("check_backward", practice.check_backward, [_forward, _backward, None], {}),
        ("gradcheck", gradcheck, [_two, [2.0, 3.0]], {"order": 2}),
        ("from_op", Value.from_op, [6.0, "myop", xs[:2], [1.0, 2.0]], {"rule": lambda u, v: (v, u)}),
        ("draw_dot", viz.draw_dot, [L], {"collapse": None, "digits": 4, "rankdir": "LR"}),
    ]


def _probe(tmp_path):
    """Every (call, argument, bad value) combination with an id."""
    cases = []
    for name, fn, args, kwargs in _calls(tmp_path):
        slots = [(i, None) for i in range(len(args))] + [(None, k) for k in kwargs]
        for i, k in slots:
            for bid, bad in _bad_values():
                if (name, i) in PASSED_TO_F:
                    continue
                a, kw = list(args), dict(kwargs)
                if i is not None:
                    a[i] = bad
                else:
                    kw[k] = bad
                cases.append((f"{name}[{i if i is not None else k}]={bid}", name, fn, a, kw))
    return cases


# the words a message may use to name the function or an argument
WORDS = {
    "grad()": ("grad", "argument"),
    "grad(argnum)": ("grad", "argnum", "argument"),
    "gradients cg": ("gradients", "input", "output"),
    "gradients": ("gradients", "input", "output"),
    "hessian()": ("hessian", "input"),
    "jacobian()": ("jacobian", "input"),
    "jacobian fwd()": ("jacobian", "input"),
    "tangents": ("tangents", "outputs", "inputs", "direction"),
    "rules.to_text": ("to_text", "expr", "names", "values"),
    "rules.to_latex": ("to_latex", "expr", "names", "values"),
    "rules.to_python": ("to_python", "expr", "names"),
    "rules.float_source": ("float_source", "rule"),
    "Rule.split": ("split", "parents"),
    "Rule.locate": ("locate", " k", "n_parents"),
    "compile.to_python": ("compile", "root", "inputs", "name"),
    "compile(f)": ("compile", "example", "_two()"),
    "compile_batch": ("compile", "root", "inputs", "outputs"),
    "Compiled.check": ("compile", "check"),
    "Compiled()": ("f:", "f()", "input"),
    "step_through": ("step_through", "rankdir", "max_nodes"),
    "Stepper.save": ("save", "path"),
    "derivation_latex": ("derivation_latex", "trace"),
    "exercise": ("exercise", "kind", "seed", "level"),
    "Exercise.check": ("check", "answers", "reveal"),
    "check_op": ("check_op", "forward", "derivatives", "points"),
    "check_backward": ("check_backward", "forward", "backward", "points"),
    "gradcheck": ("gradcheck", "f", "inputs", "order"),
    "from_op": ("from_op", "myop"),
    "draw_dot": ("draw_dot", "root", "collapse", "digits", "rankdir"),
}


def _words(name: str, kwargs: dict) -> tuple[str, ...]:
    """What a message about this call may name."""
    return (*WORDS.get(name, (name,)), *kwargs)


# Arguments handed to the user's f unchanged (as HIPS autograd does): what f does with them is f's own.
PASSED_TO_F = {("grad(argnum)", 0)}

BAD_ERRORS = (AttributeError, IndexError, RecursionError, NameError, AssertionError, UnboundLocalError)


def test_the_probe_of_every_new_public_callable(tmp_path, monkeypatch):
    """Run every combination; collect every defect, so one failure lists them all."""
    monkeypatch.chdir(tmp_path)  # Stepper.save("abc") is a valid call: it writes ./abc
    defects = []
    assert str(trace(_graph()[0]).to_latex()).startswith("\\begin{aligned}")
    for case_id, name, fn, args, kwargs in _probe(tmp_path):
        try:
            fn(*args, **kwargs)
        except ALLOWED as e:
            message = str(e)
            if not any(w in message for w in _words(name, kwargs)):
                defects.append(f"{case_id}: bare message {type(e).__name__}: {message!r}")
        except Exception as e:
            defects.append(f"{case_id}: {type(e).__name__}: {e}")
    assert not defects, "\n".join(defects)


# --- functions that misbehave, given to grad, hessian, jacobian and jvp ---------------------------


class _Own(Exception):
    """An error of the user's function, which must reach the user unchanged."""


def _raises(x, y=None):
    raise _Own("f's own message")


TRANSFORMS = [
    ("grad", lambda f: higher.grad(f)(2.0)),
    ("hessian", lambda f: higher.hessian(f)(2.0, 3.0)),
    ("jacobian", lambda f: higher.jacobian(f)(2.0, 3.0)),
    ("jacobian", lambda f: higher.jacobian(f, mode="forward")(2.0, 3.0)),
    ("jvp", lambda f: higher.jvp(f, [2.0, 3.0], [1.0, 0.0])),
]
WHO = [name for name, _ in TRANSFORMS]
CALLS = [call for _, call in TRANSFORMS]


@pytest.mark.parametrize("who, call", TRANSFORMS, ids=[f"{w}{i}" for i, w in enumerate(WHO)])
def test_a_function_returning_something_that_is_not_a_value_is_refused_naming_the_transform(who, call):
    for returned in [None, "abc", {}, object(), [None], [Value(1.0), "x"]]:
        with pytest.raises(TypeError, match=f"^{who}: "):
            call(lambda *xs, r=returned: r)


@pytest.mark.parametrize("call", CALLS, ids=[f"{w}{i}" for i, w in enumerate(WHO)])
def test_the_functions_own_error_reaches_the_user_unchanged(call):
    with pytest.raises(_Own, match=r"^f's own message$"):
        call(_raises)


def test_a_scalar_transform_refuses_a_list_of_several_outputs():
    with pytest.raises(TypeError, match=r"^grad: f must return a scalar Value, got list"):
        higher.grad(lambda x: [x, x * 2])(2.0)
    with pytest.raises(TypeError, match=r"^hessian: f must return a scalar Value, got list"):
        higher.hessian(lambda x, y: [x, y])(2.0, 3.0)
    with pytest.raises(ValueError, match=r"^jacobian: f returned no outputs"):
        higher.jacobian(lambda x, y: [])(2.0, 3.0)
    with pytest.raises(ValueError, match=r"^jvp: 2 inputs but 3 tangents"):
        higher.jvp(lambda x, y: x * y, [2.0, 3.0], [1.0, 0.0, 0.0])


def test_a_function_that_depends_on_no_input_has_zero_derivatives():
    for constant in [lambda *xs: 3.0, lambda *xs: Value(3.0), lambda *xs: [Value(3.0), 4.0]]:
        assert higher.jacobian(constant)(2.0, 3.0) == [[0.0, 0.0]] * len(higher.jacobian(constant)(2.0, 3.0))
        assert higher.jacobian(constant, mode="forward")(2.0, 3.0) == higher.jacobian(constant)(2.0, 3.0)
    assert higher.grad(lambda x: 3.0)(2.0) == 0.0
    assert higher.grad(higher.grad(lambda x: Value(3.0)))(2.0) == 0.0
    assert higher.hessian(lambda x, y: 3.0)(2.0, 3.0) == [[0.0, 0.0], [0.0, 0.0]]
    assert higher.jvp(lambda x, y: 3.0, [2.0, 3.0], [1.0, 1.0]) == (3.0, 0.0)


# --- deep graphs: no recursion anywhere -----------------------------------------------------------


def _chain(x: Value, n: int) -> Value:
    """n ops: y ← y·c + s, alternating, so ∂y/∂x = c^(n/2) exactly (c = 1 keeps it finite)."""
    y = x
    for i in range(n):
        y = y * 1.0 if i % 2 else y + 0.5
    return y


def test_a_chain_of_100000_ops_through_reverse_and_forward_mode():
    x = Value(0.25, "x")
    y = _chain(x, 100_000)
    assert y.data == 0.25 + 0.5 * 50_000
    assert higher.gradients(y, [x]) == [1.0]
    assert higher.tangents([y], [x], [2.0]) == [2.0]
    assert higher.jvp(lambda u: _chain(u, 100_000), [0.25], [3.0]) == (y.data, 3.0)


def _sin_chain(x0: float) -> tuple[Value, Value]:
    """(x, y): 1,000 steps y ← sin(0.999·y) from a fresh leaf x, 2,000 ops."""
    x = Value(x0, "x")
    y = x
    for _ in range(1000):
        y = (y * 0.999).sin()
    return x, y


def test_a_chain_of_2000_ops_differentiated_twice():
    x, y = _sin_chain(0.5)
    (dy,) = higher.gradients(y, [x], create_graph=True)  # ∂y/∂x as a graph over x, differentiated again
    (d2y,) = higher.gradients(dy, [x])
    h = 1e-4  # the oracle: a central difference of the engine's first derivative
    plus, minus = (higher.gradients(y_, [x_])[0] for x_, y_ in (_sin_chain(0.5 + h), _sin_chain(0.5 - h)))
    assert dy.data == higher.gradients(y, [x])[0]
    assert d2y == pytest.approx((plus - minus) / (2 * h), rel=1e-4, abs=1e-9)
    assert math.isfinite(d2y)


# --- Value.from_op(rule=...): a rule that returns something else is refused, naming the op --------


@pytest.mark.parametrize(
    "returned, error, message",
    [
        (None, TypeError, r"^myop: its rule must return a tuple of 2 derivatives .*got NoneType"),
        (3.0, TypeError, r"^myop: its rule must return a tuple of 2 derivatives .*got float"),
        ("ab", TypeError, r"^myop: its rule must return a tuple of 2 derivatives .*got str"),
        ([None, None], TypeError, r"^myop: its rule's derivative 0 must be a real number, got NoneType"),
        (["a", 1.0], TypeError, r"^myop: its rule's derivative 0 must be a real number, got str"),
        ([1.0, float("nan")], ValueError, r"^myop: its rule's derivative 1 must be finite, got nan"),
        ([Value(1.0)], ValueError, r"^myop: its rule gave 1 derivatives for 2 parents"),
    ],
)
def test_a_rule_returning_something_else_is_refused_naming_the_op(returned, error, message):
    x, y = Value(2.0, "x"), Value(3.0, "y")
    node = Value.from_op(6.0, "myop", (x, y), (3.0, 2.0), rule=lambda u, v: returned)
    with pytest.raises(error, match=message):
        higher.gradients(node, [x, y], create_graph=True)


def test_a_rule_of_numbers_and_values_gives_the_second_derivative():
    # y = x²·3 as a custom op: ∂y/∂x = 6x (a Value), ∂y/∂c = x² for the constant-like leaf c = 3
    x, c = Value(2.0, "x"), Value(3.0, "c")
    node = Value.from_op(12.0, "sq3", (x, c), (12.0, 4.0), rule=lambda u, v: (2.0 * u * v, u * u))
    (dx, dc) = higher.gradients(node, [x, c], create_graph=True)
    assert (dx.data, dc.data) == (12.0, 4.0)
    assert higher.gradients(dx, [x, c]) == [6.0, 4.0]  # ∂(2xc)/∂x = 2c, ∂(2xc)/∂c = 2x
