"""Bad and extreme input to the autograd-tiny command, as the adversarial probe typed it.

Every input ends one of two ways: status 0 with a correct result, or status 2 with exactly one
line "autograd-tiny: error: ..." on stderr and nothing on stdout (never a traceback). These run
main() in-process, which is what the console script calls; test_cli.py runs the real script.
"""

from __future__ import annotations

import importlib.metadata
import math

import pytest
from cli_run import is_one_line_error, printed_gradients, run_main

import autograd_tiny
from autograd_tiny import cli

REFUSED = [
    # deep nesting beyond Python's parser (200 levels of brackets), and over the length limit
    (["trace", "(" * 300 + "x" + ")" * 300, "x=1"], "too many nested parentheses"),
    (["trace", "exp(" * 250 + "x" + ")" * 250, "x=1"], "too many nested parentheses"),
    (["trace", "-" * 2001 + "x", "x=1"], "longer than 2000 characters"),
    # text Python only warns about while parsing
    (["trace", "3is"], "invalid decimal literal"),
    (["trace", "3is x", "x=1"], "invalid decimal literal"),
    (["trace", "x^2", "x=1"], "use ** for powers"),
    # bindings
    (["trace", "x", "x=1e999"], "bad number '1e999' for x: it must be finite"),
    (["trace", "x", "x=nan"], "bad number 'nan' for x: it must be finite"),
    (["trace", "x", "x=-inf"], "must be finite"),
    (["trace", "x", "x=" + "1" * 5000], "must be finite"),
    (["trace", "x", "=1"], "bad binding '=1': write NAME=NUMBER"),
    (["trace", "x", "x==1"], "bad number '=1' for x"),
    (["trace", "x", "x=1", "x=2"], "x is bound twice"),
    (["trace", "x", "x=1", "ｘ=2"], "x is bound twice"),  # the full-width ｘ is x, as Python reads it
    (["trace", "x", "x=1\n2"], r"bad number '1\n2' for x"),
    (["trace", "x", "if=1"], "if is a Python keyword"),
    (["trace", "x", "exp=1"], "exp is a function name"),
    (["trace", "exp"], "exp is a function: call it"),
    (["trace", "x + y", "x=1"], "unbound name(s) y"),
    (["trace", "x", "x=1", "y=2"], "y bound but not used"),
    # the expression itself
    (["trace", ""], "the expression is empty"),
    (["trace", "   "], "the expression is empty"),
    (["trace", "9" * 400], "too large for a float"),
    (["trace", "1e999 * x", "x=1"], "too large for a float"),
    (["trace", "x\n+ 1", "x=1"], "cannot parse"),
    (["trace", "x\x00", "x=1"], "cannot parse"),
    (["trace", "1j"], "only numbers are allowed"),
    (["trace", "x.__class__", "x=1"], "attribute access is not allowed"),
    # domain errors and overflow, named by the engine
    (["trace", "log(x)", "x=0"], "log is defined only for positive numbers"),
    (["trace", "0**-1"], "zero to a negative power"),
    (["trace", "x/0", "x=1"], "division by zero"),
    (["trace", "sqrt(x)", "x=-1"], "sqrt is defined only for non-negative numbers"),
    (["trace", "exp(1000)"], "overflows a float"),
    (["trace", "2**10000"], "overflows a float"),
    (["trace", "x * 1e300 * 1e300", "x=1"], "is not a finite number"),
    # every value is finite but the derivative is not: d(x^p)/dx = p·x^(p−1) ≈ 1e309
    (
        ["trace", "x**1000000000", "x=1.00000069"],
        "cannot differentiate 'x**1000000000' here: backward: the local derivative of pow",
    ),
    # files
    (
        ["trace", "x", "x=1", "--dot", "/nonexistent/dir/g.svg"],
        "the folder '/nonexistent/dir' does not exist",
    ),
    (["trace", "x", "x=1", "--dot", "g.jpeg"], "must end in .svg, .png, .pdf, .dot"),
    (["trace", "x", "x=1", "--dot", ""], "--dot: cannot write the drawing '': no file name given"),
    (["demo", "--svg", "file.txt"], "must end in .svg, .png, .pdf, .dot"),
    (["demo", "--svg", "/nonexistent/dir/g.svg"], "does not exist"),
    (
        ["train", "--plot", "curve.txt"],
        "--plot: cannot write the plot 'curve.txt': the file name must end in .png",
    ),
    (["train", "--plot", "/nonexistent/dir/curve.png"], "does not exist"),
    # training arguments
    (["train", "--seed", "-1"], "--seed must be an integer ≥ 0; got -1"),
    (["train", "--steps", "0"], "--steps must be a positive integer, at most 1,000,000; got 0"),
    (["train", "--steps", "-5"], "--steps must be"),
    (["train", "--steps", str(10**30)], "--steps must be"),
    (["train", "--steps", "1.5"], "invalid int value: '1.5'"),
    (["train", "--steps", "1" * 5000], "invalid int value"),
    (["train", "--samples", "3"], "--samples must be at least 4 and at most 10,000; got 3"),
    (["train", "--samples", "-100"], "--samples must be"),
    (["train", "--samples", str(10**9)], "--samples must be"),
    (["train", "--noise", "nan"], "--noise must be a number in [0, 10); got nan"),
    (["train", "--noise", "-0.1"], "--noise must be"),
    (["train", "--noise", "inf"], "--noise must be"),
    (["train", "--dataset", "mnist"], "invalid choice: 'mnist'"),
    # the command line itself
    (["examples", "nosuch"], "no example called 'nosuch'"),
    (["nonsense"], "invalid choice: 'nonsense'"),
    ([], "the following arguments are required: COMMAND"),
    (["trace"], "the following arguments are required: EXPR"),
    (["trace", "--bogus", "x=1"], "--bogus is not an option of trace (it has --dot FILE and --help)"),
    (["trace", "x", "x=1", "--bogus"], "unrecognized arguments: --bogus"),
    (["--bogus", "demo"], "unrecognized arguments: --bogus"),
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["examples", "--list", "extra"], "--list takes no name (got 'extra')"),
]


@pytest.mark.parametrize("argv, message", REFUSED, ids=[f"{i}" for i in range(len(REFUSED))])
def test_refused_with_one_line_and_status_2(argv, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main(*argv)
    assert is_one_line_error(status, out, err), (status, out, err)
    assert message in err, err
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_a_folder_is_not_a_drawing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "g.svg").mkdir()
    status, out, err = run_main("trace", "x", "x=1", "--dot", "g.svg")
    assert is_one_line_error(status, out, err) and "it is a folder, not a file" in err


def _gradient(argv: list[str]) -> tuple[set[str], dict[str, float]]:
    status, out, err = run_main(*argv)
    assert status == 0 and err == "", (status, err)
    return printed_gradients(out)


def test_hundreds_and_thousands_of_unary_minuses():
    # −(−(…(x))): n negations of x, so f = (−1)ⁿ·x and ∂f/∂x = (−1)ⁿ (exact, counted by Python ints)
    for n in (499, 500, 1999):
        roots, grads = _gradient(["trace", "-" * n + "x", "x=3"])
        assert roots == {"f"} and grads == {"x": (-1) ** n}
    for n in (300, 1995):  # a literal: folded to one number, x · (±7)
        roots, grads = _gradient(["trace", "x * " + "-" * n + "7", "x=3"])
        assert grads == {"x": 7 * (-1) ** n}


def test_deep_parentheses_and_long_chains_give_results():
    roots, grads = _gradient(["trace", "(" * 199 + "x" + ")" * 199, "x=3"])
    assert roots == {"x"} and grads == {"x": 1}  # the expression is x itself: ∂x/∂x = 1
    roots, grads = _gradient(["trace", "x+" * 999 + "x", "x=3"])
    assert grads == {"x": 1000}  # 1000 x
    roots, grads = _gradient(["trace", "x*" * 99 + "x", "x=1"])
    assert grads == {"x": 100}  # x¹⁰⁰ at 1: 100·x⁹⁹ = 100
    # the tower x^(x^(…^x)), 600 high, at x = 1: fₙ′ = fₙ·(fₙ₋₁′·ln x + fₙ₋₁/x) = 1·(0 + 1) = 1
    roots, grads = _gradient(["trace", "x**" * 600 + "x", "x=1"])
    assert grads == {"x": 1}


def test_nested_function_calls_up_to_the_parsers_limit():
    # sin(sin(…sin(x))) 199 deep: the chain rule by hand, a product of cosines, on floats
    u, slope = 0.7, 1.0
    for _ in range(199):
        slope *= math.cos(u)
        u = math.sin(u)
    _, grads = _gradient(["trace", "sin(" * 199 + "x" + ")" * 199, "x=0.7"])
    assert grads["x"] == pytest.approx(slope, rel=1e-5)


@pytest.mark.parametrize(
    "argv, root, expected",
    [
        (["trace", "-x*2", "x=3"], "f", {"x": -2}),  # a leading minus needs no --
        (["trace", "-x*2", "x=-1", "--dot", "g.dot"], "f", {"x": -2}),
        (["trace", "--dot", "g.dot", "-x*2", "x=-1"], "f", {"x": -2}),
        (["trace", "--", "-x*2", "x=-1"], "f", {"x": -2}),
        (["trace", "-1 - x", "x=-0.5"], "f", {"x": -1}),
        (["trace", "--x", "x=2"], "f", {"x": 1}),  # −(−x): an expression, not an option
        (["trace", "--do", "g.dot", "-x", "x=2"], "f", {"x": -1}),  # --do is short for --dot
        (["trace", "x*y", "x=-1", "y=-2.5"], "f", {"x": -2.5, "y": -1}),  # negative bindings
        (["trace", "x*y", "x = 1.5", "y=1_000"], "f", {"x": 1000, "y": 1.5}),
        # the root is named after no variable: f, else f0, f1, …
        (["trace", "y*3", "y=2"], "f", {"y": 3}),
        (["trace", "f*y", "f=2", "y=3"], "f0", {"f": 3, "y": 2}),
        (["trace", "f*f0", "f=2", "f0=3"], "f1", {"f": 3, "f0": 2}),
        (["trace", "x", "x=1"], "x", {"x": 1}),
        # non-ASCII names, read as Python reads them (NFKC: the full-width ｘ is x)
        (["trace", "α**2", "α=3"], "f", {"α": 6}),
        (["trace", "ｘ*2", "ｘ=1"], "f", {"x": 2}),
        (["trace", "x*2", "ｘ=1"], "f", {"x": 2}),
        # Python's precedence: −x² is −(x²), 2^−x is 2^(−x)
        (["trace", "-x**2", "x=3"], "f", {"x": -6}),
        (["trace", "x ** -1", "x=2"], "f", {"x": -0.25}),
    ],
)
def test_accepted_with_the_right_gradients(argv, root, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    roots, grads = _gradient(argv)
    assert roots == {root} and grads == pytest.approx(expected, rel=1e-12)


def test_a_noise_of_minus_zero_is_zero():
    status, out, err = run_main("train", "--noise", "-0", "--steps", "1", "--samples", "10")
    assert status == 0 and err == "", err
    assert "(noise 0.0)" in out and "final loss" in out


def test_version_is_the_package_version():
    status, out, err = run_main("--version")
    assert status == 0 and err == ""
    assert out == f"autograd-tiny {autograd_tiny.__version__}\n"
    assert autograd_tiny.__version__ == importlib.metadata.version("autograd-tiny")


@pytest.mark.parametrize(
    "error, status, line",
    [
        (KeyboardInterrupt(), 130, "autograd-tiny: interrupted"),  # Ctrl-C during a long run
        (RuntimeError("boom"), 70, "autograd-tiny: error: unexpected RuntimeError: boom (a bug)"),
    ],
)
def test_an_interruption_or_a_bug_is_still_one_line(error, status, line, monkeypatch):
    def explode(args):
        raise error

    monkeypatch.setattr(cli, "cmd_trace", explode)
    got, out, err = run_main("trace", "x", "x=1")
    assert (got, out, err) == (status, "", line + "\n")


def test_examples_draws_and_steps_a_worked_example(tmp_path):
    """`examples NAME --dot F --html F` writes the example's drawing and its stepper page: the SVG
    draws every value of the graph by its label, and the page is a whole HTML file with the drawing."""
    import xml.etree.ElementTree as ET

    from autograd_tiny.core.graph import topological_order
    from autograd_tiny.examples import example1

    svg, page = tmp_path / "e1.svg", tmp_path / "e1.html"
    status, out, err = run_main("examples", "example1", "--dot", str(svg), "--html", str(page))
    assert (status, err) == (0, ""), err
    assert f"wrote {svg}" in out and f"wrote {page}" in out
    texts = {t.text for t in ET.parse(svg).getroot().iter("{http://www.w3.org/2000/svg}text")}
    values = topological_order(example1().root)
    assert all(any(t and t.startswith(v.label) for t in texts) for v in values), texts  # every node drawn
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "\\u003csvg" in html  # the drawing, in the page's data
    assert '<img src="data:image/svg+xml;base64,' in html  # and its still picture, for no scripts


@pytest.mark.parametrize(
    "argv, message",
    [
        (["examples", "--dot", "x.svg"], "give its NAME"),
        (["examples", "example3", "--dot", "x.svg"], "example3 has no single graph to draw"),
        (["examples", "example3", "--html", "x.html"], "example3 has no single graph to draw"),
        (["examples", "example1", "--html", "x.svg"], "--html"),
    ],
)
def test_examples_drawing_refusals(argv, message, tmp_path, monkeypatch):
    """Drawing options with no graph to draw or the wrong kind of file: one line, before any work."""
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main(*argv)
    assert is_one_line_error(status, out, err), (status, out, err)
    assert message in err
    assert not list(tmp_path.iterdir())


def test_all_steps_writes_the_printable_page(tmp_path):
    """`--html F --all-steps` (examples and trace) writes every step one after another, with no script;
    without --html it is refused in one line, before any work."""
    page = tmp_path / "all.html"
    status, out, err = run_main("examples", "example1", "--html", str(page), "--all-steps")
    assert (status, err) == (0, "") and f"wrote {page} (every step" in out
    text = page.read_text(encoding="utf-8")
    assert text.count('class="agt-step"') == 9 and "<script" not in text  # step 0 and its 8 steps
    status, out, err = run_main("trace", "w*x + b", "w=2", "x=1", "b=−1", "--html", str(page), "--all-steps")
    assert status == 0 and page.read_text(encoding="utf-8").count('class="agt-step"') == 5, (
        err
    )  # 0 and 4 steps
    for args in (("examples", "example1", "--all-steps"), ("trace", "w*x", "w=2", "x=1", "--all-steps")):
        status, out, err = run_main(*args)
        assert is_one_line_error(status, out, err) and "give --html FILE too" in err, err
