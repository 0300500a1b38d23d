"""Bad input: built-in exceptions naming the operation and the offending value."""

from __future__ import annotations

import fractions

import pytest

from autograd_tiny import MLP, Value, data, draw_dot
from autograd_tiny.losses import cross_entropy


@pytest.mark.parametrize("bad", ["2.0", None, [1.0], 1 + 2j, True, Value(1.0)])
def test_non_real_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Value data must be a real number"):
        Value(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_data_is_a_value_error(bad):
    with pytest.raises(ValueError, match="must be finite"):
        Value(bad)


def test_fraction_is_a_real_number():
    assert Value(fractions.Fraction(1, 4)).data == 0.25


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("bad", ["a", 1j, None, True])
def test_non_real_operand_is_a_type_error_naming_the_op(op, bad):
    x = Value(2.0)
    with pytest.raises(TypeError, match="real number"):
        eval(f"x {op} bad", {"x": x, "bad": bad})  # test-only eval of a fixed operator
    with pytest.raises(TypeError):
        eval(f"bad {op} x", {"x": x, "bad": bad})


def test_label_must_be_text():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


@pytest.mark.parametrize("u", [0.0, -1.0, -1e-300])
def test_log_of_non_positive_names_log_and_value(u):
    with pytest.raises(ValueError, match=r"log\(" + str(u).replace("-", r"\-").replace(".", r"\.")):
        Value(u).log()


@pytest.mark.parametrize(
    "make",
    [lambda: Value(1.0) / 0, lambda: Value(1.0) / Value(0.0), lambda: 3 / Value(0.0)],
)
def test_division_by_zero(make):
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        make()


def test_division_by_minus_zero_says_minus_zero():
    with pytest.raises(ZeroDivisionError, match=r"division by zero: 1\.0 / -0\.0"):
        Value(1.0) / -0.0


@pytest.mark.parametrize("exponent", [-1, -0.5, Value(-2.0)])
def test_zero_to_a_negative_power(exponent):
    with pytest.raises(ZeroDivisionError, match=r"0\.0 \*\* -"):
        Value(0.0) ** exponent


def test_negative_base_non_integer_power():
    with pytest.raises(ValueError, match=r"-8\.0 \*\* 0\.5"):
        Value(-8.0) ** 0.5
    with pytest.raises(ValueError, match=r"sqrt\(-4\.0\)"):
        Value(-4.0).sqrt()
    with pytest.raises(ValueError, match=r"sqrt\(-2\.0\) \(= -2\.0 \*\* 0\.5\)"):
        (-2) ** Value(0.5)
    with pytest.raises(ValueError, match=r"-2\.0 \*\* 0\.25 \(a negative base to a non-integer power\)"):
        (-2) ** Value(0.25)


def test_one_message_per_bad_operation_from_the_engine_and_from_compiled_code():
    """The same bad input gives the same message whichever path computes it: sqrt, a power, a log."""
    from autograd_tiny.compile import compile

    for build, bad in ((lambda v: v.sqrt(), -0.29), (lambda v: v**-0.107, -2.0), (lambda v: v.log(), -1.0)):
        a = Value(0.5, "a")
        f = compile(build(a), [a])
        with pytest.raises(ValueError) as engine:
            build(Value(bad, "a"))
        with pytest.raises(ValueError) as compiled:
            f(bad)
        assert str(engine.value) in str(compiled.value), (str(engine.value), str(compiled.value))


def test_negative_base_with_a_value_exponent_is_refused_only_when_its_derivative_is_needed():
    # (−2)^v is real for an integer v, but ∂/∂v = (−2)^v · ln(−2) is not: backward says so
    x, v = Value(-2.0, "x"), Value(2.0, "v")
    y = x**v
    assert y.data == 4.0
    with pytest.raises(OverflowError, match=r"local derivative of pow\(-2\.0, 2\.0\) with respect to v"):
        y.backward()
    y2 = x ** Value(2.0)  # the same, but now read only ∂/∂x: still refused, as the exponent is a leaf
    with pytest.raises(OverflowError):
        y2.backward()
    y3 = x**2  # a number exponent is a constant: its derivative is never needed
    y3.backward()
    assert x.grad == -4.0


def test_negative_base_integer_power_is_fine():
    x = Value(-3.0)
    y = x**2
    y.backward()
    assert (y.data, x.grad) == (9.0, -6.0)


def test_infinite_derivative_is_refused_when_a_gradient_flows_through_it():
    y = Value(0.0, "u").sqrt()
    assert y.data == 0.0  # the value is fine
    with pytest.raises(
        OverflowError, match=r"local derivative of pow\(0\.0, 0\.5\) with respect to u is inf"
    ):
        y.backward()


def test_overflow_names_the_op():
    with pytest.raises(OverflowError, match=r"exp\(1000\.0\)"):
        Value(1000.0).exp()
    with pytest.raises(OverflowError, match=r"\*\*"):
        Value(10.0) ** 400
    with pytest.raises(OverflowError, match=r"mul\(1e\+200, 1e\+200\)"):
        Value(1e200) * Value(1e200)
    with pytest.raises(OverflowError, match=r"add\(1\.7e\+308, 1\.7e\+308\)"):
        Value(1.7e308) + Value(1.7e308)


def test_no_attribute_typos():
    with pytest.raises(AttributeError):
        Value(1.0).gard = 2.0  # type: ignore[attr-defined]


def test_non_number_gradient_seed():
    with pytest.raises(TypeError, match="backward"):
        Value(1.0).backward("1")


@pytest.mark.parametrize("seed", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_gradient_seed_is_refused(seed):
    x = Value(2.0)
    y = x * x
    with pytest.raises(ValueError, match="gradient passed to backward\\(\\) must be finite"):
        y.backward(seed)
    assert x.grad == 0.0 and y.grad == 0.0  # refused before anything was touched


def test_from_op_checks_a_user_defined_primitive():
    u = Value(1.0)
    with pytest.raises(ValueError, match="mysin: 1 parents but 2 local derivatives"):
        Value.from_op(0.8, "mysin", (u,), (0.5, 0.5))
    with pytest.raises(TypeError, match="mysin: every parent must be a Value"):
        Value.from_op(0.8, "mysin", (1.0,), (0.5,))
    with pytest.raises(ValueError, match="mysin: local derivatives must be finite"):
        Value.from_op(0.8, "mysin", (u,), (float("inf"),))
    with pytest.raises(TypeError, match="mysin: the result must be a real number"):
        Value.from_op("0.8", "mysin", (u,), (0.5,))


def test_an_int_too_large_for_a_float_is_named():
    with pytest.raises(OverflowError, match="Value data is too large for a float"):
        Value(10**400)
    with pytest.raises(OverflowError, match=r"the operand of \+ is too large for a float"):
        Value(1.0) + 10**400


HUGE = 10**5000  # an int CPython will not even print (more than 4,300 digits)


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: Value(HUGE), OverflowError, "Value data is too large for a float: an int of about 5000"),
        (lambda: Value(1.0) * HUGE, OverflowError, r"the operand of \* is too large for a float"),
        (lambda: Value(2.0) ** -HUGE, OverflowError, r"the operand of \*\* is too large for a float"),
        (lambda: data.make_moons(HUGE), ValueError, "n_samples must be an integer from 2"),
        (lambda: data.make_moons(10, seed=-HUGE), ValueError, "seed must be None or an integer >= 0"),
        (lambda: MLP(HUGE, [1]), ValueError, "nin = an int of about 5000 digits is too large"),
        (lambda: cross_entropy([Value(1.0), Value(2.0)], HUGE), ValueError, "target_index an int of about"),
        (lambda: draw_dot(Value(1.0), max_nodes=-HUGE), ValueError, "max_nodes must be a positive int"),
        (lambda: draw_dot(Value(1.0), digits=HUGE), ValueError, "digits must be an int from 1 to 17"),
    ],
)
def test_an_int_too_long_to_print_is_named_in_the_error_not_a_crash_printing_it(make, error, message):
    # the message used to repr() the int, and CPython refuses that: "Exceeds the limit (4300 digits)"
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("w", [1.0, 50.0])
def test_a_negative_base_to_a_value_exponent_has_no_exponent_derivative_even_when_it_underflows(w):
    # ∂uᵛ/∂v = uᵛ·ln u has no real value for u < 0; at w = 50, (−e⁵⁰)⁻⁵⁰ underflows to 0, and
    # 0·ln u was taken as 0: a silent ∂f/∂w where w = 1 (the same formula) was refused
    x = Value(w, "w")
    y = (-(x.exp())) ** (-x)
    with pytest.raises(OverflowError, match=r"local derivative of pow\(-.* is inf \(not finite there\)"):
        y.backward()
    assert x.grad == 0.0
