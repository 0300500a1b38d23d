"""A label is data, never code: hostile labels through every writer of Python source.

Labels come from data (a saved state_dict, a shared notebook, a teacher's worksheet). Before this
module, compile() and to_python() pasted them into comments and the docstring: a newline in a label
added statements (which ran when the code was compiled or called), a docstring closer ended the
docstring, and a backslash sequence (\\N, \\x) made the source a SyntaxError.
"""

from __future__ import annotations

import ast
import html
import math
import re
from pathlib import Path

import pytest
from browser import dump as _dump

from autograd_tiny import Value
from autograd_tiny import functional as F
from autograd_tiny.compile import compile, compile_batch, to_python
from autograd_tiny.transforms.compile.writer import comment_safe, identifier

# each a label that broke or ran something in generated code; {flag} is a file that must not appear
HOSTILE = [
    "a\n    __import__('os').system('touch {flag}') #",
    "a\r    __import__('os').system('touch {flag}') #",
    "a\u2028__import__('os').system('touch {flag}')",
    "a\u2029b\x85c\x0bd\x0ce",
    '"""; __import__("os").system("touch {flag}"); """',
    "'''; x = 1; '''",
    'ends in a quote"',
    "ends in a backslash\\",
    "\\xi",
    "\\N",
    "\\upsilon \\u00",
    "nul\x00here",
    "class",
    "lambda",
    "import",
    "sum",
    "isfinite",
    "float",
    "𝑥 ﬁ",  # NFKC folds these as Python does
    "",
]


def _graph(labels: dict[str, str]):
    """x, w (inputs), a constant leaf c, an inner node h and the root L, labelled as given."""
    x, w = Value(1.5, labels["x"]), Value(-0.5, labels["w"])
    c = Value(2.0, labels["c"])  # a leaf that is not an input: a fixed number in the code
    h = F.affine([w], [x], c)
    h.label = labels["h"]
    a = h.tanh() * x
    a.label = labels["a"]
    L = a * a + w
    L.label = labels["L"]
    return L, [x, w]


PLAIN = {"x": "x", "w": "w", "c": "c", "h": "h", "a": "a", "L": "L"}


def _shape(source: str) -> list[str]:
    """The statements of the source that are not assignments, as node types in order (imports, the
    def, its docstring, the check, the return): what a label must not add to. (How many lines the
    assignments take follows from the names' lengths.)"""
    kinds = [type(node).__name__ for node in ast.walk(ast.parse(source)) if isinstance(node, ast.stmt)]
    return [k for k in kinds if k not in ("Assign", "AugAssign")]


def _calls(source: str) -> list[str]:
    """What the source calls, in order: the functions of the rules, isfinite, sum, OverflowError."""
    return [ast.unparse(n.func) for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]


@pytest.mark.parametrize("where", list(PLAIN))
@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_adds_no_statement_and_runs_nothing(label, where, tmp_path):
    flag = tmp_path / "flag"
    labels = dict(PLAIN, **{where: label.format(flag=flag)})
    plain_root, plain_inputs = _graph(PLAIN)
    root, inputs = _graph(labels)
    expected = _shape(to_python(plain_root, plain_inputs))
    source = to_python(root, inputs)
    assert _shape(source) == expected, source  # parses, and holds just the intended statements
    assert _calls(source) == _calls(to_python(plain_root, plain_inputs))  # nothing else is called
    f = compile(root, inputs)
    value, grads = f(1.5, -0.5)
    root.backward()
    assert math.isclose(value, root.data, rel_tol=1e-15)
    assert all(
        math.isclose(g, v.grad, rel_tol=1e-12, abs_tol=1e-15) for g, v in zip(grads, inputs, strict=True)
    )
    assert not flag.exists()


@pytest.mark.parametrize("label", HOSTILE)
def test_a_hostile_label_in_a_batch_adds_no_statement(label, tmp_path):
    """compile_batch writes a function per structure: the same labels in it are data too."""
    flag = tmp_path / "flag"
    text = label.format(flag=flag)
    w = [Value(0.3, text), Value(-0.2, "b" + text)]
    outputs, terms = [], []
    for k, xv in enumerate((0.5, -1.0, 2.0)):
        z = F.affine([w[0]], [Value(xv, text)], w[1])
        z.label = text
        outputs.append([z])
        terms.append((z.tanh() - 0.1 * k) ** 2)
    root = F.sum(terms)
    root.label = text
    batch = compile_batch(root, w, outputs)
    ast.parse(batch.source)
    value, grads, _ = batch([v.data for v in w])
    root.backward()
    assert math.isclose(value, root.data, rel_tol=1e-12)
    assert all(math.isclose(g, v.grad, rel_tol=1e-9) for g, v in zip(grads, w, strict=True))
    assert not flag.exists()


def test_comment_safe_keeps_one_line_and_reads_back():
    """The escaping is exact: Python reads a docstring written with it back as the label."""
    for label in HOSTILE:
        text = comment_safe(label)
        assert len(text.splitlines()) <= 1 and text.isprintable()
        assert ast.literal_eval(f'"""{text}"""') == label


def test_identifiers_come_from_a_whitelist():
    for label in HOSTILE:
        name = identifier(label)
        assert name == "" or (name.isidentifier() and not __import__("keyword").iskeyword(name))


def test_the_cli_compile_command_treats_names_as_data(tmp_path, monkeypatch):
    """`autograd-tiny compile`'s names come from the expression's allow-list grammar: a name that is
    not an identifier is refused before any code is written."""
    from cli_run import is_one_line_error, run_main

    monkeypatch.chdir(tmp_path)
    status, out, err = run_main("compile", "__import__('os').system('touch x')", "x=1")
    assert is_one_line_error(status, out, err) and not Path("x").exists(), err


# --- pages and drawings: a label is text there too ---------------------------------------------------

MARKUP = [
    "<script>alert(1)</script>",
    "</title><b>x",
    '<img src=x onerror="alert(1)">',
    'a"] URL="x',
    "n\x00ul\nl",
]


def _tags(page: str) -> list[tuple[str, list]]:
    """Every start tag of an HTML page with its attributes, as a browser's parser reads them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Tags().feed(page)
    return found


@pytest.mark.parametrize("label", MARKUP)
def test_a_label_is_text_in_every_page_and_drawing(label, renderer):
    """The stepper's page, notebook view and all-steps page, trace's HTML and the drawing (DOT → SVG by
    Graphviz, and its <img> for an untrusted notebook) carry a hostile label as text: no element or
    attribute comes from it, and Graphviz takes a NUL or a line break (it used to stop with "syntax
    error in line 5")."""
    import xml.etree.ElementTree as ET

    from autograd_tiny import draw_dot, step_through, trace

    x = Value(1.5, label)
    y = x * 2.0 + x
    y.label = "y" + label
    plain_x = Value(1.5, "x")
    plain = plain_x * 2.0 + plain_x
    plain.label = "y"
    writers = (
        lambda r: step_through(r).html(page=True),  # the page save() writes
        lambda r: step_through(r)._repr_html_(),  # the notebook's stepper
        lambda r: step_through(r).all_steps_html(),  # the printable page of every step
        lambda r: trace(r)._repr_html_(),
        lambda r: draw_dot(r)._repr_mimebundle_()["text/html"],  # the drawing an untrusted notebook shows
    )
    for make in writers:
        shape = [(t, [k for k, _ in attrs]) for t, attrs in _tags(make(y))]
        assert shape == [(t, [k for k, _ in attrs]) for t, attrs in _tags(make(plain))]  # same elements
    svg = draw_dot(y).pipe(format="svg").decode("utf-8")
    texts = [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert any(label.split("\x00")[0].split("\n")[0] in t for t in texts), texts
    assert not [el for el in ET.fromstring(svg).iter() if el.tag.endswith(("script", "a", "img"))]


# --- layouts: every one finishes, or stops at one time limit with one message -------------------------


def _power_product(n: int) -> Value:
    """x·x·…·x with n factors: x feeds n − 1 products, so Graphviz places ~n²/2 hidden points on the
    long edges from x (a fan-out that took native dot over 2 minutes at n = 101)."""
    x = Value(1.0, "x")
    y = x
    for _ in range(n - 1):
        y = y * x
    y.backward()
    return y


def test_a_fan_out_is_laid_out(renderer):
    """x·x·…·x with x read 100 times is drawn, stepped and displayed (the step_through of it never
    ended); its DOT bounds the layout's search, a small graph's DOT is as it was."""
    from autograd_tiny import draw_dot, step_through, to_dot
    from autograd_tiny.examples import example1

    y = _power_product(101)
    assert "nslimit=1" in to_dot(y)
    assert "nslimit" not in to_dot(example1().root)
    import xml.etree.ElementTree as ET

    still = ET.fromstring(step_through(y).still(0))
    texts = [t.text for t in still.iter("{http://www.w3.org/2000/svg}text")]
    assert sum(1 for t in texts if t.startswith("data ")) == 101  # every value is on the stepper's page
    svg = draw_dot(y)._repr_mimebundle_()["image/svg+xml"]
    assert svg.count('class="node"') == 201  # 101 values and 100 ops


@pytest.fixture(params=["dot", "webassembly"])
def graphviz_kind(request, renderer, tmp_path, monkeypatch):
    """Native dot where installed, and the WebAssembly build (PATH without dot) everywhere."""
    if request.param == "dot" and renderer.dot is None:
        pytest.fail("native Graphviz is not installed: apt-get install graphviz")
    if request.param == "webassembly":
        monkeypatch.setenv("PATH", str(tmp_path))
    return request.param


def test_every_layout_stops_at_the_time_limit(graphviz_kind, tmp_path, monkeypatch):
    """With the limit far below what the layout takes, the drawing, its file, its notebook display,
    the stepper and both CLI drawings stop with the one message, and no file is left half-written."""
    from autograd_tiny import cli, draw_dot, step_through
    from autograd_tiny.views import viz

    y = _power_product(201)  # native dot: ~3 s; the WebAssembly build in a fresh Python: ~1 s to start
    monkeypatch.setattr(viz, "LAYOUT_SECONDS", 0.05)
    drawing = "the drawing (a graph: 201 values, 200 operations) within 0.05 s"
    message = re.escape(f"Graphviz did not finish laying out {drawing} (viz.LAYOUT_SECONDS): draw a smaller")
    with pytest.raises(viz.LayoutTimeout, match="^" + message):
        draw_dot(y).pipe(format="svg")
    with pytest.raises(viz.LayoutTimeout, match=message):
        viz.render(y, tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()
    with pytest.raises(viz.LayoutTimeout, match=message):
        step_through(y)
    shown = draw_dot(y)._repr_mimebundle_()
    assert list(shown) == ["text/plain"] and re.search(message, shown["text/plain"]), shown
    cli_message = f"Graphviz did not finish laying out {drawing}: write a .dot file instead (--dot g.dot)"
    assert cli._draw(y, str(tmp_path / "g.svg")).startswith(cli_message)  # CLI advice, not Python's
    assert not (tmp_path / "g.svg").exists()
    from cli_run import is_one_line_error, run_main

    product = "*".join(["x"] * 201)
    for option in ("--html", "--dot"):
        path = tmp_path / ("g.html" if option == "--html" else "g.svg")
        status, out, err = run_main("trace", product, "x=1", option, str(path))
        assert is_one_line_error(status, out, err) and cli_message.replace("a graph", "f") in err, err
        assert not path.exists()


@pytest.mark.parametrize(
    "option, what",
    [
        ({"format": "svg -oOUT"}, "drawing format"),
        ({"format": "svg", "engine": "dot -oOUT"}, "Graphviz layout"),
        ({"format": "svg", "renderer": "svg -oOUT"}, "Graphviz renderer"),
        ({"format": "svg", "renderer": "cairo", "formatter": "core -oOUT"}, "Graphviz formatter"),
        ({"format": "svg:cairo:core:-oOUT"}, "drawing format"),
    ],
)
def test_a_format_or_layout_name_is_checked_before_graphviz_runs(option, what, tmp_path, monkeypatch):
    """A drawing's format, renderer, formatter and layout engine reach Graphviz's command line (never
    a shell): a name Graphviz does not have is refused by name before it runs (the names here, given
    to dot as one argument each, would ask it to write a file), and no file appears."""
    from autograd_tiny import draw_dot

    out = tmp_path / "out.svg"
    option = {k: v.replace("OUT", str(out)) for k, v in option.items()}
    x = Value(1.0, "x")
    with pytest.raises(ValueError, match=f"^unknown {what} '"):
        draw_dot(x * 2.0).pipe(**option)
    assert not out.exists()


def test_a_graphviz_error_is_one_message_from_every_build(graphviz_kind, tmp_path):
    """DOT that Graphviz rejects gives graphviz.CalledProcessError with Graphviz's own message on
    stderr, from native dot, the WebAssembly build in this Python and the one in a fresh Python (no
    traceback, no script in the message); the CLI prints it in one line."""
    import graphviz

    from autograd_tiny import cli
    from autograd_tiny.views import viz

    sizes = [None] if graphviz_kind == "dot" else [None, 10]  # None: in a fresh Python
    for size in sizes:
        with pytest.raises(graphviz.CalledProcessError) as caught:
            viz.layout("digraph { a -> }", "svg", "dot", "the test graph", size, seconds=viz.LAYOUT_SECONDS)
        stderr = caught.value.stderr.decode()
        said = (
            "syntax error" if graphviz_kind == "dot" else "Failed to parse DOT source"
        )  # each build's words
        assert said in stderr and "Traceback" not in stderr and "_WASM" not in str(caught.value), stderr
    problem = cli._layout_problem(caught.value)
    assert problem.startswith("Graphviz could not draw the graph: ") and "\n" not in problem.strip()


# --- sizes: one node of many inputs is written in linear time -----------------------------------------


def test_one_dot_node_of_4000_inputs_is_traced_and_written_in_latex(monkeypatch):
    """trace and to_latex of one w·x with 4,000 inputs: each makes the rule's argument groups once for
    the node (they were made once per input, writing all 4,000 names each time: to_latex took
    minutes), and every local derivative and step they write is ∂(w·x)/∂xᵢ = wᵢ, ∂/∂wᵢ = xᵢ."""
    import re

    import numpy as np

    from autograd_tiny import trace
    from autograd_tiny.core.rules import RULES

    n = 4000
    rng = np.random.default_rng(25)
    xv, wv = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    xs = [Value(float(v), f"x{i}") for i, v in enumerate(xv)]
    ws = [Value(float(v), f"w{i}") for i, v in enumerate(wv)]
    y = F.dot(xs, ws)
    y.label = "y"
    y.backward()
    assert y.data == pytest.approx(float(np.dot(xv, wv)), rel=1e-12)
    rule = type(RULES["dot"])
    made = []
    split = rule.split
    monkeypatch.setattr(rule, "split", lambda self, parents: made.append(self.name) or split(self, parents))
    t = trace(y)
    steps = {s.parent: s for s in t.steps}
    assert len(t.steps) == 2 * n and made.count("dot") == 1
    for i in range(0, n, 97):
        assert steps[f"x{i}"].symbol == f"w{i}" and steps[f"x{i}"].local == wv[i]
        assert steps[f"w{i}"].symbol == f"x{i}" and steps[f"w{i}"].local == xv[i]
    latex = str(t.to_latex())
    assert made.count("dot") == 2
    local = re.findall(
        r"\\frac\{\\partial \{y\}\}\{\\partial \{([xw])_\{(\d+)\}\}\} &= \{([xw])_\{(\d+)\}\} = (\S+) \\\\",
        latex,
    )
    assert len(local) == 2 * n
    for by, i, is_, j, number in local:
        assert i == j and {by, is_} == {"x", "w"}
        expected = wv[int(i)] if by == "x" else xv[int(i)]
        assert float(number.replace(r"\left(", "").replace(r"\right)", "")) == pytest.approx(
            expected, rel=1e-5
        )


@pytest.mark.parametrize("label", MARKUP)
def test_a_label_is_text_in_the_worksheet_and_its_key(label):
    """A worksheet's every text (the exercise's kind, title, network, given names, note and the names
    of its unknowns) is text on the students' page and the key: the same elements and attributes as
    sheet with as long a plain text, and the label's words are on the page."""
    from autograd_tiny import practice

    def sheet(text: str) -> practice.Worksheet:
        return practice.Worksheet([exercise(kind, text) for kind in practice.KINDS], seed=3, level=2)

    def exercise(kind: str, text: str) -> practice.Exercise:
        ex = practice.exercise(kind, seed=3, level=2)
        if text:  # each text as a teacher's own copy of the sheet might have it
            ex.kind += text
            ex.title += text
            ex.network = tuple(line + text for line in ex.network)
            ex.note += text
            ex.given = {k + text: v for k, v in ex.given.items()}
            ex._pretty = {n: p + text for n, p in ex._pretty.items()}
        return ex

    for key in (False, True):
        hostile, plain = sheet(label).to_html(key=key), sheet("a" * len(label)).to_html(key=key)
        assert [(t, [k for k, _ in a]) for t, a in _tags(hostile)] == [
            (t, [k for k, _ in a]) for t, a in _tags(plain)
        ]
        words = html.escape(label.split("\x00")[0].split("\n")[0])
        assert hostile.count(words) >= (len(practice.KINDS) if key else 5 * len(practice.KINDS))
    ex = practice.exercise("two_layer_relu", seed=3)  # one exercise in a notebook: its question as HTML
    plain = _tags(ex._repr_html_())
    ex._built.title += label
    assert _tags(ex._repr_html_()) == plain


def test_a_label_is_text_in_chromiums_dom(chromium, tmp_path, renderer):
    """In a real browser, after the pages' scripts ran (the stepper stepped to its last step, so every
    text its script writes is in): the stepper, trace's HTML and the worksheet with hostile labels have
    the same elements and attributes as with plain ones, and the script label ran nothing."""
    from autograd_tiny import practice, step_through, trace

    def graph(text: str) -> Value:
        x = Value(1.5, "x" + text)
        y = x * 2.0 + x
        y.label = "y" + text
        y.backward()
        return y

    def pages(text: str) -> dict[str, tuple[str, str]]:
        stepper = step_through(graph(text))
        ex = practice.exercise("two_layer_relu", seed=3)
        ex.title += text
        ex.note += text
        sheet = practice.Worksheet([ex], seed=3, level=1).to_html(key=False)
        shown = f"<!DOCTYPE html><html><head><title>t</title></head><body>{trace(graph(text))._repr_html_()}"
        return {
            "stepper": (stepper.html(page=True), f"#step={len(stepper.steps)}"),
            "trace": (shown, ""),
            "worksheet": (sheet, ""),
        }

    hostile = '<img src=x onerror="document.title=\'ran\'"><script>document.title="ran"</script>'
    for name, (page, fragment) in pages(hostile).items():
        plain_page, _ = pages("a" * len(hostile))[name]
        dom = {}
        for which, text in (("hostile", page), ("plain", plain_page)):
            path = tmp_path / f"{name}-{which}.html"
            path.write_text(text, encoding="utf-8")
            dom[which] = _dump(chromium, path, fragment, tmp_path)
        shape = {k: [(t, sorted(a for a, _ in attrs)) for t, attrs in _tags(v)] for k, v in dom.items()}
        assert shape["hostile"] == shape["plain"], name
        assert "<title>ran</title>" not in dom["hostile"] and "&lt;script&gt;" in dom["hostile"], name
