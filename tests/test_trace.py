"""trace(): rows in forward order, chain-rule steps with numbers, text and HTML."""

from __future__ import annotations

import re

import pytest

from autograd_tiny import MLP, Value, rules, topological_order
from autograd_tiny.compile import to_python
from autograd_tiny.engine import OPS
from autograd_tiny.examples import example1
from autograd_tiny.trace import trace


def _numbers(text: str) -> list[float]:
    return [float(x.replace("−", "-")) for x in re.findall(r"[−-]?\d+(?:\.\d+)?", text)]


def test_example_1_steps_give_the_answer_key_in_the_chapters_order():
    t = trace(example1().root)
    results = {}
    order = []
    for step in t.steps:
        order.append(step.parent)
        results.setdefault(step.parent, 0.0)
        results[step.parent] += step.contribution
    # the chapter derives ∂L/∂z2, ∂L/∂w2, ∂L/∂b2, δ1 = ∂L/∂z1, ∂L/∂w1, ∂L/∂b1, in this order
    chapter = [("z2", -6.0), ("w2", -12.0), ("b2", -6.0), ("z1", -18.0), ("w1", -18.0), ("b1", -18.0)]
    positions = [order.index(name) for name, _ in chapter]
    assert positions == sorted(positions)
    for name, value in chapter:
        assert results[name] == value
        assert t.grad(name) == value


def test_step_text_reads_like_the_chapter():
    t = trace(example1().root)
    lines = [str(s) for s in t.steps]
    assert "∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12" in lines
    assert "∂L/∂z1 += ReLU′(z1) · ∂L/∂a1 = 1 · (−18) = −18" in lines
    assert "∂L/∂b1 += 1 · ∂L/∂z1 = 1 · (−18) = −18" in lines
    assert "∂L/∂z2 += 2·(z2 − 10) · ∂L/∂L = −6 · 1 = −6" in lines  # the loss is one step, as in the chapter


def test_rows_are_in_forward_topological_order_with_values_and_local_derivatives():
    ex = example1()
    t = trace(ex.root)
    names = [r.label for r in t.rows]
    for r in t.rows:
        for p in r.parents:
            assert p == "10" or names.index(p) < r.index  # the target y = 10 is a constant: no row
    z2 = t.rows[names.index("z2")]
    assert (z2.op, z2.parents, z2.data, z2.grad) == ("affine", ("w2", "a1", "b2"), 7.0, -6.0)
    assert z2.local_grads == (2.0, 3.0, 1.0)  # ∂z2/∂w2 = a1, ∂z2/∂a1 = w2, ∂z2/∂b2 = 1
    assert names[-1] == "L" and t.rows[-1].grad == 1.0


def test_text_table_is_aligned_and_html_renders():
    t = trace(example1().root)
    text = str(t)
    lines = text.splitlines()
    header = lines[1]
    assert header.startswith("#") and "local derivatives" in header
    col = header.index("data")
    for line in lines[2 : 2 + len(t)]:  # the "data" column starts at the same place on every row
        assert line[col - 2 : col] == "  "
    html = t._repr_html_()
    assert html.count("<tr>") == len(t) + 1 and "<ol>" in html and "∂L/∂w2" in html


def test_tracing_does_not_change_grads_and_matches_backward():
    m = MLP(3, [4, 2], activation="tanh", seed=0)
    out = m([0.5, -0.2, 0.9])
    loss = out[0] * out[1] + out[0]
    t = trace(loss)
    nodes = topological_order(loss)
    assert all(n.grad == 0.0 for n in nodes)  # nothing touched yet
    loss.backward()
    for r, n in zip(t.rows, nodes, strict=True):
        assert r.grad == pytest.approx(n.grad, rel=1e-15, abs=1e-300)


def test_shared_labels_are_told_apart_and_unlabelled_nodes_named():
    a, b = Value(1.0, "u"), Value(2.0, "u")
    y = a * b + 3
    names = [r.label for r in trace(y).rows]
    assert len(set(names)) == len(names)
    assert any(n.startswith("u#") for n in names)
    # the constant 3 is no row of its own: it is shown inside its op, and gets no gradient
    assert "3" not in names and trace(y).rows[-1].parents[-1] == "3"


def test_unlabelled_inputs_are_named_by_their_row_not_their_number():
    # micrograd-style leaves without labels: two inputs holding 2.0 must not both read "2", and
    # ∂y/∂2 would read as a derivative by a constant; each is n<row>, as compile's t<row>
    a, b = Value(2.0), Value(2.0)
    y = a * b + a
    t = trace(y)
    assert [r.label for r in t.rows] == ["n0", "n1", "n2", "n3"]
    assert t.rows[2].parents == ("n0", "n1") and t.rows[3].parents == ("n2", "n0")
    y.backward()
    assert (t.grad("n0"), t.grad("n1")) == (a.grad, b.grad) == (3.0, 2.0)
    assert "∂n3/∂n0 += n1 · ∂n3/∂n2 = 2 · 1 = 2" in str(t)
    assert "def f(t0, t1):" in to_python(y, [a, b])


def test_every_row_has_a_name_of_its_own_and_the_latex_sums_use_them():
    # a label equal to an automatic name (node 1 is n1), and a label that reads like a told-apart one
    x = Value(1.0, "n1")
    names = [r.label for r in trace((x * 2).exp()).rows]
    assert len(set(names)) == 3 and "n1" not in names
    p, q, r = Value(1.0, "u#1"), Value(2.0, "u"), Value(3.0, "u")
    names = [r.label for r in trace(p * q * r).rows]
    assert len(set(names)) == len(names) == 5
    # the derivation's "⇒ ∂L/∂a = … = total" lines add up what backward() adds up, per node
    a, b = Value(2.0), Value(2.0)
    z = a * b + a.exp()
    z.label = "L"
    z.backward()
    totals = re.findall(r"\\Rightarrow .*?\{(n_\{\d\})\}\} &= .* = ([\d.]+)", str(trace(z).to_latex()))
    assert totals == [("n_{0}", "9.38906")] and abs(a.grad - 9.38906) < 1e-5 and b.grad == 2.0


def test_an_element_of_a_vector_derivative_is_indexed_as_a_whole():
    # ∂CE/∂u_i = (softmax(u) − onehot(y))_i: the index belongs to the difference, not to onehot
    u, w = Value(-2.0, "u"), Value(3.0, "w")
    text = str(trace(OPS["cross_entropy"]([u, w], 1)))
    assert "(softmax((u, w)) − onehot(1))[1] · " in text and "onehot(1)[1]" not in text


def test_a_negative_number_after_an_operator_is_in_parentheses():
    # u − −0.25 and (ŷ − −0.248)² read as typos; u − (−0.25) is how the chapter writes it
    x = Value(1.0, "x")
    y = ((x - (-0.25)) * -3.0) ** 2
    t = trace(y)
    assert [r.shown_op for r in t.rows] == ["leaf", "− (−0.25)", "× (−3)", "** 2"]
    assert OPS["squared_error"](x, -0.5).op == "squared_error"
    assert trace(OPS["squared_error"](x, -0.5)).rows[-1].shown_op == "(ŷ − (−0.5))²"
    assert rules.to_text("2 * (u - v)", {"u": "z"}, {"v": -0.25}) == "2·(z − (−0.25))"
    assert rules.to_latex("u * v", {"u": "z"}, {"v": -0.25}) == r"z \cdot (-0.25)"
    assert rules.to_text("v + u", {"u": "z"}, {"v": -0.25}) == "−0.25 + z"  # first: no parentheses


def test_trace_of_a_non_value_is_a_type_error():
    with pytest.raises(TypeError, match="trace expects a Value"):
        trace(3.0)


def test_a_node_named_by_an_expression_is_bracketed_after_the_partial_sign():
    """∂L/∂(1−ŷ), as the texts write it, never ∂L/∂1−ŷ (which reads as ∂L/∂1 − ŷ); plain names,
    indexed names and the numbers stay as they are."""
    from autograd_tiny.practice import exercise

    y_hat = Value(0.25, label="ŷ")
    u = 1 - y_hat
    u.label = "1−ŷ"
    L = u.log()
    L.label = "L"
    t = trace(L)
    texts = [str(s) for s in t.steps]
    assert texts[0].startswith("∂L/∂(1−ŷ) += (1/(1−ŷ)) · ∂L/∂L = "), texts
    assert texts[1].startswith("∂L/∂ŷ += −1 · ∂L/∂(1−ŷ) = "), texts
    assert "∂/∂(1−ŷ) = " in str(t)
    for kind in ("two_layer_relu", "reused_node"):
        solution = exercise(kind, 0).solution()
        assert "∂L/∂(ŷ−y) += " in solution and "∂L/∂ŷ−y" not in solution


def test_a_wide_trace_wraps_inside_its_columns_and_loses_nothing():
    """The primer's trace (a neuron with 7 parents) fits 100 columns, as printed; wrapped at any width
    from 60 it keeps every parent, every local derivative and every step, in order, and its columns
    stay aligned (a column is never narrower than its widest unbreakable piece); a trace that fits
    (Example 1) prints as it would with no limit."""
    import re

    from autograd_tiny.examples import example1, primer

    t = trace(primer().root)
    wide = t.format(10_000)
    assert max(len(line) for line in wide.splitlines()) > 200  # unwrapped, the rows run far
    for width in (120, 100, 90, 80, 60):
        text = t.format(width)
        if width >= 90:
            assert max(len(line) for line in text.splitlines()) <= width, width
        for pattern in (r"∂/∂\S+ = \S+", r"\b[Wxb]\d?\[[\d,]+\]"):  # the two columns interleave
            assert sorted(re.findall(pattern, text)) == sorted(re.findall(pattern, wide)), (width, pattern)
        steps = r"^ *\d+\. (∂\S+)"  # the steps, in order
        assert re.findall(steps, text, re.M) == re.findall(steps, wide, re.M)
        table = text.split("\n\n")[0].splitlines()[1:]
        local = table[0].index("local derivatives")
        for line in table[1:]:  # every local derivative starts under its header
            if "∂/∂" in line:
                assert line.index("∂/∂") == local and line[local - 1] == " ", (width, line)
    assert str(t) == t.format(100)
    small = trace(example1().root)
    assert str(small) == small.format(10_000)
    with pytest.raises(ValueError, match="at least 60"):
        t.format(20)
