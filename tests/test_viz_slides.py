"""Drawings that fit a slide: rendered with Graphviz and measured, not guessed: in the PNG `dot` makes
(its header) when `dot` is installed, else from the size of the SVG Graphviz-in-WebAssembly makes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from graphviz.quoting import quote

from autograd_tiny import MLP, Value
from autograd_tiny.examples import EXAMPLES, example1, example2, primer
from autograd_tiny.graph import topological_order
from autograd_tiny.losses import hinge_loss
from autograd_tiny.trace import op_label, trace
from autograd_tiny.viz import GraphvizNotFound, draw_dot, to_dot

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("make", [example1, example2, primer], ids=["example1", "example2", "primer"])
def test_default_drawings_are_no_strip_wider_or_taller_than_4_to_1(make, renderer):
    width, height = renderer.size_px(to_dot(make().root))
    assert 1 / 4 <= width / height <= 4, (width, height)


@pytest.mark.parametrize("make", [example1, example2, primer], ids=["example1", "example2", "primer"])
def test_svg_points_are_the_png_pixels(make, renderer):
    """Without `dot` the sizes above come from the SVG (points · 96/72): with `dot`, that is the PNG's
    size in pixels to a pixel. Without `dot`, a PNG is refused naming what to install."""
    if renderer.native:
        png = renderer.size_px(to_dot(make().root))
        svg = renderer.svg_size_px(renderer.svg(to_dot(make().root)))
        assert abs(svg[0] - png[0]) <= 1 and abs(svg[1] - png[1]) <= 1, (svg, png)
    else:
        with pytest.raises(GraphvizNotFound, match="apt-get install graphviz"):
            draw_dot(make().root).pipe(format="png")


def test_the_direction_is_chosen_for_the_graph_and_an_explicit_one_is_kept():
    chain = to_dot(example1().root)  # x → z1 → a1 → z2 → L: a long thin chain is drawn top to bottom
    assert "rankdir=TB" in chain
    assert "rankdir=LR" in to_dot(primer().root)  # 3 inputs, 4 + 2 neurons: wide, left to right
    for rankdir in ("LR", "TB", "RL", "BT"):
        assert f"rankdir={rankdir}" in to_dot(example1().root, rankdir=rankdir)


def _one_example_through_the_moons_network():
    """Notebook 05's network, MLP(2, [16, 16, 1]), on one example with its hinge loss."""
    model = MLP(2, [16, 16, 1], seed=1)
    loss = hinge_loss(model([0.3, -0.8]), [-1.0])
    loss.label = "L"
    loss.backward()
    return model, loss


def test_collapsed_mlp_has_one_box_per_neuron_and_fits_a_screen(renderer):
    model, loss = _one_example_through_the_moons_network()
    src = to_dot(loss, collapse="neuron")
    neurons = re.findall(r"^\s*u(\d+)_(\d+) \[", src, flags=re.M)
    assert sorted(neurons, key=lambda t: (int(t[0]), int(t[1]))) == [
        (str(layer), str(i)) for layer, n in ((1, 16), (2, 16), (3, 1)) for i in range(n)
    ]
    assert "W1[" not in src and "b2[" not in src  # parameters are hidden inside their neuron
    assert '"x[0] |' in src and '"x[1] |' in src and '"L |' in src  # inputs and loss drawn as values
    # each neuron shows its z, a and δ = ∂L/∂z, with 4 significant digits
    unit = model.layers[0].neurons[5]
    z = next(n for n in topological_order(loss) if n.label == "z1[5]")
    line = next(ln for ln in src.splitlines() if ln.lstrip().startswith("u1_5 "))
    assert f"z = {z.data:.4g}".replace("-", "−") in line and f"δ = {z.grad:.4g}".replace("-", "−") in line
    assert (unit.b.grad == 0.0) == ("δ = 0" in line)  # ∂L/∂b = δ: a dead unit shows δ = 0
    # one arrow from each input to each first-layer neuron, from each neuron to each one after it
    assert src.count("-> u1_") == 2 * 16 and src.count("-> u2_") == 16 * 16 and src.count("-> u3_0") == 16
    width, height = renderer.size_px(src)
    assert max(width, height) <= 2500 and 1 / 4 <= width / height <= 4, (width, height)
    grouped = to_dot(loss, collapse="neuron", group_layers=True, color_by_grad=True)
    assert max(renderer.size_px(grouped)) <= 2500


def test_unfused_neurons_collapse_the_same_and_a_relabelled_output_keeps_its_name():
    model = MLP(2, [3, 1], seed=0, fused=False)  # z built from binary * and + nodes
    score = model([1.0, -2.0])[0]
    score.label = "s"  # the output's z3[0] renamed, as notebook 05 does
    score.backward()
    src = to_dot(score, collapse="neuron")
    assert len(re.findall(r"^\s*u\d+_\d+ \[", src, flags=re.M)) == 4
    assert "op [" not in src  # every product and partial sum is inside its neuron
    assert '"s = neuron 2[0] |' in src


def test_collapse_refuses_a_batch_and_bad_values():
    model = MLP(2, [2, 1], seed=0)
    loss = hinge_loss([model([1.0, 0.0])[0], model([0.0, 1.0])[0]], [1.0, -1.0])
    with pytest.raises(ValueError, match=r"z1\[0\] appears 2 times"):
        to_dot(loss, collapse="neuron")
    with pytest.raises(ValueError, match="collapse must be None or 'neuron', got 'layer'"):
        to_dot(loss, collapse="layer")
    with pytest.raises(TypeError, match="collapse must be None or 'neuron', got bool"):
        to_dot(loss, collapse=True)


def test_digits_rounds_every_number_in_the_drawing():
    root = example2().root  # ŷ = σ(1) = 0.731059, ∂L/∂z = 0.731059
    src = to_dot(root)  # one precision rule: by default a drawing shows trace's own numbers
    assert "0.731059" in src and "0.731059" in str(trace(root))
    assert "0.7311" in to_dot(root, digits=4) and "0.731059" not in to_dot(root, digits=4)
    assert 'grad 0.7"' in to_dot(root, digits=1)  # z: ∂L/∂z = 0.731059 to 1 digit
    x = Value(2.0, "x")
    assert 'label="× 0.3333"' in to_dot(x * (1 / 3), digits=4)  # constants inside an op are rounded too
    for bad, kind in ((0, ValueError), (18, ValueError), (4.0, TypeError), (True, TypeError)):
        with pytest.raises(kind, match="digits must be an int from 1 to 17"):
            to_dot(root, digits=bad)


def test_op_labels_are_trace_op_labels_rounded():
    # the drawing labels each op as trace's table does, with the drawing's digits
    for make in EXAMPLES.values():
        root = make().root
        if root is None or len(topological_order(root)) > 500:
            continue
        src = to_dot(root, digits=4)
        for n in topological_order(root):
            if n.op:
                assert f"label={quote(op_label(n, 4))}" in src, n.op


def test_one_font_and_one_size_for_values_and_ops(renderer, tmp_path):
    svg = draw_dot(example1().root).pipe(format="svg")
    texts = list(ET.fromstring(svg).iter(f"{SVG}text"))
    assert {t.get("font-family") for t in texts} == {"Helvetica,sans-Serif"}
    assert {t.get("font-size") for t in texts} == {"14.00"}
    assert any(t.text == "relu" for t in texts) and any(t.text == "w1" for t in texts)


def test_jupyter_shows_the_svg_scaled_to_the_notebook_width(renderer):
    g = draw_dot(primer().root)
    shown = g._repr_mimebundle_()["image/svg+xml"]
    root = ET.fromstring(shown.encode())
    assert "max-width: 100%" in root.get("style") and "height: auto" in root.get("style")
    assert g._repr_svg_() == shown
    assert b"max-width" not in g.pipe(format="svg")  # a file keeps Graphviz's own size
