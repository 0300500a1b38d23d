"""Fuzzing `autograd-tiny trace` through main(), as the adversarial probe did, but every run checked.

(a) Random expression trees over the allow-list, written out as text and traced by the command.
    An oracle written here, on Python floats and the math module, evaluates the same tree and
    differentiates it by central differences. Wherever the oracle is sure, the command must agree:
    refuse (status 2, one line) what is clearly outside the domain, and for everything clearly inside
    it, print gradients equal to the oracle's to a relative 1e-5.
(b) Random text: whatever is typed, the command ends with status 0, or status 2 and one line.
"""

from __future__ import annotations

import ast
import math
import os

import pytest
from cli_run import is_one_line_error, printed_gradients, run_main
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from autograd_tiny.expr import FUNCTIONS

EPS = 2.0**-52  # the spacing of floats near 1


@pytest.fixture(autouse=True, scope="module")
def _in_a_scratch_folder(tmp_path_factory):
    """Random text may spell --dot=FILE: whatever it writes lands in a folder of its own."""
    before = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("fuzz"))
    yield
    os.chdir(before)


# ------------------------------------------------------------------------------------------------
# The oracle. A tree is a tuple: ("num", value, text), ("var", name), ("neg", a), ("bin", op, a, b)
# or ("call", function, a). It is evaluated on plain floats; the domain rules are the documented
# ones (log and sqrt need u > 0, no division by 0, a negative base only with a number exponent, and
# that exponent a whole number), each decided with a margin so that rounding cannot flip it.
# ------------------------------------------------------------------------------------------------


class Refused(Exception):
    """The expression is clearly outside the domain: the command must refuse it."""


class Unsure(Exception):
    """Too close to a domain edge, or too large or too small to judge: any clean ending will do."""


def _sigmoid(u: float) -> float:
    # 1/(1 + e^−u), with the exponent never positive so that it cannot overflow
    return 1.0 / (1.0 + math.exp(-u)) if u >= 0 else math.exp(u) / (1.0 + math.exp(u))


def _softplus(u: float) -> float:
    # log(1 + e^u) = u + log(1 + e^−u) for large u
    return math.log1p(math.exp(u)) if u < 30 else u + math.log1p(math.exp(-u))


SMOOTH = {
    "exp": math.exp,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "sin": math.sin,
    "cos": math.cos,
}
KINKED = {  # continuous, with a kink at 0 where central differences do not apply
    "relu": lambda u: max(u, 0.0),
    "abs": abs,
    "leaky_relu": lambda u: u if u > 0 else 0.01 * u,
}
POSITIVE = {"log": math.log, "sqrt": math.sqrt}  # need u > 0 (sqrt′ is infinite at 0)


def _literal(node: tuple) -> float | None:
    """A number, possibly with minus signs in front: the parser reads it as one literal."""
    sign = 1.0
    while node[0] == "neg":
        sign, node = -sign, node[1]
    return sign * node[1] if node[0] == "num" else None


class Oracle:
    """Evaluates a tree at one point, recording the side of every kink it passes."""

    def __init__(self, env: dict[str, float]) -> None:
        self.env = env
        self.scale = 1.0  # the largest magnitude met so far: rounding errors are relative to it
        self.kinks: list[int] = []

    def near_zero(self, u: float) -> bool:
        return abs(u) <= 1e-7 * self.scale

    def checked(self, y: float) -> float:
        if not math.isfinite(y) or abs(y) > 1e100 or (y != 0 and abs(y) < 1e-100):
            raise Unsure  # near overflow or underflow, the engine's rounding may differ from ours
        self.scale = max(self.scale, abs(y))
        return y

    def value(self, node: tuple) -> float:
        kind = node[0]
        if kind == "num":
            return self.checked(node[1])
        if kind == "var":
            return self.checked(self.env[node[1]])
        if kind == "neg":
            return self.checked(-self.value(node[1]))
        if kind == "call":
            return self.call(node[1], self.value(node[2]))
        op, a = node[1], self.value(node[2])
        if op == "**" and _literal(node[3]) is not None:
            return self.power(a, _literal(node[3]))
        b = self.value(node[3])
        if op == "+":
            return self.checked(a + b)
        if op == "-":
            return self.checked(a - b)
        if op == "*":
            return self.checked(a * b)
        if op == "/":
            if self.near_zero(b):
                raise Unsure
            return self.checked(a / b)
        # a ** b with b an expression: ∂/∂b = aᵇ·ln a, so a must be positive
        if self.near_zero(a):
            raise Unsure
        if a < 0:
            raise Refused
        try:
            return self.checked(a**b)
        except OverflowError:
            raise Unsure from None

    def power(self, u: float, p: float) -> float:
        if p == 0:
            return 1.0  # u⁰ = 1 everywhere, 0⁰ included
        whole = p == int(p)
        if self.near_zero(u) and not (whole and p >= 1):
            raise Unsure  # 0 to a power below 1, or a non-whole power of a number of unsure sign
        if u < 0 and not whole:
            raise Refused  # a negative base to a non-whole power is not a real number
        try:
            return self.checked(u**p)
        except (OverflowError, ZeroDivisionError):
            raise Unsure from None

    def call(self, name: str, u: float) -> float:
        if name in POSITIVE:
            if self.near_zero(u):
                raise Unsure
            if u < 0:
                raise Refused
            return self.checked(POSITIVE[name](u))
        if name in KINKED:
            self.kinks.append(0 if u == 0 else 1 if u > 0 else -1)
            return self.checked(KINKED[name](u))
        try:
            return self.checked(SMOOTH[name](u))
        except OverflowError:
            raise Unsure from None


def _numbers(node: tuple) -> list[float]:
    if node[0] == "num":
        return [node[1]]
    return [v for child in node[1:] if isinstance(child, tuple) for v in _numbers(child)]


def evaluate(tree: tuple, env: dict[str, float]) -> tuple[float, float, list[int]]:
    """f(env), the largest magnitude met on the way, and the side of each kink passed."""
    if not all(math.isfinite(v) for v in _numbers(tree)):
        raise Refused  # a number such as 1e999 is too large for a float: refused before anything
    oracle = Oracle(env)
    return oracle.value(tree), oracle.scale, oracle.kinks


def derivative(tree: tuple, env: dict[str, float], name: str) -> tuple[float, float] | None:
    """∂f/∂name by central differences with a Richardson step, and its noise floor; None where the
    estimate cannot be trusted: a kink or a domain edge within the step, or the estimates at two
    step sizes disagreeing beyond 1e-6 (f is not smooth at this scale, or rounding dominates)."""
    _, scale, kinks = evaluate(tree, env)
    if 0 in kinks:
        return None
    h = 1e-4 * max(1.0, abs(env[name]))
    estimates = []
    for step in (h, h / 2):
        ends = []
        for sign in (1, -1):
            moved = {**env, name: env[name] + sign * step}
            try:
                f, s, k = evaluate(tree, moved)
            except (Refused, Unsure):
                return None
            if k != kinks:
                return None
            scale = max(scale, s)
            ends.append(f)
        estimates.append((ends[0] - ends[1]) / (2 * step))
    d_h, d_half = estimates
    if abs(d_h - d_half) > 1e-6 * max(abs(d_h), abs(d_half)):
        return None  # not yet converged at this step (or lost in rounding): no verdict
    # what rounding in f (relative to the largest number met) can do to a difference quotient
    noise = 1e3 * EPS * scale / (h / 2)
    return (4 * d_half - d_h) / 3, noise  # the h² error terms cancel


def test_the_oracle_knows_every_function_of_the_parser():
    assert set(FUNCTIONS) == set(SMOOTH) | set(KINKED) | set(POSITIVE)


# ------------------------------------------------------------------------------------------------
# Random trees, written out in two ways: every operation in parentheses, or with only the
# parentheses Python's precedence needs (ast.unparse), so the parser's precedence is tested too.
# ------------------------------------------------------------------------------------------------

NAMES = ["x", "y", "f", "α", "w1"]  # f: the root must not clash with a variable called f


def _num(value: float | int) -> tuple:
    return ("num", float(value), repr(value))


def _names(node: tuple) -> set[str]:
    if node[0] == "var":
        return {node[1]}
    return set().union(*(_names(child) for child in node[1:] if isinstance(child, tuple)))


EXTREMES = [0.5, 1e-7, 1e-300, 5e-324, 1e300, 1.7976931348623157e308, 10**20, -2.5, 0, -0.0]
NUMBERS = st.one_of(
    st.integers(-5, 5).map(_num),
    st.floats(-10, 10, allow_nan=False).map(lambda v: _num(round(v, 3))),
    st.sampled_from([*map(_num, EXTREMES), ("num", math.inf, "1e999")]),  # 1e999: too large
)
VARIABLES = st.sampled_from(NAMES).map(lambda n: ("var", n))
LEAVES = st.one_of(NUMBERS, VARIABLES, VARIABLES)
BINARY = ["+", "-", "*", "/", "**"]
SUBTREES = st.recursive(
    LEAVES,
    lambda sub: st.one_of(
        st.tuples(st.just("neg"), sub),
        st.tuples(st.just("bin"), st.sampled_from(BINARY), sub, sub),
        st.tuples(st.just("call"), st.sampled_from(sorted(FUNCTIONS)), sub),
    ),
    max_leaves=8,
)
TREES = st.one_of(  # mostly two subtrees joined, so that variables meet; always with a variable
    SUBTREES, st.tuples(st.just("bin"), st.sampled_from(BINARY), SUBTREES, SUBTREES)
).filter(lambda tree: _names(tree))


def parenthesised(node: tuple) -> str:
    kind = node[0]
    if kind == "num":
        return f"({node[2]})"
    if kind == "var":
        return node[1]
    if kind == "neg":
        return f"(-{parenthesised(node[1])})"
    if kind == "call":
        return f"{node[1]}({parenthesised(node[2])})"
    return f"({parenthesised(node[2])} {node[1]} {parenthesised(node[3])})"


_OPS = {"+": ast.Add(), "-": ast.Sub(), "*": ast.Mult(), "/": ast.Div(), "**": ast.Pow()}


def _syntax(node: tuple) -> ast.expr:
    kind = node[0]
    if kind == "num":
        text = node[2].lstrip("-")
        number = ast.Constant(int(text) if text.isdigit() else float(text))
        return ast.UnaryOp(ast.USub(), number) if node[2].startswith("-") else number
    if kind == "var":
        return ast.Name(node[1])
    if kind == "neg":
        return ast.UnaryOp(ast.USub(), _syntax(node[1]))
    if kind == "call":
        return ast.Call(ast.Name(node[1]), [_syntax(node[2])], [])
    return ast.BinOp(_syntax(node[2]), _OPS[node[1]], _syntax(node[3]))


def unparsed(node: tuple) -> str:
    return ast.unparse(_syntax(node))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=TREES,
    values=st.lists(
        st.one_of(st.floats(-4, 4, allow_nan=False), st.sampled_from([0.0, 1.0, -1.0, 1e-3, 50.0])),
        min_size=len(NAMES),
        max_size=len(NAMES),
    ),
    minimal=st.booleans(),
)
def test_random_expressions_agree_with_the_oracle(tree, values, minimal):
    names = sorted(_names(tree))
    env = dict(zip(NAMES, values, strict=True))
    env = {n: env[n] for n in names}
    text = unparsed(tree) if minimal else parenthesised(tree)
    status, out, err = run_main("trace", text, *(f"{n}={v!r}" for n, v in env.items()))
    try:
        evaluate(tree, env)
    except Refused:
        event("the oracle refuses")
        assert is_one_line_error(status, out, err), (text, env, status, out[-300:], err)
        return
    except Unsure:
        event("the oracle is unsure")
        assert status == 0 or is_one_line_error(status, out, err), (text, env, status, err)
        if status == 0:
            _, grads = printed_gradients(out)
            assert set(grads) == set(names) and all(math.isfinite(g) for g in grads.values()), out
        return
    if status != 0:  # clearly inside the domain: only an overflowing derivative may be refused
        event("inside the domain, but the derivative overflows")
        assert is_one_line_error(status, out, err) and "overflow" in err, (text, env, status, err)
        return
    assert err == "", err
    event(f"inside the domain, {len(names)} variable(s)")
    roots, grads = printed_gradients(out)
    if tree[0] == "var":
        assert roots == {tree[1]}  # the expression is that variable: ∂x/∂x
    elif names:
        assert roots == {"f0" if "f" in names else "f"}  # never the name of a variable
    assert set(grads) == set(names), (text, out)
    for name in names:
        estimate = derivative(tree, env, name)
        if estimate is None:  # a kink or a domain edge within the step: no comparison
            event("a gradient not compared")
            continue
        event("a gradient compared")
        expected, noise = estimate
        got = grads[name]
        assert abs(got - expected) <= 1e-5 * max(abs(got), abs(expected)) + noise, (
            text,
            env,
            name,
            got,
            expected,
        )


# ------------------------------------------------------------------------------------------------
# Random text, biased to what expressions are made of.
# ------------------------------------------------------------------------------------------------

PIECES = st.one_of(
    st.sampled_from(list("()+-*/^.e0123456789xyz, ")),
    st.sampled_from(["**", "1e308", "1e999", "--", "x=", "lambda", "__import__", "'", '"', "\\"]),
    st.sampled_from(["\n", "\x00", "-h", "--dot", "--dot=g.dot"]),
    st.sampled_from(sorted(FUNCTIONS)).map(lambda name: name + "("),
    st.characters(),
)
TEXT = st.lists(PIECES, max_size=30).map("".join)
BINDING = st.one_of(
    st.sampled_from(["x", "y", "z"]).flatmap(
        lambda n: st.one_of(st.floats().map(lambda v: f"{n}={v!r}"), TEXT.map(lambda t: f"{n}={t}"))
    ),
    TEXT,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXT, bindings=st.lists(BINDING, max_size=3))
def test_random_text_ends_cleanly(text, bindings):
    status, out, err = run_main("trace", text, *bindings)
    if status == 0:  # a trace (or trace's help, for text such as -h)
        assert err == "", err
        assert out.startswith(("forward pass", "usage: autograd-tiny trace")), out[:200]
    else:
        assert is_one_line_error(status, out, err), (text, bindings, status, out[-300:], err)
