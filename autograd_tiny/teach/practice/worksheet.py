"""Printable worksheets: n different exercises on a page laid out for printing, and their answer key.

    from autograd_tiny import practice

    sheet = practice.worksheet(30, seed=1)        # the kinds in turn, seeds counting up from 1
    sheet.save("sheet.html")                      # the students' page: numbers, blanks to fill in
    sheet.save("key.html", key=True)              # the teacher's page: every answer

Each exercise is printed with its kind, seed and level, so one student's sheet can be made again
(``practice.exercise(kind, seed, level)``, or ``autograd-tiny practice --kind K --seed N``). The
seeds count up from ``seed`` as the terminal session's do, so the sheet holds the exercises that
``autograd-tiny practice --seed 1`` asks in turn; a seed whose exercise repeats an earlier one on the
sheet (same kind, same numbers) is passed over, so no two exercises are alike.

The page is plain HTML and Unicode (∂, σ, ŷ, −, ²): nothing is downloaded and no script runs, so it
prints the same offline. Its print rules leave the paper size to the printer (A4 or Letter: the
text is narrower than either) and never split an exercise across two pages: a page break falls
between exercises. The key gives each answer to the precision ``Exercise.check`` accepts: the
4 significant digits a question asks for, else the fewest digits that ``check`` takes as exact.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from numbers import Integral
from typing import Any

from autograd_tiny.core.engine import brief
from autograd_tiny.teach.practice.answers import close_enough, value_text
from autograd_tiny.teach.practice.feedback import Exercise
from autograd_tiny.teach.practice.kinds import KINDS, check_choice, exercise
from autograd_tiny.views.trace import num

MAX_EXERCISES = 500  # a class set is 30; beyond this, the seeds say more than the page does
_TRIES = 1000  # seeds tried for one exercise before its kind is taken to have no new one left


def answer_text(ex: Exercise, name: str) -> str:
    """The key's text for one unknown: the asked-for significant digits, or the fewest that ``check``
    accepts as the exact answer (−0.2 for −0.19999999999999996, −12 for −12.0)."""
    x = ex.answers()[name]
    if ex.digits:  # with its trailing zeros: −0.5000 to 4 significant digits
        text = f"{float(f'{x:.{ex.digits}g}'):#.{ex.digits}g}".rstrip(".")
        return text.replace("-", "−") if float(text) != 0.0 else "0"
    if x.is_integer() and abs(x) < 1e15:  # −10, not −1e+01
        return num(x, 16)
    for d in range(1, 18):  # 17 significant digits give back every float exactly
        if close_enough(float(f"{x:.{d}g}"), x, ex.tolerance):
            return num(x, d)
    return num(x, 17)


def _kinds(kinds: object) -> tuple[str, ...]:
    """The kinds to take in turn: all of them (None), one (a str) or a list of them."""
    if kinds is None:
        return KINDS
    chosen = (kinds,) if isinstance(kinds, str) else kinds
    if isinstance(chosen, (bytes, dict, set)) or not isinstance(chosen, Sequence):
        raise TypeError(
            f"worksheet: kinds must be None, a kind or a list of kinds such as {list(KINDS[:2])}, "
            f"got {type(kinds).__name__}"
        )
    if not chosen:
        raise ValueError(f"worksheet: kinds is empty: give None (every kind) or some of {', '.join(KINDS)}")
    for k in chosen:
        check_choice(k, 0, 1)  # a TypeError or ValueError naming the kind
    return tuple(chosen)


class Worksheet:
    """``n`` different exercises and their key, as printable HTML pages (``to_html``, ``save``)."""

    def __init__(self, exercises: Sequence[Exercise], seed: int, level: int) -> None:
        """A worksheet of these exercises (use ``worksheet(n, seed, kinds, level)`` to make one)."""
        self.exercises: tuple[Exercise, ...] = tuple(exercises)
        self.seed, self.level = seed, level

    def __len__(self) -> int:
        """The number of exercises."""
        return len(self.exercises)

    def __repr__(self) -> str:
        """<Worksheet: 30 exercises, seed 1, level 1>."""
        return f"<Worksheet: {len(self)} exercises, seed {self.seed}, level {self.level}>"

    def to_html(self, key: bool = False) -> str:
        """The students' page, or with ``key=True`` the answer key: a whole HTML page for printing."""
        if not isinstance(key, bool):
            raise TypeError(f"to_html: key must be True or False, got {type(key).__name__}")
        what = "Answer key" if key else "Worksheet"
        title = f"Backpropagation by hand: {what.lower()} (seed {self.seed}, level {self.level})"
        head = [f"<h1>{what}: backpropagation by hand</h1>"]
        about = (
            f"{len(self)} exercises, level {self.level}, seed {self.seed}. Each exercise names its kind "
            "and seed: <code>practice.exercise(kind, seed, level)</code> makes it again."
        )
        if key:
            head.append(f"<p class='about'>{about} Each answer is given to the precision accepted.</p>")
        else:
            head.append(
                "<p class='student'>Name <span class='line'></span> Date <span class='line'></span></p>"
            )
            head.append(
                "<p class='about'>Work out each gradient by hand with the chain rule and write it in its "
                f"box. {about}</p>"
            )
        body = [_key_html(i, ex) if key else _exercise_html(i, ex) for i, ex in enumerate(self.exercises, 1)]
        return (
            "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(head + body)
            + "\n</body>\n</html>\n"
        )

    def save(self, path: str | os.PathLike, key: bool = False) -> str:
        """Write ``to_html(key)`` to ``path`` (a .html file any browser prints offline); returns the path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"Worksheet.save: path must be a file name (a str or Path), got {type(path).__name__}"
            )
        path = os.fspath(path)
        if not isinstance(path, str) or not path.strip():
            raise ValueError(f"Worksheet.save: give a file name such as 'sheet.html', got {brief(path)}")
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise FileNotFoundError(
                f"Worksheet.save: cannot write {path!r}: the folder {folder!r} does not exist"
            )
        text = self.to_html(key)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path


def worksheet(n: int, seed: int = 0, kinds: Sequence[str] | str | None = None, level: int = 1) -> Worksheet:
    """``n`` different exercises, the kinds in turn (all of ``KINDS``, or ``kinds``), seeds counting
    up from ``seed``: the same arguments give the same sheet on any machine."""
    if isinstance(n, bool) or not isinstance(n, Integral):
        raise TypeError(f"worksheet: n must be an int, the number of exercises, got {type(n).__name__}")
    if not 1 <= n <= MAX_EXERCISES:
        raise ValueError(f"worksheet: n must be between 1 and {MAX_EXERCISES}, got {n}")
    chosen = _kinds(kinds)
    check_choice(chosen[0], seed, level)  # the seed's and the level's errors
    seen: set[tuple[str, str]] = set()
    out: list[Exercise] = []
    s = int(seed)
    for i in range(int(n)):
        kind = chosen[i % len(chosen)]
        for _ in range(_TRIES):
            ex = exercise(kind, s, int(level))
            s += 1
            if (kind, ex.question) not in seen:  # a repeat (same numbers) is passed over
                break
        else:
            raise ValueError(
                f"worksheet: {kind} at level {level} gave no new exercise in {_TRIES} seeds: ask for fewer "
                f"than {n} exercises, or more kinds"
            )
        seen.add((kind, ex.question))
        out.append(ex)
    return Worksheet(out, int(seed), int(level))


# ---------------------------------------------------------------------------------------------
# The page.
# ---------------------------------------------------------------------------------------------

_CSS = """
@page { margin: 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Serif", "Noto Serif", Cambria, "Times New Roman", serif; font-size: 11pt;
       line-height: 1.4; color: #000; background: #fff; max-width: 176mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
p { margin: 1mm 0; }
.about { font-size: 9.5pt; }
.student { margin: 4mm 0; }
.line { display: inline-block; width: 60mm; border-bottom: 1px solid #000; margin: 0 6mm 0 2mm; }
.exercise { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid #777;
            padding: 2.5mm 0 3mm; margin-top: 2mm; }
h2 { font-size: 11.5pt; margin: 0 0 1mm; }
h2 .meta { font-weight: normal; font-size: 9.5pt; }
.network { margin-left: 4mm; }
.given { margin: 1.5mm 0 1.5mm 4mm; }
.matrix { display: inline-block; position: relative; vertical-align: middle; padding: 0 1.2mm;
          margin: 0.8mm 1mm; }
.matrix::before, .matrix::after { content: ""; position: absolute; top: 0; bottom: 0; width: 1.2mm;
          border: 1.1px solid #000; }
.matrix::before { left: 0; border-right: none; }
.matrix::after { right: 0; border-left: none; }
.matrix table { border-collapse: separate; border-spacing: 2.5mm 0; }
.matrix td { text-align: right; padding: 0; }
.named { display: inline-block; margin-right: 6mm; }
.whole { white-space: nowrap; }
.note { font-style: italic; font-size: 10pt; }
.answers { display: flex; flex-wrap: wrap; gap: 1.2mm 0; margin: 1.5mm 0 0 4mm; }
.answers > span { width: 33.3%; white-space: nowrap; }
.boxes { display: grid; grid-template-columns: repeat(3, max-content 1fr); gap: 1.2mm 1.5mm;
         align-items: center; margin: 1.5mm 0 0 4mm; }
.boxes .name { text-align: right; white-space: nowrap; }
.box { display: block; width: 25mm; height: 6.5mm; border: 1px solid #000; }
@media screen { body { margin: 10mm auto; } }
"""


def _heading(i: int, ex: Exercise) -> str:
    """Exercise i, with what makes it again: its kind, seed and level."""
    meta = f"{ex.kind} · seed {ex.seed} · level {ex.level}"
    return f"<h2>Exercise {i} <span class='meta'>({html.escape(meta)})</span></h2>"


def _value_html(v: Any) -> str:
    """A number as text; a vector in brackets; a matrix as a grid between bars."""
    if isinstance(v, list) and v and isinstance(v[0], list):
        rows = "".join("<tr>" + "".join(f"<td>{num(x)}</td>" for x in row) + "</tr>" for row in v)
        return f"<span class='matrix'><table>{rows}</table></span>"
    return html.escape(value_text(v))


def _paragraphs(lines: Sequence[str]) -> list[str]:
    """The network's lines as paragraphs: a line that starts in lower case continues a sentence that
    the terminal's width broke (the batch's "… found each example's error" / "δm = ∂Lm/∂zm …")."""
    out: list[str] = []
    for line in lines:
        if out and line[:1].islower():
            out[-1] += " " + line
        else:
            out.append(line)
    return out


def _exercise_html(i: int, ex: Exercise) -> str:
    """One exercise on the students' page: the network, its numbers, a box for each unknown."""
    lines = [f"<section class='exercise'>{_heading(i, ex)}", f"<p><b>{html.escape(ex.title)}</b></p>"]
    for text in _paragraphs(ex.network):  # the runs of spaces that align a terminal line: one wide space
        parts = [p.strip() for p in text.split("   ")]  # a short part (L = (ŷ − y)²) is never broken
        shown = [
            f"<span class=whole>{html.escape(p)}</span>" if len(p) < 40 else html.escape(p) for p in parts
        ]
        lines.append(f"<p class='network'>{'&emsp;'.join(shown)}</p>")
    scalars = [f"{html.escape(k)} = {num(v)}" for k, v in ex.given.items() if not isinstance(v, list)]
    lists = [(k, v) for k, v in ex.given.items() if isinstance(v, list)]
    given = [", ".join(scalars)] if scalars else []
    given += [f"{html.escape(k)} = {_value_html(v)}" for k, v in lists]
    lines.append(f"<div class='given'>{''.join(f'<span class=named>{g}</span>' for g in given)}</div>")
    lines.append(f"<p class='note'>{html.escape(ex.note)}</p>")
    # a grid of (name, box) pairs, three to a row: the names right-aligned, the boxes in columns
    boxes = "".join(
        f"<span class='name'>{html.escape(ex.pretty[n])} =</span><span class='box'></span>"
        for n in ex.unknowns
    )
    lines.append(f"<div class='boxes'>{boxes}</div></section>")
    return "\n".join(lines)


def _key_html(i: int, ex: Exercise) -> str:
    """One exercise in the key: its heading and every answer."""
    answers = "".join(
        f"<span>{html.escape(ex.pretty[n])} = {html.escape(answer_text(ex, n))}</span>" for n in ex.unknowns
    )
    return f"<section class='exercise key'>{_heading(i, ex)}\n<div class='answers'>{answers}</div></section>"
