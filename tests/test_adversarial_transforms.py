"""Adversarial cases for the function transformations (issue 25, items C, D, F and grad's keywords).

- C: every transform nested in every other (grad, hessian, jacobian in both modes, jvp,
  gradients(create_graph=True), tangents(create_graph=True)) gives the derivative HIPS autograd and
  central differences give; where a nested call cannot give one (a number-only API inside a
  transform), it refuses with a message instead of a silent 0.
- D: only a non-finite value that reaches an asked-for gradient is an error: an infinite local
  derivative off the paths to the inputs, or times a zero, is none (forward mode agrees).
- F: the nesting state belongs to the calling thread, not to the module: 4 threads, each
  at top level while the others are inside grad(), get floats and the right numbers.
- grad(f)(x, y=4.0): one message saying that grad differentiates positional arguments.
"""

from __future__ import annotations

import threading
import warnings

import autograd
import autograd.numpy as anp
import pytest

from autograd_tiny import Value, gradcheck
from autograd_tiny.higher import grad, gradients, hessian, jacobian, jvp, tangents


def _close(ours: float, theirs: float, tol: float) -> bool:
    """|ours − theirs| ≤ tol·max(1, |theirs|)."""
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


def _num(v: object) -> float:
    """A result as a float: a Value's data, or the number itself."""
    return v.data if isinstance(v, Value) else float(v)


def _value(x: object) -> Value:
    """x as a Value (a fresh leaf for a number), for the APIs that take recorded graphs."""
    return x if isinstance(x, Value) else Value(float(x), "x")


def _central(g, x: float, h: float = 1e-5) -> float:
    """The central difference of a scalar function of a float, evaluated at floats."""
    return (_num(g(x + h)) - _num(g(x - h))) / (2 * h)


def _theirs(f, *args):
    """HIPS autograd, without its warning for an output that does not depend on an input."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Output seems independent of input", UserWarning)
        return float(f(*args))


# ---------------------------------------------------------------------------------------------
# C. Inner transforms: each a function g of one variable x, written once with ours and once with
# HIPS autograd. BY_ARGUMENT passes x to the inner transform (as an input, or in a jvp's direction);
# BY_CLOSURE calls it with numbers and reaches x only through a closure, so that only the running
# outer transform, not an argument's type, can tell the inner one it is nested.
# ---------------------------------------------------------------------------------------------

BY_ARGUMENT = {
    "grad": (
        lambda x: grad(lambda y: (x * y).sin())(x),
        lambda x: autograd.grad(lambda y: anp.sin(x * y))(x),
    ),
    "hessian": (
        lambda x: hessian(lambda y, w: (y * w * x).sin())(x, 0.5)[0][1],
        lambda x: autograd.grad(autograd.grad(lambda y, w: anp.sin(y * w * x), 0), 1)(x, 0.5),
    ),
    "jacobian reverse": (
        lambda x: (lambda J: J[0][0] + 0.5 * J[1][0])(jacobian(lambda y: [y * x, (y * y).exp()])(x)),
        lambda x: autograd.grad(lambda y: y * x)(x) + 0.5 * autograd.grad(lambda y: anp.exp(y * y))(x),
    ),
    "jacobian forward": (
        lambda x: (lambda J: J[0][1] + J[1][0])(
            jacobian(lambda y, w: [y * w * x, (y * w).tanh()], mode="forward")(0.4, x)
        ),
        lambda x: (
            autograd.grad(lambda y, w: y * w * x, 1)(0.4, x)
            + autograd.grad(lambda y, w: anp.tanh(y * w), 0)(0.4, x)
        ),
    ),
    # x in the direction too: a jvp is linear in its tangent
    "jvp": (
        lambda x: jvp(lambda y, w: x * y * w.tanh(), [x, 0.3], [1.0, x])[1],
        lambda x: (
            autograd.grad(lambda y, w: x * y * anp.tanh(w), 0)(x, 0.3)
            + x * autograd.grad(lambda y, w: x * y * anp.tanh(w), 1)(x, 0.3)
        ),
    ),
    "gradients(create_graph=True)": (
        lambda x: (lambda v: gradients((v * v).sin() * v, [v], create_graph=True)[0])(_value(x)),
        lambda x: autograd.grad(lambda y: anp.sin(y * y) * y)(x),
    ),
    "tangents(create_graph=True)": (
        lambda x: (lambda v: tangents([(v * v).sin() * v], [v], [x], create_graph=True)[0])(_value(x)),
        lambda x: x * autograd.grad(lambda y: anp.sin(y * y) * y)(x),
    ),
}

BY_CLOSURE = {
    "grad": (
        lambda x: grad(lambda y: x * y**3)(1.5),
        lambda x: autograd.grad(lambda y: x * y**3)(1.5),
    ),
    "hessian": (
        lambda x: hessian(lambda y: x * y**4)(0.7)[0][0],
        lambda x: autograd.grad(autograd.grad(lambda y: x * y**4))(0.7),
    ),
    "jacobian reverse": (
        lambda x: jacobian(lambda y: [y * x, (y * x).exp()])(0.3)[1][0],
        lambda x: autograd.grad(lambda y: anp.exp(y * x))(0.3),
    ),
    "jacobian forward": (
        lambda x: jacobian(lambda y: [y * x, (y * x).exp()], mode="forward")(0.3)[1][0],
        lambda x: autograd.grad(lambda y: anp.exp(y * x))(0.3),
    ),
    "jvp": (
        lambda x: jvp(lambda y: x * y * y, [2.0], [1.0])[1],
        lambda x: autograd.grad(lambda y: x * y * y)(2.0),
    ),
}

# Outer transforms, each taking a derivative of g at x0: (which one, how). The function transforms
# run g themselves; the graph-level ones (gradients, tangents) differentiate a graph g made at top
# level, where an inner transform called with numbers returns a float: they get BY_ARGUMENT only.
FUNCTION_OUTERS = {
    "grad": ("d", lambda g, x0: grad(g)(x0)),
    "grad∘grad": ("dd", lambda g, x0: grad(grad(g))(x0)),
    "hessian": ("dd", lambda g, x0: hessian(g)(x0)[0][0]),
    "hessian (2 inputs)": ("d", lambda g, x0: hessian(lambda a, b: g(a) * b)(x0, 1.5)[0][1]),
    "jacobian reverse": ("d", lambda g, x0: jacobian(lambda a: [a, g(a)])(x0)[1][0]),
    "jacobian forward": ("d", lambda g, x0: jacobian(lambda a: [g(a), a], mode="forward")(x0)[0][0]),
    "jvp": ("d", lambda g, x0: jvp(g, [x0], [2.0])[1] / 2.0),
    "jvp∘jvp": ("dd", lambda g, x0: jvp(lambda a: jvp(g, [a], [1.0])[1], [x0], [1.0])[1]),
}
GRAPH_OUTERS = {
    "gradients": ("d", lambda g, x0: (lambda v: gradients(g(v), [v])[0])(Value(x0))),
    "gradients(create_graph=True)": (
        "d",
        lambda g, x0: (lambda v: gradients(g(v), [v], create_graph=True)[0].data)(Value(x0)),
    ),
    "tangents": ("d", lambda g, x0: (lambda v: tangents([g(v)], [v], [1.0])[0])(Value(x0))),
}


def test_every_transform_nested_in_every_other_matches_autograd_and_finite_differences():
    cases = [
        (f"{name} by argument", *pair, GRAPH_OUTERS | FUNCTION_OUTERS) for name, pair in BY_ARGUMENT.items()
    ]
    cases += [(f"{name} by closure", *pair, FUNCTION_OUTERS) for name, pair in BY_CLOSURE.items()]
    wrong = []
    for inner, ours_g, their_g, outers in cases:
        for x0 in (0.8, -1.3):
            d = _theirs(autograd.grad(their_g), x0)
            dd = _theirs(autograd.grad(autograd.grad(their_g)), x0)
            # the oracles agree: HIPS autograd, and central differences of g and of its derivative
            assert _close(d, _central(their_g, x0), 1e-6), (inner, x0)
            assert _close(dd, _central(lambda x, f=their_g: autograd.grad(f)(x), x0), 1e-6), (inner, x0)
            try:  # and g itself, ours at floats, differs from HIPS's by no more than rounding
                if not _close(_central(ours_g, x0), d, 1e-6):
                    wrong.append(("central difference", inner, x0, _central(ours_g, x0), d))
            except Exception as e:
                wrong.append(("central difference", inner, x0, repr(e)))
            for outer, (order, take) in outers.items():
                expected = d if order == "d" else dd
                try:
                    got = take(ours_g, x0)
                except Exception as e:  # collected, so that one run shows every pair that is wrong
                    wrong.append((outer, inner, x0, repr(e)))
                    continue
                # called with numbers, a float (a Value here would mean a confused nesting state)
                if type(got) is not float or not _close(got, expected, 1e-9):
                    wrong.append((outer, inner, x0, got, expected))
    assert not wrong, "\n".join(map(str, wrong))


def test_the_issues_cases():
    # d/dx (∂²/∂y² y⁴ at y = x) = 24x: 48 at x = 2 (HIPS autograd: 48), was 0.0
    assert grad(lambda x: hessian(lambda y: y**4)(x)[0][0])(2.0) == 48.0
    assert autograd.grad(lambda x: autograd.hessian(lambda y: y**4)(x))(2.0) == 48.0
    # grad of the jvp of x·y in y is 1, was 0.0
    assert grad(lambda x: jvp(lambda y: x * y, [3.0], [1.0])[1])(2.0) == 1.0
    # the same through jacobian, and a jvp of a jvp: f″ of y³ at 2 is 12
    assert grad(lambda x: jacobian(lambda y: y**4)(x)[0][0])(2.0) == 48.0
    assert jvp(lambda x: jvp(lambda y: y**3, [x], [1.0])[1], [2.0], [1.0]) == (12.0, 12.0)
    assert hessian(lambda x: hessian(lambda y: y**4)(x)[0][0])(2.0) == [[24.0]]
    # four levels: d⁴(y⁶)/dy⁴ = 360y² at 1
    expected = autograd.grad(autograd.grad(autograd.grad(autograd.grad(lambda y: y**6))))(1.0)
    assert grad(grad(lambda x: hessian(lambda y: y**6)(x)[0][0]))(1.0) == expected == 360.0
    # perturbation confusion, Siskind & Pearlmutter's d/dx [x · d/dy (x + y)] = 1, through each
    # transform as the inner one (a confused nesting would differentiate x + y by x too: 2)
    assert jvp(lambda x: x * jvp(lambda y: x + y, [1.0], [1.0])[1], [1.0], [1.0])[1] == 1.0
    assert jacobian(lambda x: x * jacobian(lambda y: x + y, mode="forward")(1.0)[0][0])(1.0) == [[1.0]]
    assert grad(lambda x: x * jacobian(lambda y: x + y)(1.0)[0][0])(1.0) == 1.0
    # d/dx [x · ∂²(x·y²)/∂y²] = d/dx 2x² = 4x
    assert grad(lambda x: x * hessian(lambda y: x * y * y)(1.0)[0][0])(1.0) == 4.0
    # a derivative by a jvp's tangent: the jvp is linear in it, ∂/∂a [3·2² · a] = 12
    assert grad(lambda a: jvp(lambda y: y**3, [2.0], [a])[1])(5.0) == 12.0


def test_nested_results_are_values_and_top_level_results_floats():
    w = Value(2.0, "w")
    H = hessian(lambda a, b: a * a * b)(w, 3.0)  # given a Value: Values, differentiable again
    assert all(isinstance(h, Value) for row in H for h in row)
    assert [[h.data for h in row] for row in H] == [[6.0, 4.0], [4.0, 0.0]]
    assert gradients(H[0][1], [w]) == [2.0]  # ∂(2a)/∂a
    value, dot = jvp(lambda a: a**3, [w], [1.0])
    assert isinstance(value, Value) and isinstance(dot, Value) and gradients(dot, [w]) == [12.0]
    assert gradients(jacobian(lambda a: [a**3], mode="forward")(w)[0][0], [w]) == [12.0]
    assert gradients(jacobian(lambda a: [a**3])(w)[0][0], [w]) == [12.0]
    # with numbers, floats, as before
    assert type(hessian(lambda a: a**3)(2.0)[0][0]) is float
    assert all(type(v) is float for v in jvp(lambda a: a**3, [2.0], [1.0]))
    assert type(jacobian(lambda a: [a**3], mode="forward")(2.0)[0][0]) is float

    # a transform whose f raised leaves no trace: the next top-level call is top level
    def broken(x: Value) -> Value:
        raise RuntimeError("f failed")

    with pytest.raises(RuntimeError, match="f failed"):
        grad(lambda x: hessian(broken)(x)[0][0])(1.0)
    assert type(grad(lambda x: x * x)(1.0)) is float and type(hessian(lambda x: x * x)(1.0)[0][0]) is float


def test_a_number_only_call_inside_a_transform_is_refused_not_a_silent_zero():
    # gradients(create_graph=False) and tangents() return plain numbers: inside grad they would be
    # constants to it, and d/dx of ∂(x³)/∂x = 3x² silently 0 (it is 12 at 2)
    with pytest.raises(ValueError, match=r"^gradients: called inside grad\(\) .* pass create_graph=True"):
        grad(lambda x: gradients(x**3, [x])[0])(2.0)
    with pytest.raises(ValueError, match=r"^tangents: called inside hessian\(\) .* pass create_graph=True"):
        hessian(lambda x: tangents([x**3], [x], [1.0])[0])(2.0)
    with pytest.raises(ValueError, match=r"^gradients: called inside jvp\(\)"):
        jvp(lambda x: gradients(x * x, [x])[0], [2.0], [1.0])
    # what the message asks for gives the answer
    assert grad(lambda x: gradients(x**3, [x], create_graph=True)[0])(2.0) == 12.0
    assert grad(lambda x: tangents([x**3], [x], [1.0], create_graph=True)[0])(2.0) == 12.0
    # a graph that does not depend on the transform's variable is no concern of it
    a = Value(3.0, "a")
    assert grad(lambda x: x * gradients(a * a, [a])[0])(2.0) == 6.0


def test_gradcheck_runs_f_as_a_transform_does():
    # gradcheck differentiates f too: a transform inside f, called with numbers and closing over
    # f's input, must give a graph over it (it gave a float, and gradcheck refused f)
    for inner, theirs in BY_CLOSURE.values():
        for order in (1, 2):
            result = gradcheck(inner, [0.8], order=order)
            assert result, (inner, order, str(result))
        analytic = gradcheck(inner, [0.8]).rows[0].analytic
        assert _close(analytic, _theirs(autograd.grad(theirs), 0.8), 1e-12)


# ---------------------------------------------------------------------------------------------
# D. Errors only where a non-finite value reaches an asked-for gradient.
# ---------------------------------------------------------------------------------------------


def test_an_infinite_derivative_off_the_asked_for_paths_is_no_error():
    z = Value(0.0, "z")  # ∂√z/∂z at 0 is inf
    for create_graph in (False, True):
        x = Value(1.0, "x")
        (d,) = gradients(z.sqrt() * 0 + x, [x], create_graph=create_graph)
        assert _num(d) == 1.0
        x = Value(1.0, "x")
        (d,) = gradients(x + z.sqrt(), [x], create_graph=create_graph)
        assert _num(d) == 1.0
    # the oracle: forward mode, which carries no tangent to z
    assert jvp(lambda a: a + z.sqrt(), [1.0], [1.0]) == (1.0, 1.0)
    assert grad(lambda a: a + z.sqrt())(1.0) == 1.0
    assert grad(lambda a: z.sqrt() * 0 + a)(1.0) == 1.0
    assert grad(grad(lambda a: a * a + z.sqrt()))(1.0) == 2.0
    assert hessian(lambda a: a * a * a + z.sqrt())(1.0) == [[6.0]]
    for mode in ("reverse", "forward"):
        assert jacobian(lambda a: [a * 3 + z.sqrt(), a], mode=mode)(1.0) == [[3.0], [1.0]]
    # asked for, it is still an error naming the op
    with pytest.raises(
        OverflowError, match=r"local derivative of pow\(0\.0, 0\.5\) with respect to z is inf"
    ):
        gradients(z.sqrt() + 1.0, [z])
    # and plain backward() keeps its documented semantics: every node's gradient, so z's too
    x = Value(1.0, "x")
    with pytest.raises(OverflowError, match=r"pow\(0\.0, 0\.5\)"):
        (x + z.sqrt()).backward()


def test_a_negative_base_with_a_value_exponent_differentiated_by_the_base_only():
    # ∂(xᵖ)/∂p = xᵖ·ln x has no real value at x = −2, but only ∂/∂x = p·xᵖ⁻¹ = −4 was asked
    x, p = Value(-2.0, "x"), Value(2.0, "p")
    assert gradients(x**p, [x]) == [-4.0]
    assert gradients(x**p, [x], create_graph=True)[0].data == -4.0  # it raised log(−2.0)
    assert grad(lambda a: a**p)(-2.0) == -4.0 == autograd.grad(lambda a: a**2.0)(-2.0)
    assert grad(grad(lambda a: a**p))(-2.0) == 2.0 == autograd.grad(autograd.grad(lambda a: a**2.0))(-2.0)
    assert _close(gradients(x**p, [x])[0], _central(lambda a: a**2.0, -2.0), 1e-8)
    # both asked for: the exponent's derivative is refused, naming it
    with pytest.raises(OverflowError, match=r"local derivative of pow\(-2\.0, 2\.0\) with respect to p"):
        gradients(x**p, [x, p])


def test_a_zero_factor_carries_no_infinity_as_forward_mode():
    # relu(x)·1e300·1e300 at x = −1: ∂L/∂relu = inf, but ∂relu/∂x = 0 and the function is flat
    # there (0 by central differences and by forward mode); √relu(x) likewise
    for f in (lambda a: a.relu() * 1e300 * 1e300, lambda a: a.relu().sqrt()):
        x = Value(-1.0, "x")
        assert gradients(f(x), [x]) == [0.0]
        assert jvp(f, [-1.0], [1.0])[1] == 0.0
        assert _central(lambda a, f=f: f(Value(a)).data, -1.0) == 0.0
        assert grad(f)(-1.0) == 0.0
    # a gradient that overflows on the way to an asked-for input is still an error, at its op
    x = Value(1.0, "x")
    with pytest.raises(OverflowError, match=r"^gradients: the gradient overflows at mul"):
        gradients(x * 1e-300 * 1e300 * 1e300, [x])  # forward: 1e-300, 1, 1e300; ∂L/∂(x·1e-300) = inf


def test_gradcheck_differentiates_by_its_inputs_only():
    # f closes over z = 0 (√z has an infinite derivative there) and over a parameter w: the check
    # by f's own input a is 1 + w, and neither closed-over Value is touched
    z, w = Value(0.0, "z"), Value(3.0, "w")
    for order in (1, 2):
        result = gradcheck(lambda a: a + z.sqrt() + a * a * w, [1.0], order=order)
        assert result and z.grad == 0.0 and w.grad == 0.0, (order, str(result))
    assert gradcheck(lambda a: a + z.sqrt() + a * a * w, [1.0]).rows[0].analytic == 1.0 + 2 * 3.0
    assert autograd.grad(lambda a: a + a * a * 3.0)(1.0) == 7.0


# ---------------------------------------------------------------------------------------------
# F. The nesting state from 4 threads.
# ---------------------------------------------------------------------------------------------


def test_grad_in_one_thread_while_others_are_inside_grad():
    n, rounds = 4, 8
    inside = threading.Barrier(n, timeout=30)  # the holders are inside grad(), the caller waits
    done = threading.Barrier(n, timeout=30)  # the caller has its answers: the holders may finish
    errors: list[BaseException] = []
    results: dict[tuple[int, int], object] = {}

    def hold(x: Value) -> Value:
        inside.wait()
        done.wait()
        return grad(lambda y: x * y * y)(1.5) + x**3  # nested in this thread: 3x + x³

    def worker(k: int) -> None:
        try:
            for r in range(rounds):
                if r % n == k:  # this round's caller, at top level while the others are in grad()
                    inside.wait()
                    results[k, r] = (
                        grad(lambda x: x**3)(2.0),
                        hessian(lambda x: x**3)(2.0),
                        jvp(lambda x: x**3, [2.0], [1.0]),
                        jacobian(lambda x: [x**3], mode="forward")(2.0),
                    )
                    done.wait()
                else:
                    results[k, r] = grad(hold)(2.0)
        except BaseException as e:  # reported by the main thread
            errors.append(e)
            inside.abort()
            done.abort()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for (k, r), got in results.items():
        if r % n == k:
            assert got == (12.0, [[12.0]], (8.0, 12.0), [[12.0]]), (k, r, got)
            assert type(got[0]) is float and type(got[1][0][0]) is float and type(got[2][1]) is float
        else:
            assert type(got) is float and got == 3.0 + 3 * 2.0**2, (k, r, got)  # d(3x + x³)/dx at 2


def test_a_transform_inside_a_new_thread_started_inside_grad_is_top_level():
    # the running transforms are the calling thread's: a thread started inside grad() has none
    out: list[object] = []

    def f(x: Value) -> Value:
        t = threading.Thread(target=lambda: out.append(grad(lambda y: y**3)(2.0)))
        t.start()
        t.join()
        return x * x

    assert grad(f)(3.0) == 6.0
    assert out == [12.0] and type(out[0]) is float


# ---------------------------------------------------------------------------------------------
# G. grad's keyword arguments.
# ---------------------------------------------------------------------------------------------


def test_keyword_arguments_get_one_clear_message():
    f = lambda x, y=1.0: x * y  # noqa: E731
    with pytest.raises(
        TypeError, match=r"^grad: .*positional arguments only .*y=4\.0.*lambda x: f\(x, y=4\.0\)"
    ):
        grad(f)(3.0, y=4.0)
    with pytest.raises(TypeError, match=r"^hessian: .*positional arguments only"):
        hessian(f)(3.0, y=4.0)
    with pytest.raises(TypeError, match=r"^jacobian: .*positional arguments only"):
        jacobian(lambda x, y=1.0: [x * y])(3.0, y=4.0)
    # what the message says works: by position, or closed over (autograd agrees)
    assert grad(f)(3.0, 4.0) == 4.0 == grad(lambda x: f(x, y=4.0))(3.0)
    assert autograd.grad(lambda x: f(x, y=4.0))(3.0) == 4.0
