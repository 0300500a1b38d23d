"""step_through: the backward pass one chain-rule step at a time, checked in a real browser; derivation_latex.

The oracles: trace's steps (the numbers and formulas the page must show), the engine's own backward
pass and the chapter's answer key (the gradients that must appear once all shares have arrived),
calculus by hand for x·x + 3x (three shares of x) and for Example 2's loss written out as its formula
(two shares of ŷ), Chromium running the page's script (what a student sees after pressing Next k
times), and matplotlib's mathtext parser (the LaTeX is well formed).

Examples 1 and 2 compute their loss as one node (the chapter's ∂L/∂z2 = 2(ŷ − y) and ∂L/∂z = σ(z) − y
in one step), so no node of theirs is used by two paths: the tests that need one build it here.
"""

from __future__ import annotations

import base64
import fcntl
import json
import math
import os
import re
import select
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from browser import dump as _dump
from browser import flags as _flags

from autograd_tiny import MLP, Value
from autograd_tiny import functional as F
from autograd_tiny.examples import example1, example2
from autograd_tiny.expr import evaluate
from autograd_tiny.stepper import LaTeX, Stepper, derivation_latex, latex_name, step_through
from autograd_tiny.trace import num, trace
from autograd_tiny.views.latex import _latex_number as _latex_num

# ---------------------------------------------------------------------------------------------
# Reading a page back: elements by id, with their attributes and text.
# ---------------------------------------------------------------------------------------------


class _Elements(HTMLParser):
    """Every element that has an id: its tag, attributes and text content."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "br",
        "input",
        "img",
        "link",
        "hr",
        "path",
        "polygon",
        "polyline",
        "ellipse",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict] = {}
        self.stack: list[dict] = []

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": ""}
        if "id" in el["attrs"]:
            self.by_id[el["attrs"]["id"]] = el
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": ""}
        if "id" in el["attrs"]:
            self.by_id[el["attrs"]["id"]] = el

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"] += data


def _elements(page: str) -> dict[str, dict]:
    parser = _Elements()
    parser.feed(page)
    return parser.by_id


def _data(page: str) -> dict:
    """The steps' JSON that the page carries."""
    m = re.search(r'<script type="application/json" id="(\w+)data">(.*?)</script>', page, re.S)
    assert m, "the page carries its steps as JSON"
    return json.loads(m.group(2))


def _prefix(page: str) -> str:
    return re.search(r'data-prefix="(\w+)"', page).group(1)


def _square_plus():
    """y = x·x + 3x at x = 2: x gets three shares, 2 + 2 from x·x and 3 from 3x (dy/dx = 2x + 3 = 7)."""
    x = Value(2.0, "x")
    y = x * x + 3 * x
    y.label = "y"
    return x, y


def _bce_by_hand():
    """Example 2 (x = 2, w = 1, b = −1, y = 0) with its loss written out as the chapter's formula,
    L = −[y log ŷ + (1 − y) log(1 − ŷ)] with ŷ = σ(z): ŷ is used by both logs, so it gets two shares,
    1/(1 − ŷ) = 1 + e = 3.71828 from log(1 − ŷ) and 0 from y log ŷ (y = 0)."""
    x, w, b, y = Value(2.0, "x"), Value(1.0, "w"), Value(-1.0, "b"), 0.0
    z = F.affine([w], [x], b)
    z.label = "z"
    y_hat = z.sigmoid()
    y_hat.label = "ŷ"
    L = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log())
    L.label = "L"
    L.backward()
    return {"x": x, "w": w, "b": b, "z": z, "ŷ": y_hat, "L": L}


# Example 1's backward pass sends the gradient along each edge that ends in a Value once: L → z2,
# z2 → w2, a1, b2, a1 → z1, z1 → w1, x, b1 (the target 10 is a constant inside its op: no step).
EXAMPLE_1_STEPS = 8


# ---------------------------------------------------------------------------------------------
# The step data: trace's steps, with each node's gradient filling in.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: example1().root,
        lambda: example2().root,
        lambda: _square_plus()[1],
        lambda: _bce_by_hand()["L"],
    ],
)
def test_the_page_shows_exactly_traces_steps(make, renderer):
    root = make()
    expected = trace(root).steps
    s = step_through(root)
    page = s.html()
    steps = _data(page)["steps"]
    assert len(s) == len(steps) == len(expected)
    for got, want in zip(steps, expected, strict=True):
        assert (got["parent"], got["child"], got["symbol"]) == (want.parent, want.child, want.symbol)
        assert (got["local"], got["upstream"], got["contribution"]) == (
            want.local,
            want.upstream,
            want.contribution,
        )
        assert got["text"] == str(want)
        assert "".join(text for text, _ in got["formula"]) == str(want)  # the coloured pieces read the same
        roles = dict(reversed(got["formula"]))  # each text's role: the local derivative is coloured as such
        assert roles[f"∂{want.root}/∂{want.parent}"] == "con" and roles[f"∂{want.root}/∂{want.child}"] == "up"
        assert [c for _, c in got["formula"]].count("loc") == 2  # its formula and its number
        parts = " ".join(text for text, _ in got["parts"])
        assert f"upstream  ∂{want.root}/∂{want.child} = {num(want.upstream)}" in parts
        assert f"local  ∂{want.child}/∂{want.parent} = " in parts and parts.count(num(want.local)) >= 1
        assert f"contribution  {num(want.contribution)}" in parts


def test_example_1_gradients_arrive_as_the_chapter_computes_them(renderer):
    ex = example1()  # the engine has run backward: its .grad is an oracle independent of the page
    s = step_through(ex.root)
    last = {}
    for st in s.steps:
        last[st["parent"]] = st
    key = {"z2": -6.0, "w2": -12.0, "b2": -6.0, "z1": -18.0, "w1": -18.0, "b1": -18.0}  # the chapter's
    for name, value in key.items():
        assert last[name]["total"] == value == ex.nodes[name].grad
        assert last[name]["field"] == f"grad {num(value)}" and last[name]["complete"]
    # the chapter's order: ∂L/∂z2 before ∂L/∂w2 before δ1 = ∂L/∂z1 before ∂L/∂w1
    order = [st["parent"] for st in s.steps]
    assert order.index("z2") < order.index("w2") < order.index("z1") < order.index("w1")
    assert len(s) == EXAMPLE_1_STEPS == len(trace(ex.root).steps)
    # the loss is one node: its first step is the chapter's ∂L/∂z2 = 2(ŷ − y) = 2 · (7 − 10) = −6
    first = s.steps[0]
    assert (first["parent"], first["child"], first["local"], first["total"]) == ("z2", "L", -6.0, -6.0)
    assert ["2·(z2 − 10)", "loc"] in first["formula"]
    assert "(ŷ − 10)²" in s.dot  # the loss's op is drawn with its target inside, as trace and viz draw it


def test_example_2_goes_through_y_hat_to_the_chapters_y_hat_minus_y(renderer):
    ex = example2()
    s = step_through(ex.root)
    assert [st["parent"] for st in s.steps] == ["ŷ", "z", "w", "x", "b"]  # the constant target 0: no step
    first, second = s.steps[0], s.steps[1]
    sig = 1 / (1 + math.exp(-1.0))  # ŷ = σ(1)
    # ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)) = 1/(1 − ŷ) for y = 0, then σ′ = ŷ(1 − ŷ): ∂L/∂z = ŷ − y = σ(1) − 0
    assert first["child"] == "L" and abs(first["local"] - 1 / (1 - sig)) < 1e-12
    assert second["child"] == "ŷ" and abs(second["total"] - sig) < 1e-12
    assert second["text"].endswith(f", which is ŷ − y = {num(sig)} − 0")
    assert "".join(t for t, _ in second["formula"]) == second["text"]  # the page shows the shortcut too
    key = {"z": 0.7311, "w": 1.4622, "b": 0.7311}  # the chapter's key (1.4622 = 2 · 0.7311, rounded first)
    for st in s.steps:
        if st["parent"] in key:
            assert abs(st["total"] - key[st["parent"]]) < 1e-4 and st["total"] == ex.nodes[st["parent"]].grad
            assert st["complete"] and st["field"] == f"grad {num(st['total'])}"
    assert "BCE(y = 0)" in s.dot


def test_a_node_on_several_paths_shows_each_share_and_then_their_sum(renderer):
    x, y = _square_plus()
    y.backward()
    s = step_through(y)
    mine = [st for st in s.steps if st["parent"] == "x"]
    assert [st["contribution"] for st in mine] == [3.0, 2.0, 2.0]  # 3 from 3x, then 2 and 2 from x·x
    assert [st["field"] for st in mine] == ["grad 3 + ?", "grad 3 + 2 + ? = 5 so far", "grad 3 + 2 + 2 = 7"]
    assert [st["complete"] for st in mine] == [False, False, True]
    assert mine[-1]["total"] == x.grad == 2 * 2.0 + 3  # d(x² + 3x)/dx = 2x + 3
    assert mine[0]["sum"] == "∂y/∂x so far: 3 + ? = 3   (1 of 3 paths)"
    assert mine[-1]["sum"] == "∂y/∂x = 3 + 2 + 2 = 7   ✓ all 3 paths"
    # x·x has two edges from x: each step lights its own one
    assert len({st["edge"] for st in s.steps}) == len(s.steps)
    for st in s.steps:  # the edge of a step joins the parent to the op of the child, in the drawing
        assert re.search(rf'\bn{st["p"]} -> n{st["c"]}op \[id="{st["edge"]}"', s.dot)


def test_the_bce_formula_written_out_gives_yhat_two_shares(renderer):
    nodes = _bce_by_hand()
    s = step_through(nodes["L"])
    mine = [st for st in s.steps if st["parent"] == "ŷ"]
    assert len(mine) == 2 and mine[-1]["total"] == nodes["ŷ"].grad
    assert abs(mine[-1]["total"] - (1 + math.e)) < 1e-12  # ∂/∂ŷ of −log(1 − ŷ) = 1/(1 − σ(1)) = 1 + e
    assert [st["contribution"] for st in mine] == [mine[0]["contribution"], 0.0]  # y log ŷ with y = 0
    assert mine[0]["field"] == f"grad {num(mine[0]['contribution'])} + ?" == "grad 3.71828 + ?"
    assert mine[1]["field"] == f"grad {num(mine[0]['contribution'])} + 0 = {num(nodes['ŷ'].grad)}"
    # the long way round gives Example 2's one-step gradients (the chapter's 0.7311, 1.4622, 0.7311)
    ex = example2()
    for name in ("z", "w", "b"):
        assert abs(nodes[name].grad - ex.nodes[name].grad) < 1e-12


def test_many_paths_show_the_running_sum_only(renderer):
    x = Value(1.0, "x")
    y = x * 1.0 + x * 2.0 + x * 3.0 + x * 4.0  # four shares of x: 4, 3, 2, 1 (backward order)
    y.label = "y"
    fields = [st["field"] for st in step_through(y).steps if st["parent"] == "x"]
    assert fields == ["grad 4 so far (1 of 4)", "grad 7 so far (2 of 4)", "grad 9 so far (3 of 4)",
                      "grad 10 (sum of 4)"]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The page: self-contained, offline, ids unique per display.
# ---------------------------------------------------------------------------------------------


def test_the_page_needs_nothing_from_the_network(tmp_path, renderer):
    s = step_through(example1().root)
    path = s.save(tmp_path / "steps.html")
    page = Path(path).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for text in (page, s._repr_html_()):
        assert not re.search(r"https?://", text)
        assert not re.search(r"<link|<iframe|\bsrc=(?!\"data:)|@import|url\(", text)
        assert "<script>" in text and "\\u003csvg" in text  # the live drawing, in the page's data
        still = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', text)
        assert len(still) == 1 and base64.b64decode(still[0]).startswith(b"<svg")  # and its still image


def test_every_display_has_its_own_ids(renderer):
    s = step_through(example1().root)
    a, b = s.html(), s._repr_html_()
    pa, pb = _prefix(a), _prefix(b)
    assert pa != pb
    ids = re.findall(r'\bid="([^"]+)"', a)
    assert len(ids) == len(set(ids))  # no id twice in one page
    assert all(i.startswith(pa) for i in ids)  # every id carries this display's prefix
    assert not set(ids) & set(re.findall(r'\bid="([^"]+)"', b))


def _without_scripts(page: str) -> str:
    """The page as a front end that runs no script shows it, the way an untrusted notebook's
    sanitizer leaves it: no <script> or <style> (their text dropped), no inline SVG (its text kept)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    return re.sub(r"</?(svg|g|text|polygon|path|ellipse|defs)\b[^>]*>", "", page)


def test_without_scripts_the_page_shows_the_start_as_a_still_picture(renderer):
    """Where no script runs (an untrusted notebook, a browser with scripts off) the page shows a
    picture of step 0 (every grad ?, the output's 1), the line that says so and the start text;
    the buttons, which would do nothing, are hidden until the script shows them."""
    import xml.etree.ElementTree as ET

    s = step_through(example1().root)
    page = _without_scripts(s.html())
    els = _elements(page)
    p = _prefix(page)
    assert "display: none" in re.search(rf'<div[^>]*id="{p}bar"[^>]*>', page).group()
    assert els[f"{p}still"]["text"].startswith(
        f"The backward pass of L in {EXAMPLE_1_STEPS} chain-rule steps"
    )
    assert els[f"{p}formula"]["text"] == "start: ∂L/∂L = 1"
    (still,) = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    tree = ET.fromstring(base64.b64decode(still))
    grads = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}text") if t.text.startswith("grad ")]
    last = len(s.trace.rows)
    assert len(grads) == last and grads.count("grad 1") == 1 and grads.count("grad ?") == last - 1
    assert "grad ?" not in re.sub(r"<[^>]+>", "", page)  # no drawing's text loose on the page


def test_bad_input_is_refused_clearly(renderer):
    with pytest.raises(TypeError, match="step_through expects a Value, got int"):
        step_through(3)
    x = Value(1.0, "x")
    y = x
    for _ in range(30):
        y = y * 1.5
    with pytest.raises(ValueError, match="max_nodes"):
        step_through(y, max_nodes=20)
    with pytest.raises(ValueError, match="rankdir"):
        step_through(y, rankdir="sideways")
    with pytest.raises(TypeError, match="derivation_latex expects a Trace"):
        derivation_latex(y)


def test_a_leaf_has_no_steps(renderer):
    s = step_through(Value(4.0, "w"))
    assert len(s) == 0 and "step 0 of 0" in s.html()
    assert repr(s) == "<Stepper of w: 0 chain-rule steps>" and isinstance(s, Stepper)


def test_the_cli_writes_the_page(tmp_path, renderer):
    exe = [sys.executable, "-m", "autograd_tiny", "trace", "x*x + 3*x", "x=2"]
    out = subprocess.run(
        [*exe, "--html", "s.html"], capture_output=True, text=True, cwd=tmp_path, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "wrote s.html" in out.stdout and "∂f/∂x = 7" in out.stdout  # the CLI names the root f
    steps = _data((tmp_path / "s.html").read_text(encoding="utf-8"))["steps"]
    root = evaluate("x*x + 3*x", {"x": Value(2.0, "x")})  # the graph the command builds
    root.label = "f"
    assert [st["text"] for st in steps] == [str(st) for st in trace(root).steps]
    assert [st["total"] for st in steps if st["parent"] == "x"][-1] == 7.0  # 2x + 3
    bad = subprocess.run([*exe, "--html", "no/such/dir/s.html"], capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert (
        bad.stderr.startswith("autograd-tiny: error: --html: cannot write") and "Traceback" not in bad.stderr
    )
    assert "no/such/dir" in bad.stderr and len(bad.stderr.splitlines()) == 1


# ---------------------------------------------------------------------------------------------
# In a real browser: headless Chromium runs the page's script.
# ---------------------------------------------------------------------------------------------


def _expected_fields(s: Stepper, k: int) -> dict[int, str]:
    """Each node's grad field after k steps, worked out here from the steps, not by the page."""
    fields = {node["i"]: node["initial"] for node in s._nodes}
    for st in s.steps[:k]:
        fields[st["p"]] = st["field"]
    return fields


@pytest.mark.parametrize("k", [0, 1, 2, EXAMPLE_1_STEPS])
def test_pressing_next_k_times_in_chromium(k, chromium, tmp_path, renderer):
    s = step_through(example1().root)
    page = Path(s.save(tmp_path / "steps.html"))
    dom = _dump(chromium, page, f"#step={k}", tmp_path)
    p = _prefix(dom)
    els = _elements(dom)
    assert els[f"{p}root"]["attrs"]["data-step"] == str(k)
    assert els[f"{p}counter"]["text"] == f"step {k} of {EXAMPLE_1_STEPS}"
    highlighted = [i for i, el in els.items() if "cur-edge" in el["attrs"].get("class", "").split()]
    if k == 0:
        assert els[f"{p}formula"]["text"] == "start: ∂L/∂L = 1" and highlighted == []
    else:
        st = s.steps[k - 1]
        assert els[f"{p}formula"]["text"] == st["text"]  # e.g. ∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12
        assert els[f"{p}sum"]["text"] == st["sum"]
        assert highlighted == [f"{p}{st['edge']}"]
        assert "parent" in els[f"{p}n{st['p']}"]["attrs"]["class"].split()
        assert "child" in els[f"{p}n{st['c']}"]["attrs"]["class"].split()
        assert "current" in els[f"{p}op{st['c']}"]["attrs"]["class"].split()
    for i, text in _expected_fields(s, k).items():
        assert els[f"{p}g{i}"]["text"] == text
    assert ("disabled" in els[f"{p}next"]["attrs"]) == (k == EXAMPLE_1_STEPS)
    assert ("disabled" in els[f"{p}prev"]["attrs"]) == (k == 0)
    if k == 1:  # the chapter's ∂L/∂z2 = 2(ŷ − y) = 2 · (7 − 10)
        assert els[f"{p}formula"]["text"] == "∂L/∂z2 += 2·(z2 − 10) · ∂L/∂L = −6 · 1 = −6"
    if k == 2:  # the chapter's ∂L/∂w2 = a1 · δ2
        assert els[f"{p}formula"]["text"] == "∂L/∂w2 += a1 · ∂L/∂z2 = 2 · (−6) = −12"


def test_a_partly_arrived_gradient_in_chromium(chromium, tmp_path, renderer):
    s = step_through(_bce_by_hand()["L"])
    page = Path(s.save(tmp_path / "steps.html"))
    first, second = [j + 1 for j, st in enumerate(s.steps) if st["parent"] == "ŷ"]
    yhat = s.steps[first - 1]["p"]
    dom = _dump(chromium, page, f"#step={first}", tmp_path)
    p = _prefix(dom)
    els = _elements(dom)
    assert els[f"{p}g{yhat}"]["text"] == "grad 3.71828 + ?"
    assert "partial" in els[f"{p}n{yhat}"]["attrs"]["class"].split()
    dom = _dump(chromium, page, f"#step={second}", tmp_path)
    p = _prefix(dom)
    els = _elements(dom)
    assert els[f"{p}g{yhat}"]["text"] == "grad 3.71828 + 0 = 3.71828"


class _DevTools:
    """Chromium driven over the DevTools protocol on a pipe (fds 3 and 4), with the standard library."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # move the child's ends above 9 so that the shell's 3<& and 4>& cannot overwrite one another
        a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        args = " ".join(f"'{x}'" for x in [chromium, *_flags(profile), "--remote-debugging-pipe"])
        self.proc = subprocess.Popen(
            ["bash", "-c", f"exec {args} 3<&{a} 4>&{b} {a}<&- {b}>&-"],
            pass_fds=(a, b), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(a)
        os.close(b)
        self._buf, self._id, self.session = b"", 0, None

    def send(self, method: str, session: bool = True, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            while b"\0" not in self._buf:
                ready, _, _ = select.select([self._r], [], [], max(0.0, deadline - time.monotonic()))
                assert ready, f"Chromium did not answer {method}"
                chunk = os.read(self._r, 1 << 16)
                assert chunk, "Chromium closed the pipe"
                self._buf += chunk
            raw, self._buf = self._buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._id:
                assert "error" not in reply, reply["error"]
                return reply["result"]

    def open(self, url: str, ready: bool = True) -> None:
        target = self.send("Target.createTarget", session=False, url=url)["targetId"]
        self.session = self.send("Target.attachToTarget", session=False, targetId=target, flatten=True)[
            "sessionId"
        ]
        self.send("Runtime.enable")
        # the new tab is about:blank (and "complete") until the page's address has been committed
        wait = f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
        wait += " && !!document.querySelector('[data-ready]')" * ready
        for _ in range(200):
            if self.js(wait):
                return
            time.sleep(0.05)
        raise AssertionError("the page's script did not start")

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def key(self, key: str) -> None:
        codes = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35}
        for kind in ("rawKeyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=codes[key]
            )

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False)
        except (AssertionError, OSError):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._r)
        os.close(self._w)


@pytest.fixture
def browser(chromium, tmp_path):
    b = _DevTools(chromium, tmp_path / "profile")
    yield b
    b.close()


def test_buttons_and_keys_in_chromium(browser, tmp_path, renderer):
    s = step_through(example1().root)
    page = Path(s.save(tmp_path / "steps.html"))
    browser.open(page.as_uri())
    p = browser.js("document.querySelector('[data-prefix]').dataset.prefix")

    def state():
        return browser.js(
            f"[document.getElementById('{p}counter').textContent,"
            f" document.getElementById('{p}formula').textContent,"
            f" Array.from(document.querySelectorAll('.cur-edge')).map(e => e.id)]"
        )

    def click(button):
        browser.js(f"document.getElementById('{p}{button}').click()")

    n = EXAMPLE_1_STEPS

    def at(k):
        if k == 0:
            return [f"step 0 of {n}", "start: ∂L/∂L = 1", []]
        return [f"step {k} of {n}", s.steps[k - 1]["text"], [p + s.steps[k - 1]["edge"]]]

    assert state() == at(0)
    for k in (1, 2, 3):
        browser.key("ArrowRight")
        assert state() == at(k)
    browser.key("ArrowLeft")
    assert state() == at(2)
    click("next")
    click("next")
    click("prev")
    assert state() == at(3)
    browser.key("End")
    assert state() == at(n)
    click("next")  # disabled at the end: nothing changes
    assert state() == at(n)
    click("first")
    assert state() == at(0)
    click("last")
    assert state() == at(n)
    browser.key("Home")
    assert state() == at(0)
    # what a student sees: the highlight is drawn in orange, thick; the formula is large
    browser.key("ArrowRight")
    style = browser.js(
        f"(() => {{ const e = document.querySelector('.cur-edge path'); const c = getComputedStyle(e);"
        f" return [c.stroke, parseFloat(c.strokeWidth),"
        f" parseFloat(getComputedStyle(document.getElementById('{p}formula')).fontSize),"
        f" parseFloat(getComputedStyle(document.getElementById('{p}counter')).fontSize)]; }})()"
    )
    assert style[0] == "rgb(230, 81, 0)" and style[1] >= 5
    assert style[2] >= 24 and style[3] >= 24


def test_the_drawings_text_is_readable_in_chromium(browser, tmp_path, renderer):
    for name, root in (("example1", example1().root), ("example2", example2().root),
                       ("bce_by_hand", _bce_by_hand()["L"])):  # fmt: skip
        page = Path(step_through(root).save(tmp_path / f"{name}.html"))
        browser.open(page.as_uri())
        heights = browser.js(
            "Array.from(document.querySelectorAll('svg text')).map(t => t.getBoundingClientRect().height)"
        )
        assert heights and min(heights) >= 14  # pixels: the graph scrolls rather than shrink below this


def test_example_1_fits_a_1024_by_768_projector(browser, tmp_path, renderer):
    """On a 1024×768 projector the whole of Example 1's graph is on screen (no sideways scroll, w1,
    x and b1 in view) and its labels are still at least 14 px high."""
    page = Path(step_through(example1().root).save(tmp_path / "e1.html"))
    browser.open(page.as_uri())
    browser.send(
        "Emulation.setDeviceMetricsOverride", width=1024, height=768, deviceScaleFactor=1, mobile=False
    )
    browser.js("window.dispatchEvent(new Event('resize'))")
    wrap = "document.querySelector('.agt-graph')"
    scroll, room = browser.js(f"[{wrap}.scrollWidth, {wrap}.clientWidth]")
    assert room <= 1024 and scroll <= room, (scroll, room)  # nothing off to the side
    px = browser.js(
        f"(() => {{ const s = {wrap}.querySelector('svg'); const t = s.querySelector('text');"
        " return parseFloat(t.getAttribute('font-size')) * s.getBoundingClientRect().width"
        " / s.viewBox.baseVal.width; })()"
    )
    assert px >= 14, px  # the labels' font size on screen, in pixels


def test_two_steppers_on_one_page_do_not_clash(browser, tmp_path, renderer):
    a, b = step_through(example1().root), step_through(_bce_by_hand()["L"])
    page = tmp_path / "two.html"
    page.write_text(f"<!DOCTYPE html><html><body>{a.html()}{b.html()}</body></html>", encoding="utf-8")
    browser.open(page.as_uri())
    pa, pb = browser.js("Array.from(document.querySelectorAll('[data-prefix]')).map(e => e.dataset.prefix)")
    counter = "document.getElementById('{}counter').textContent"
    browser.js(f"document.getElementById('{pa}next').click()")
    n, m = EXAMPLE_1_STEPS, len(b)
    assert m == 12  # the written-out BCE: 11 edges into Values, ŷ's two among them (constants have none)
    assert browser.js(counter.format(pa)) == f"step 1 of {n}"
    assert browser.js(counter.format(pb)) == f"step 0 of {m}"
    browser.js(f"document.getElementById('{pb}root').focus()")  # keys go to the stepper that has focus
    browser.key("End")
    assert browser.js(counter.format(pb)) == f"step {m} of {m}"
    assert browser.js(counter.format(pa)) == f"step 1 of {n}"
    assert browser.js("document.querySelectorAll('.cur-edge').length") == 2


def test_a_notebook_may_run_the_script_away_from_the_output(browser, tmp_path, renderer):
    """Jupyter's classic notebook puts the output's HTML in place and runs each script in <head>."""
    s = step_through(_bce_by_hand()["L"])
    blank = tmp_path / "notebook.html"
    blank.write_text(
        "<!DOCTYPE html><html><head></head><body><p>a notebook</p></body></html>", encoding="utf-8"
    )
    browser.open(blank.as_uri(), ready=False)
    browser.js(
        f"(() => {{ const out = document.createElement('div'); document.body.appendChild(out);"
        f" out.innerHTML = {json.dumps(s.html())};"  # innerHTML runs no script
        f" out.querySelectorAll('script:not([type])').forEach(old => {{"
        f"   const run = document.createElement('script'); run.textContent = old.textContent;"
        f"   document.head.appendChild(run); document.head.removeChild(run); }}); }})()"
    )
    p = browser.js("document.querySelector('[data-prefix]').dataset.prefix")
    assert browser.js(f"document.getElementById('{p}root').dataset.ready") == "1"
    for _ in range(6):
        browser.js(f"document.getElementById('{p}next').click()")
    assert browser.js(f"document.getElementById('{p}formula').textContent") == s.steps[5]["text"]
    assert browser.js(f"document.getElementById('{p}counter').textContent") == "step 6 of 12"


# ---------------------------------------------------------------------------------------------
# The derivation in LaTeX.
# ---------------------------------------------------------------------------------------------


def _parses(latex: str) -> None:
    """Every line of the aligned block is well-formed math (matplotlib's mathtext parser, which knows
    neither \\textbf, \\mathrel nor cases: MathJax does, so those are swapped for what mathtext knows)."""
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    lines = latex.split("\n")
    assert lines[0] == r"\begin{aligned}" and lines[-1] == r"\end{aligned}"

    def cases(m: re.Match) -> str:
        return r"\{" + m.group(1).replace("&", "").replace("\\\\", ";") + r"\}"

    for line in lines[1:-1]:
        line = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", cases, line.removesuffix(r" \\"))
        line = line.replace("&", "")
        parser.parse("$" + line.replace(r"\textbf", r"\mathbf").replace(r"\mathrel{+}=", "+=") + "$")


def test_example_1_derivation_in_the_chapters_notation():
    ex = example1()
    latex = derivation_latex(trace(ex.root))
    _parses(latex)
    assert r"\frac{\partial {z_{2}}}{\partial {w_{2}}} &= {a_{1}} = 2" in latex  # a local derivative
    assert r"\delta_{1} = \frac{\partial {L}}{\partial {z_{1}}} &= \operatorname{ReLU}'({z_{1}})" in latex
    assert (
        r"\frac{\partial {L}}{\partial {w_{2}}} &= {a_{1}} \cdot \delta_{2} = 2 \cdot \left(-6\right) = -12"
        in latex
    )
    for name in ("w1", "b1", "w2", "b2", "x"):  # every gradient ends its line, equal to the engine's
        line = next(
            li
            for li in latex.split("\n")
            if li.startswith(rf"\frac{{\partial {{L}}}}{{\partial {{{latex_name(name)}}}}} &=")
        )
        assert line.removesuffix(r" \\").endswith(f"= {ex.nodes[name].grad:g}")
    assert not re.search(r"\\cdot[A-Za-z]", latex)  # \cdot never runs into a name (\cdotx is no command)


def test_shares_are_summed_in_the_derivation():
    nodes = _bce_by_hand()
    latex = derivation_latex(trace(nodes["L"]))
    _parses(latex)
    assert latex.count(r"\frac{\partial {L}}{\partial {\hat{y}}} &\mathrel{+}=") == 2
    total = r"\Rightarrow \frac{\partial {L}}{\partial {\hat{y}}} &= 3.71828 + 0 = "
    assert total + f"{nodes['ŷ'].grad:.6g}" in latex  # the shares' sum is the engine's gradient
    assert f"{1 + math.e:.6g}" == f"{nodes['ŷ'].grad:.6g}"  # and 1/(1 − σ(1)) = 1 + e by hand
    assert latex.count(r"\frac{\partial {L}}{\partial {x}} &=") == 1  # a single path: no sum


def test_example_2_derivation_is_one_step_to_delta():
    ex = example2()
    latex = derivation_latex(trace(ex.root))
    _parses(latex)
    # σ′ = ŷ(1 − ŷ) times ∂L/∂ŷ, and beside it the chapter's ŷ − y with y = 0
    step = r"\delta = \frac{\partial {L}}{\partial {z}} &= {\hat{y}}\left(1 - {\hat{y}}\right) \cdot"
    assert step in latex and r"= {\hat{y}} - y = 0.731059 - 0" in latex
    for name in ("z", "w", "b"):  # the chapter's 0.7311, 1.4622, 0.7311
        line = next(
            li for li in latex.split("\n") if rf"\frac{{\partial {{L}}}}{{\partial {{{name}}}}} &=" in li
        )
        line = line.removesuffix(r" \\").removesuffix(r" = {\hat{y}} - y = 0.731059 - 0")
        assert line.endswith(f"= {ex.nodes[name].grad:.6g}")
    assert r"\mathrel{+}=" not in latex  # no node on two paths
    assert str(trace(ex.root).to_latex()) == latex and isinstance(trace(ex.root).to_latex(), LaTeX)


def test_mlp_names_read_as_the_chapter_writes_them():
    model = MLP(2, [2, 1], seed=0)
    out = model([Value(1.0, "x[0]"), Value(-1.0, "x[1]")])
    out = out[0] if isinstance(out, list) else out
    latex = derivation_latex(trace(out))
    _parses(latex)
    for piece in ("W^{(1)}_{01}", "z^{(1)}_{0}", r"\delta^{(1)}_{1}", "x_{0}", "b^{(1)}_{0}"):
        assert piece in latex


@pytest.mark.parametrize(
    ("name", "latex"),
    [("W1[0,1]", "W^{(1)}_{01}"), ("W1[10,2]", "W^{(1)}_{10,2}"), ("z1[0]", "z^{(1)}_{0}"), ("x[0]", "x_{0}"),
     ("w2", "w_{2}"), ("ŷ", r"\hat{y}"), ("ŷ−y", r"\hat{y} - y"), ("δ3[1]", r"\delta^{(3)}_{1}"),
     ("σ", r"\sigma"), ("loss", r"\mathrm{loss}"), ("−3", "-3"), ("a#3", r"a\#3"), ("L", "L")],
)  # fmt: skip
def test_latex_names(name, latex):
    assert latex_name(name) == latex


def test_every_rule_prints_as_valid_latex():
    x, w = Value(0.5, "x"), Value(1.5, "w")
    y = x * w + x.tanh() + x.exp() / w + x**w + (2**x) + x.sigmoid() + x.relu() + (-x).abs() + x.sin()
    y = y + x.cos() + x.log() + x.softplus() + x.leaky_relu(0.1) + (x - w) ** 2
    y.label = "y"
    latex = derivation_latex(trace(y))
    _parses(latex)
    assert not re.search(r"\\cdot[A-Za-z]", latex)


def test_the_derivation_folds_a_constant_as_it_is_and_finds_each_argument_by_place():
    # x ** 1.0000001: the exponent shows as 1, but it is not 1; ∂y/∂x = 1.0000001·x^(1e−7), not 1
    x = Value(1e300, "x")
    y = x**1.0000001
    y.label = "y"
    latex = derivation_latex(trace(y))
    assert r"{{x}}^{1e-07} = 1.00007" in latex and r"&= 1 = " not in latex
    assert "x^1e−07" in str(trace(y))  # as the text trace writes it
    # a label that reads like a constant's number: 2 / a with a labelled "2"
    a = Value(5.0, "2")
    y = 2 / a
    y.label = "y"
    y.backward()
    latex = derivation_latex(trace(y))
    assert a.grad == -0.08 and r"= -0.08 \\" in latex and "= 0 \\" not in latex
    # x + x: the steps name the first and the second argument
    x = Value(3.0, "x")
    assert [s.arg for s in trace(x + x).steps] == [0, 1]


@pytest.mark.parametrize("name", ["problem5", "batches"])
def test_a_worked_example_with_data_derives_in_latex_with_the_data_as_numbers(name):
    # w·x + b with x data (constants): ∂/∂wᵢ = xᵢ is written as the number (it was a KeyError)
    from autograd_tiny.examples import EXAMPLES

    ex = EXAMPLES[name]()
    latex = derivation_latex(trace(ex.root))
    _parses(latex)
    first = next(r for r in trace(ex.root).rows if r.op == "affine")
    data = next(c for c in first.constants if c is not None)
    assert f"&= {_latex_num(data)} \\\\" in latex


def test_latex_object_renders_in_jupyter():
    t = trace(example1().root)
    block = LaTeX(derivation_latex(t))
    assert str(block) == derivation_latex(t)
    assert block._repr_latex_() == f"$${block.source}$$"


def test_a_users_own_op_is_written_with_its_numbers_only():
    x = Value(2.0, "x")
    m = Value.from_op(5.0, "mul", (x, x), (1.0, 1.0), label="m")  # named like a rule, but its own
    m = m + 0.0
    m.label = "y"
    latex = derivation_latex(trace(m))
    _parses(latex)
    assert r"\frac{\partial {m}}{\partial {x}} &= 1 \\" in latex  # not the mul rule's "x"
    assert r"&= 1 + 1 = 2" in latex


# ---------------------------------------------------------------------------------------------
# Stills and paper: each step as a picture, every step on one printed page, the page printed.
# ---------------------------------------------------------------------------------------------


def _rgb(colour: str) -> str:
    """#rrggbb as getComputedStyle writes it: rgb(r, g, b)."""
    return "rgb({}, {}, {})".format(*(int(colour[k : k + 2], 16) for k in (1, 3, 5)))


def test_each_still_is_what_the_live_page_shows_at_that_step(browser, tmp_path, renderer):
    """still(k) has, node for node, the grad text and the fill colour that the page's script shows
    after k presses of Next (read off Chromium's computed styles), for every k."""
    import xml.etree.ElementTree as ET

    s = step_through(example1().root)
    browser.open(Path(s.save(tmp_path / "steps.html")).as_uri())
    live = (  # each value's name (its first text), its grad text and its fill, as Chromium shows them
        "Array.from(document.querySelectorAll('g.value')).map(g => { const t = g.querySelectorAll('text');"
        " return [t[0].textContent, t[2].textContent, getComputedStyle(g.querySelector('polygon')).fill]; })"
    )
    for k in range(len(s) + 1):
        shown = {name: (text, fill) for name, text, fill in browser.js(live)}
        tree = ET.fromstring(s.still(k))
        groups = [g for g in tree.iter("{http://www.w3.org/2000/svg}g") if g.find("{*}polygon") is not None]
        still = {}
        for g in groups:
            texts = g.findall("{http://www.w3.org/2000/svg}text")
            if len(texts) == 3:  # a value: name, data, grad
                still[texts[0].text] = (texts[2].text, _rgb(g.find("{*}polygon").get("fill")))
        assert still == shown and len(still) == len(s.trace.rows), (k, still, shown)
        browser.key("ArrowRight")
    with pytest.raises(ValueError, match="from 0 to 8"):
        s.still(9)


def test_every_step_prints_one_block_each_with_no_buttons(tmp_path, renderer):
    """save(all_steps=True) prints (Chromium to PDF) every step in order, each with its formula,
    on a few sheets, without a button or a script."""
    from printing import find_printer, pdf_pages, pdf_text, print_pdf

    chromium = find_printer()
    s = step_through(example1().root)
    page = Path(s.save(tmp_path / "all.html", all_steps=True))
    assert "<script" not in page.read_text(encoding="utf-8") and "<button" not in page.read_text(
        encoding="utf-8"
    )
    pdf = print_pdf(chromium, page, tmp_path)
    pages, _, _ = pdf_pages(pdf)
    assert 2 <= pages <= len(s) + 1
    text = re.sub(r"\s+", " ", pdf_text(pdf))
    at = [text.index(f"step {k} of {len(s)}") for k in range(len(s) + 1)]
    assert at == sorted(at)  # in order
    for k, step in enumerate(s.steps, start=1):  # each step's own line, after its heading
        formula = re.sub(r"\s+", " ", "".join(t for t, _ in step["formula"]))
        assert formula in text[at[k - 1] :], formula
    assert "Next ▶" not in text and "◀ Previous" not in text  # the buttons' words


def test_the_live_page_prints_its_step_without_the_buttons(tmp_path, renderer):
    """Printed as it is, the interactive page gives the step it shows and not its buttons."""
    from printing import find_printer, pdf_text, print_pdf

    chromium = find_printer()
    page = Path(step_through(example1().root).save(tmp_path / "live.html"))
    text = pdf_text(print_pdf(chromium, page, tmp_path))
    assert "start: ∂L/∂L = 1" in text and "Next ▶" not in text and "◀ Previous" not in text
