"""examples.py: every worked result of the seeds agrees with its answer key; the command prints them."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from autograd_tiny.examples import EXAMPLES, Check, all_examples, example1


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_every_example_agrees_with_its_key(name):
    ex = EXAMPLES[name]()
    assert ex.checks, name
    assert ex.agrees(), str(ex)


def test_the_seeds_readme_items_are_all_covered():
    names = set(EXAMPLES)
    # the README's items 1-10: Examples 1-3, PP4, PP1, PP5, batches, gradcheck, pitfalls, primer
    assert names == {
        "example1", "example2", "example3", "problem4", "problem1", "problem5",
        "batches", "gradcheck", "pitfalls", "primer",
    }  # fmt: skip
    assert len(all_examples()) == 10


def test_a_check_fails_when_the_engine_would_be_wrong():
    # the checks can fail: the same key against a deliberately different number
    assert not Check("∂L/∂w2", -12.0, -11.0).ok
    assert not Check("ŷ", 0.7311, 0.7320, tol=5e-5).ok
    assert not Check("W", (128, 64), (64, 128), "shape").ok
    assert not Check("rel", 1e-7, 1e-3, "<").ok


def test_a_check_prints_agreement_not_the_rounding_of_this_machine():
    # the primer's check on two machines (another CPU and BLAS): 6.9e-18 here, 1.4e-17 there
    here = Check("max |∂L/∂W1: graph − equations|", 0.0, 6.9e-18, tol=1e-12)
    there = Check("max |∂L/∂W1: graph − equations|", 0.0, 1.4e-17, tol=1e-12)
    assert str(here) == str(there) == "max |∂L/∂W1: graph − equations| ≤ 1e-12   (key 0, up to rounding)   ok"
    # gradcheck's relative error: its digits are rounding too, its bound is what is checked
    assert str(Check("max relative error", 1e-7, 1.4e-10, "<")) == "max relative error < 1e-7   ok"
    assert str(Check("max relative error", 1e-7, 3.2e-10, "<")) == "max relative error < 1e-7   ok"
    # a planted mistake's error is no rounding: it is shown, to two digits
    assert str(Check("rel", 1e-3, 0.490656, ">")) == "rel = 0.49   (key: above 0.001)   ok"
    # a failing check shows what it got, which then is no longer rounding
    wrong = Check("max |a − b|", 0.0, 0.25, tol=1e-12)
    assert str(wrong) == "max |a − b| = 0.25   (key 0 ± 1e-12)   MISMATCH"
    assert str(Check("rel", 1e-7, 0.25, "<")) == "rel = 0.25   (key: below 1e-7)   MISMATCH"
    # exact answers are printed exactly
    assert str(Check("∂L/∂w2", -12.0, -12.0)) == "∂L/∂w2 = −12   (key −12)   ok"


def test_examples_command_prints_no_rounding_noise():
    out = _cli("examples")
    assert out.returncode == 0, out.stderr
    # every small number in scientific notation is a stated bound (≤ 1e-12, < 1e-7, ± 5e-5), never
    # a computed 3.3e−16 or 1.4e−10 whose digits change from one CPU, BLAS or maths library to the next
    for m in re.finditer(r"(\S*) (−?\d+(?:\.\d+)?e[−-]\d+)", out.stdout):
        assert m.group(1) in ("≤", "<", "±"), f"rounding noise printed: {m.group(0)!r}"
    assert "≤ 1e-12   (key 0, up to rounding)   ok" in out.stdout
    assert "max relative error < 1e-7   ok" in out.stdout


def test_example_1_nodes_are_labelled():
    ex = example1()
    assert {"x", "w1", "b1", "w2", "b2", "z1", "a1", "z2", "L"} <= set(ex.nodes)
    assert ex.nodes["w2"].grad == -12.0


def _cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "autograd_tiny", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


def test_examples_command_prints_traces_and_agreement():
    out = _cli("examples")
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("the engine agrees with the answer key") == len(EXAMPLES)
    assert "∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12" in out.stdout
    assert "all examples agree with their answer keys" in out.stdout


def test_examples_command_one_name_and_errors():
    out = _cli("examples", "problem4")
    assert out.returncode == 0 and "δ2[0] = 0.8" in out.stdout and "example1" not in out.stdout
    assert out.stdout.rstrip().endswith("problem4 agrees with its answer key")  # of it, not of all
    bad = _cli("examples", "nope")
    assert bad.returncode == 2 and "no example called 'nope'" in bad.stderr and "Traceback" not in bad.stderr
    listing = _cli("examples", "--list")
    assert listing.returncode == 0 and len(listing.stdout.splitlines()) == len(EXAMPLES)
