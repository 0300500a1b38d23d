"""The backward pass as LaTeX, in the chapter's notation (``derivation_latex``), and ``LaTeX`` for Jupyter.

``derivation_latex(trace(root))`` writes every local derivative from the rule table (the parents'
names substituted, then the number) and every chain-rule step of the trace as one ``aligned``
block: W1[0,1] is W^{(1)}_{01}, ∂L/∂z1 is δ_1, ŷ is \\hat{y}. ``LaTeX(text)`` shows one in Jupyter.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from autograd_tiny.core.names import NAMED_CONSTANTS
from autograd_tiny.core.printing import to_latex
from autograd_tiny.core.rules import RULES

if TYPE_CHECKING:  # only for the hints: trace.py imports this file for Trace.to_latex
    from autograd_tiny.views.trace import Trace

_LAYERED = re.compile(r"^([^\W\d_])(\d+)\[(\d+(?:,\d+)*)\]$")  # W1[0,1] → W^{(1)}_{01}
_INDEXED = re.compile(r"^([^\W\d_]+)\[(\d+(?:,\d+)*)\]$")  # x[0] → x_{0}
_NUMBERED = re.compile(r"^([^\W\d_]+)(\d+)$")  # w2 → w_{2}
_PREACTIVATION = re.compile(r"^z(\d*)(\[\d+(?:,\d+)*\])?$")  # z, z1, z1[0]: ∂L/∂z is written δ
_ACCENTS = {"\u0302": r"\hat", "\u0304": r"\bar", "\u0303": r"\tilde", "\u0307": r"\dot"}
_SPECIAL = {"−": " - ", "-": " - ", "+": " + ", "·": r" \cdot ", "*": r" \cdot ", "/": "/", " ": r"\ ",
            "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}", "%": r"\%", "$": r"\$", "&": r"\&",
            "^": r"\hat{}", "~": r"\sim ", "\\": r"\backslash "}  # fmt: skip


def _latex_char(c: str) -> str:
    """One character of a name in LaTeX: σ → \\sigma, ŷ → \\hat{y}, − → -."""
    if c.isascii():
        return _SPECIAL.get(c, c)
    if c in _SPECIAL:
        return _SPECIAL[c]
    base = unicodedata.normalize("NFD", c)
    if len(base) == 2 and base[1] in _ACCENTS:  # a letter with an accent: ŷ = y + U+0302
        return f"{_ACCENTS[base[1]]}{{{_latex_char(base[0])}}}"
    name = unicodedata.name(c, "")
    if name.startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
        letter = name.rsplit(" ", 1)[-1].lower().replace("lamda", "lambda")
        return "\\" + (letter.capitalize() if "CAPITAL" in name else letter) + " "
    return rf"\text{{{c}}}"


def _latex_word(word: str) -> str:
    """A run of letters: one letter as itself, several upright (``err`` is a word, not e·r·r)."""
    if len(word) > 1 and word.isascii():
        return rf"\mathrm{{{word}}}"
    return "".join(_latex_char(c) for c in word).strip()


def latex_name(name: str) -> str:
    """A display name in the chapter's notation: W1[0,1] → W^{(1)}_{01}, z1[0] → z^{(1)}_{0},
    x[0] → x_{0}, w2 → w_{2}, ŷ → \\hat{y}, ŷ−y → \\hat{y} - y; a number stays a number."""
    try:
        return _latex_number(float(name.replace("−", "-")))
    except ValueError:
        pass

    def index(ix: str) -> str:
        parts = ix.split(",")  # W1[0,1] → 01, as the chapter writes W_{01}; W1[10,2] keeps its comma
        return "".join(parts) if all(len(p) == 1 for p in parts) else ",".join(parts)

    if m := _LAYERED.match(name):
        return f"{_latex_word(m.group(1))}^{{({m.group(2)})}}_{{{index(m.group(3))}}}"
    if m := _INDEXED.match(name):
        return f"{_latex_word(m.group(1))}_{{{index(m.group(2))}}}"
    if m := _NUMBERED.match(name):
        return f"{_latex_word(m.group(1))}_{{{m.group(2)}}}"
    if name.isalpha():
        return _latex_word(name)
    return "".join(_latex_char(c) for c in name).strip()


def _latex_number(x: float) -> str:
    """A number in LaTeX: 6 significant digits, 1.5 \\times 10^{-7} rather than 1.5e-07."""
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    s = f"{x:.6g}"
    if s == "-0":
        return "0"
    if "e" in s:
        mantissa, exponent = s.split("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return s


def _latex_factor(x: float) -> str:
    """A number inside a product or a sum: negatives in parentheses."""
    return rf"\left({_latex_number(x)}\right)" if x < 0 else _latex_number(x)


def _atom(latex: str) -> str:
    """A name as a factor of a formula: braced (so \\cdot never runs into it), parenthesised if it is
    itself a sum or difference (ŷ − y)."""
    if any(op in latex for op in (" - ", " + ", r"\cdot")):
        return rf"{{\left({latex}\right)}}"
    return f"{{{latex}}}"


def _product_factor(latex: str) -> str:
    """A formula as a factor of a product: parenthesised only if it is a sum or difference at its top
    level (braces, parentheses and \\left…\\right groups hide what is inside them)."""
    depth = 0
    for i, c in enumerate(latex):
        depth += c in "{(" or latex.startswith(r"\left", i)
        depth -= c in "})" or latex.startswith(r"\right", i)
        if depth == 0 and i > 0 and latex[i - 1 : i + 2] in (" - ", " + "):
            return rf"\left({latex}\right)"
    return latex


@dataclass(frozen=True)
class LaTeX:
    """A LaTeX block: Jupyter renders it with MathJax; ``str()`` is the LaTeX source."""

    source: str

    def __str__(self) -> str:
        """The LaTeX source."""
        return self.source

    def _repr_latex_(self) -> str:
        """The block as display math, for Jupyter."""
        return f"$${self.source}$$"


def derivation_latex(trace: Trace) -> str:
    """The backward pass of a trace as a LaTeX ``aligned`` block: every local derivative from the rule
    table (parents' names substituted, then the number), then every chain-rule step with its numbers,
    and each gradient with several paths as the sum of its shares."""
    if not all(
        hasattr(trace, a) for a in ("rows", "steps", "root_name")
    ):  # a Trace (not imported: see above)
        raise TypeError(f"derivation_latex expects a Trace (from trace(root)), got {type(trace).__name__}")
    rows = {r.label: r for r in trace.rows}
    root = trace.root_name
    tex = {name: latex_name(name) for name in rows}

    custom = {s.child for s in trace.steps if s.symbol.startswith(f"∂{rows[s.child].op}/∂")}

    def partial(top: str, bottom: str) -> str:
        return rf"\frac{{\partial {_atom(tex[top])}}}{{\partial {_atom(tex[bottom])}}}"

    def delta(name: str) -> str | None:  # ∂L/∂z is the chapter's δ (not for L itself)
        m = _PREACTIVATION.match(name)
        return latex_name("δ" + name[1:]) if m and name != root else None

    def gradient(name: str) -> str:  # how ∂L/∂name is written when it is used
        return delta(name) or partial(root, name)

    def parent_tex(row: Any, m: int) -> str:  # its m-th parent in LaTeX: a node's name, a constant's number
        c = row.constants[m]
        return _atom(tex[row.parents[m]]) if c is None else _latex_number(c)

    substituted: dict[str, tuple[list[Any], dict[str, str], dict[str, float]]] = {}

    def arguments(row: Any, rule: Any) -> tuple[list[Any], dict[str, str], dict[str, float]]:
        """The rule's argument groups for this row, and its names in LaTeX (or its number constants):
        once per row, so a w·x of n inputs writes its vectors once, not once per input (n²)."""
        if row.label in substituted:
            return substituted[row.label]
        groups = rule.split(list(range(len(row.parents))))
        names: dict[str, str] = {"y": _atom(tex[row.label])}
        values: dict[str, float] = {}
        for name, g in zip(rule.names, groups, strict=True):
            if isinstance(g, list):
                names[name] = r"\left(" + ", ".join(parent_tex(row, m) for m in g) + r"\right)"
            elif row.constants[g] is None:  # a node, not a number constant
                names[name] = parent_tex(row, g)
            elif name in NAMED_CONSTANTS.get(rule.name, {}):  # a BCE's target: y, as its op reads
                names[name] = NAMED_CONSTANTS[rule.name][name]
            else:  # a number constant, exactly (not as shown): folded into the formula (2·u for a square)
                values[name] = row.constants[g]
        substituted[row.label] = groups, names, values
        return groups, names, values

    def local(row: Any, k: int) -> str:
        """∂row/∂(its k-th parent) from the rule table, with the parents' names in LaTeX."""
        rule = RULES.get(row.op) if row.label not in custom else None
        if rule is None or rule.arity not in (None, len(row.parents)):
            return _latex_number(row.local_grads[k])
        j, i = rule.locate(k, len(row.parents))
        groups, names, values = arguments(row, rule)
        expr = rule.derivs[j]
        if i is None:
            return to_latex(expr, names, values)
        if expr in rule.names:  # one element of a vector input: w·x's ∂/∂wᵢ = xᵢ
            return parent_tex(row, groups[rule.names.index(expr)][i])
        if expr.startswith("ones("):
            return "1"
        return rf"\left[{to_latex(expr, names, values)}\right]_{{{i}}}"

    lines = [r"&\textbf{local derivatives}"]
    for row in trace.rows:
        for k, parent in enumerate(row.parents):
            if row.constants[k] is not None:  # a constant: nobody differentiates by it
                continue
            formula, value = local(row, k), _latex_number(row.local_grads[k])
            rhs = formula if formula == value else f"{formula} = {value}"
            lines.append(f"{partial(row.label, parent)} &= {rhs}")
    lines.append(rf"&\textbf{{backward pass}} \qquad {partial(root, root)} = 1")
    paths: dict[str, int] = {}
    for s in trace.steps:
        paths[s.parent] = paths.get(s.parent, 0) + 1
    shares: dict[str, list[float]] = {}
    for s in trace.steps:
        row, k = rows[s.child], s.arg
        shares.setdefault(s.parent, []).append(s.contribution)
        numbers = (
            rf"{_latex_number(s.local)} \cdot {_latex_factor(s.upstream)} = {_latex_number(s.contribution)}"
        )
        rhs = rf"{_product_factor(local(row, k))} \cdot {gradient(s.child)} = {numbers}"
        if getattr(s, "combined", ()):  # σ into BCE: the chapter's ŷ − y, the two derivatives combined
            a, a_value, t, t_value = s.combined
            t_tex = _atom(tex[t]) if t in tex else latex_name(t)
            rhs += rf" = {_atom(tex[a])} - {t_tex} = {_latex_number(a_value)} - {_latex_factor(t_value)}"
        if paths[s.parent] == 1:  # its only path: this step is its whole gradient
            name = (
                f"{delta(s.parent)} = {partial(root, s.parent)}"
                if delta(s.parent)
                else partial(root, s.parent)
            )
            lines.append(f"{name} &= {rhs}")
            continue
        lines.append(rf"{partial(root, s.parent)} &\mathrel{{+}}= {rhs}")
        got = shares[s.parent]
        if len(got) == paths[s.parent]:  # the last share: the gradient is their sum
            total = rows[s.parent].grad
            parts = " + ".join([_latex_number(got[0])] + [_latex_factor(x) for x in got[1:]])
            name = (
                f"{delta(s.parent)} = {partial(root, s.parent)}"
                if delta(s.parent)
                else partial(root, s.parent)
            )
            lines.append(rf"\Rightarrow {name} &= {parts} = {_latex_number(total)}")
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
