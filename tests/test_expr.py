"""The expression parser and `autograd-tiny trace`: an allow-list, never eval; injection refused."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import warnings

import pytest

from autograd_tiny import Value
from autograd_tiny.expr import ExpressionError, evaluate, parse_bindings
from autograd_tiny.graph import topological_order


def _vars(**kw):
    return {k: Value(v, k) for k, v in kw.items()}


def test_builds_the_same_graph_as_python_operators():
    v = _vars(x=0.5, w=-1.5, b=0.25)
    y = evaluate("tanh(w*x + b) ** 2 - exp(x) / (1 + sigmoid(-x)) + relu(w) + 2 ** x", v)
    x, w, b = 0.5, -1.5, 0.25
    ref = math.tanh(w * x + b) ** 2 - math.exp(x) / (1 + 1 / (1 + math.exp(x))) + max(w, 0) + 2**x
    assert y.data == pytest.approx(ref, rel=1e-15)


def test_negative_base_with_a_literal_exponent():
    v = _vars(x=-3.0)
    y = evaluate("x ** 2 + x ** -1", v)
    y.backward()
    assert y.data == pytest.approx(9 - 1 / 3) and v["x"].grad == pytest.approx(-6 - 1 / 9)


@pytest.mark.parametrize(
    "text, message",
    [
        ("x.__class__", "attribute access is not allowed"),
        ("__import__('os').system('echo pwned')", "calling __import__"),
        ("open('/etc/passwd')", "calling open is not allowed"),
        ("eval('1')", "calling eval is not allowed"),
        ("(lambda: 1)()", "calling"),
        ("lambda: x", "lambda is not allowed"),
        ("x[0]", "subscripting is not allowed"),
        ("import os", "cannot parse"),
        ("x; y", "is not the last statement"),
        ("'a' + x", "only numbers are allowed as constants"),
        ("x if x else x", "if-else is not allowed"),
        ("x < 1", "comparison is not allowed"),
        ("x % 2", "the operator Mod is not allowed"),
        ("x @ x", "the operator MatMult is not allowed"),
        ("exp(x, x)", "exp() takes exactly one argument"),
        ("exp(x=x)", "exp() takes exactly one argument"),
        ("x.exp()", "calling x.exp is not allowed"),
        ("[x for x in ()]", "ListComp is not allowed"),
        ("True + x", "only numbers are allowed"),
        ("(x := 2)", "the := operator is not allowed"),
        ("(" * 300 + "x" + ")" * 300, "nested"),
        ("-" * 5000 + "x", "longer than"),
        ("1j + x", "only numbers are allowed"),
        ("x ^ 2", "use \\*\\* for powers"),
        ("3is x", "invalid decimal literal"),
        ("x\x00", "cannot parse"),
        ("x + 1e999", "too large for a float"),
        ("x + " + "9" * 400, "the number of 400 digits is too large"),
        ("x ** 1e999", "too large for a float"),
        ("(" + "-" * 1800 + "x)(1)", "calling that expression is not allowed"),
        ("x, x", "a tuple"),
        ("", "empty"),
        ("exp + x", "exp is a function: call it"),
    ],
)
def test_refused_syntax(text, message):
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate(text, _vars(x=1.0))


def test_python_warnings_while_parsing_become_the_error():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ExpressionError, match="invalid decimal literal"):
            evaluate("3is x", _vars(x=1.0))
    assert caught == []


def test_thousands_of_levels_build_without_recursion():
    v = _vars(x=0.5)
    y = evaluate("-" * 1999 + "x", v)  # 1999 negations: −x
    y.backward()
    assert y.data == -0.5 and v["x"].grad == -1.0
    v = _vars(x=0.5)
    y = evaluate("x" + "+x" * 999, v)  # a chain 999 additions long, nested on the left
    y.backward()
    assert y.data == 1000 * 0.5 and v["x"].grad == 1000.0


def test_a_signed_number_is_one_constant():
    y = evaluate("-" * 1999 + "2", {})  # not 1999 negation nodes
    assert y.data == -2.0 and y.op == "" and y.parents == ()
    v = _vars(x=-2.0)
    y = evaluate("x ** --3", v)  # a number exponent, so a negative base is fine
    y.backward()
    assert y.data == -8.0 and v["x"].grad == 12.0


def test_a_number_in_an_expression_is_a_constant_as_in_python():
    # 3*x typed on the command line makes the graph 3 * x makes in Python: the 3 is a Constant,
    # drawn inside its op ("3 ×"), never a leaf of its own that trace would have to name
    from autograd_tiny.engine import Constant
    from autograd_tiny.trace import trace

    v = _vars(x=-1.5)
    y = evaluate("-x**2 + 3*x", v)
    x = Value(-1.5, "x")
    assert str(trace(y)) == str(trace(-(x**2) + 3 * x))
    assert [r.label for r in trace(y).rows] == ["x", "n1", "n2", "n3", "n4"]
    assert isinstance(y.parents[1].parents[0], Constant)


def test_unbound_and_extra_names():
    with pytest.raises(ExpressionError, match="unbound name\\(s\\) y"):
        evaluate("x + y", _vars(x=1.0))
    with pytest.raises(ExpressionError, match="y bound but not used"):
        evaluate("x", _vars(x=1.0, y=2.0))


@pytest.mark.parametrize(
    "pairs, message",
    [
        (["x"], "bad binding 'x'"),
        (["1x=2"], "bad binding"),
        (["x=abc"], "bad number 'abc' for x"),
        (["x=nan"], "must be finite"),
        (["x=1", "x=2"], "x is bound twice"),
        (["exp=1"], "exp is a function name"),
        (["if=1"], "if is a Python keyword"),
        (["None=1"], "None is a Python keyword"),
        (["x=1", "ｘ=2"], "x is bound twice"),
        (["=1"], "bad binding '=1'"),
        (["x==1"], "bad number '=1' for x"),
        (["x=" + "1" * 400], "must be finite"),
    ],
)
def test_bad_bindings(pairs, message):
    with pytest.raises(ExpressionError, match=message):
        parse_bindings(pairs)


def test_bindings_are_read_as_python_reads_names():
    assert parse_bindings(["ｘ=1", "α=-2.5", " y = 1e-3 "]) == {"x": 1.0, "α": -2.5, "y": 0.001}


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "autograd_tiny", "trace", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_trace_command_prints_the_trace_and_gradients(tmp_path):
    out = _cli("w*x + b", "w=3", "x=2", "b=1", "--dot", str(tmp_path / "g.svg"))
    assert out.returncode == 0, out.stderr
    assert "∂f/∂w = 2" in out.stdout and "∂f/∂x = 3" in out.stdout and "∂f/∂b = 1" in out.stdout
    assert "backward pass" in out.stdout
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    "args",
    [
        ["__import__('os').system('touch PWNED')"],
        ["x.__class__.__bases__", "x=1"],
        ["x + y", "x=1"],
        ["x", "x=1", "y=2"],
        ["x", "x=1e999"],
        ["x", "x=one"],
        ["log(x)", "x=0"],
        ["x / 0", "x=1"],
        ["exp(x)", "x=1000"],
        ["x +", "x=1"],
        ["x", "x=1", "--dot", "/nonexistent/dir/g.svg"],
        ["x", "x=1", "--dot", "g.jpeg"],
        ["--bogus"],
    ],
)
def test_trace_command_errors_are_one_line_with_status_2(args, tmp_path):
    out = _cli(*args, cwd=tmp_path)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1
    assert out.stderr.startswith("autograd-tiny") and "Traceback" not in out.stderr
    assert not (tmp_path / "PWNED").exists()


# The texts' own notation: the minus sign, ×, ·, ÷, superscript powers, named statements.


def _central(f, args, k, h=1e-6):
    """∂f/∂args[k] by central differences: the oracle for the gradients below."""
    up, down = list(args), list(args)
    up[k] += h
    down[k] -= h
    return (f(*up) - f(*down)) / (2 * h)


@pytest.mark.parametrize(
    "text, python",
    [
        ("(w·x + b − y)²", lambda w, x, b, y: (w * x + b - y) ** 2),
        ("w × x ÷ (b − y)", lambda w, x, b, y: w * x / (b - y)),
        ("x⁻¹ + w³ − y·b", lambda w, x, b, y: x**-1 + w**3 - y * b),
        ("tanh(w⋅x + b)² * y", lambda w, x, b, y: math.tanh(w * x + b) ** 2 * y),
    ],
)
def test_the_texts_notation_builds_the_function_it_writes(text, python):
    point = (2.0, 1.5, -1.0, 0.5)
    v = _vars(w=point[0], x=point[1], b=point[2], y=point[3])
    root = evaluate(text, v)
    root.backward()
    assert root.data == pytest.approx(python(*point), rel=1e-12)
    for k, name in enumerate("wxby"):
        assert v[name].grad == pytest.approx(_central(python, point, k), rel=1e-6, abs=1e-8), name


@pytest.mark.parametrize(
    "text, value",
    [
        ("−1", -1.0),
        ("‒2.5", -2.5),
        ("－3", -3.0),
        ("3/2", 1.5),
        ("−3/2", -1.5),
        ("１．５", 1.5),
        ("1e-3", 1e-3),
    ],
)
def test_bindings_read_numbers_as_the_texts_write_them(text, value):
    assert parse_bindings([f"b={text}"]) == {"b": value}


@pytest.mark.parametrize(
    "pairs, message",
    [(["b=1/0"], "for b: it divides by zero"), (["b=−"], "bad number '−' for b"), (["b=1 2"], "bad number")],
)
def test_numbers_that_are_not_refused_with_the_reason(pairs, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse_bindings(pairs)


def test_statements_name_their_nodes_and_the_last_is_the_root():
    v = _vars(w=2.0, x=1.0, b=-1.0, y=0.0)
    root = evaluate("z = w*x + b; a = relu(z); L = (a − y)**2", v)
    assert root.label == "L" and root.data == 1.0
    labels = {n.label for n in topological_order(root)}
    assert {"z", "a", "L"} <= labels
    root.backward()
    assert (v["w"].grad, v["x"].grad, v["b"].grad, v["y"].grad) == (2.0, 4.0, 2.0, -2.0)  # 2(a − y)·ReLU′·…
    # a plain expression and a named one build the same numbers
    same = evaluate("L = (relu(w*x + b) - y)**2", _vars(w=2.0, x=1.0, b=-1.0, y=0.0))
    assert same.label == "L" and same.data == root.data


@pytest.mark.parametrize(
    "text, message",
    [
        ("z = w*x; w*x + 1; L = z", "is not the last statement"),
        ("z = w*x; z = w + x", "z is named twice"),
        ("w = x*2", "w is named twice (or is also a variable)"),
        ("z = w*x; L = w + x", "z bound or named but not used"),
        ("tanh = w*x", "tanh cannot name a value"),
        ("lambda = w*x", "lambda cannot name a value"),
        ("z = w; L = z*x", "names a value that has a name already"),
    ],
)
def test_bad_statements_say_what_is_wrong(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        evaluate(text, _vars(w=2.0, x=1.0))


def test_trace_command_takes_the_chapters_minus_and_a_named_root(tmp_path):
    out = _cli("L = (w*x + b − y)²", "w=2", "x=1", "b=−1", "y=0", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "∂L/∂w = 2" in out.stdout and "∂L/∂y = −2" in out.stdout and "∂f/" not in out.stdout
