"""Printable worksheets: different exercises, reproducible from their seeds, and a key that holds
every answer to the precision ``Exercise.check`` accepts; printed by headless Chromium to PDF and
read back with poppler (pdfinfo, pdftotext), as a teacher's printer would get them."""

from __future__ import annotations

import html
import importlib
import math
import re
import subprocess
from pathlib import Path

import pytest
from cli_run import is_one_line_error, run_main
from printing import find_printer, pdf_pages, pdf_text, print_pdf

from autograd_tiny import practice
from autograd_tiny.teach.practice import KINDS, parse_number
from autograd_tiny.teach.practice.worksheet import Worksheet

PAIR = re.compile(r"(∂L/∂\S+) = (\S+)")  # "∂L/∂z2 = −4" in the key's text
HEADING = re.compile(r"Exercise (\d+) \((\w+) · seed (\d+) · level (\d)\)")


# --- the exercises ---------------------------------------------------------------------------------


def test_a_sheet_takes_the_kinds_in_turn_with_the_sessions_seeds_and_can_be_made_again():
    sheet = practice.worksheet(30, seed=1)
    assert isinstance(sheet, Worksheet) and len(sheet.exercises) == 30
    assert [ex.kind for ex in sheet.exercises] == [KINDS[i % len(KINDS)] for i in range(30)]
    # no repeat among these, so the seeds count up from 1 as `autograd-tiny practice --seed 1` asks them
    assert [ex.seed for ex in sheet.exercises] == list(range(1, 31))
    again = practice.worksheet(30, seed=1)
    for ex, ex2 in zip(sheet.exercises, again.exercises, strict=True):
        made = practice.exercise(ex.kind, seed=ex.seed, level=ex.level)  # from what the sheet prints
        assert ex.question == ex2.question == made.question and ex.answers() == made.answers()
    other = practice.worksheet(30, seed=2)
    assert [ex.question for ex in other.exercises] != [ex.question for ex in sheet.exercises]


def test_no_two_exercises_on_a_sheet_are_alike():
    # sigmoid_bce at level 1 has few numbers to choose from: seeds 32 and 40 give the same exercise
    assert practice.exercise("sigmoid_bce", 32).question == practice.exercise("sigmoid_bce", 40).question
    sheet = practice.worksheet(60, seed=0, kinds="sigmoid_bce")
    questions = [ex.question for ex in sheet.exercises]
    assert len(set(questions)) == 60
    seeds = [ex.seed for ex in sheet.exercises]
    assert 32 in seeds and 40 not in seeds and seeds == sorted(seeds)
    for ex in sheet.exercises:
        assert ex.question == practice.exercise("sigmoid_bce", ex.seed).question
    mixed = practice.worksheet(7, seed=3, kinds=["batch_bias", "reused_node"], level=2)
    assert [ex.kind for ex in mixed.exercises] == ["batch_bias", "reused_node"] * 3 + ["batch_bias"]
    assert {ex.level for ex in mixed.exercises} == {2}


def _key_pairs(text: str) -> dict[int, dict[str, str]]:
    """Exercise number → {∂L/∂name: the answer's text}, from a key's text (HTML or PDF)."""
    found: dict[int, dict[str, str]] = {}
    current = None
    for line in text.splitlines():
        m = HEADING.search(line)
        if m:
            current = found.setdefault(int(m[1]), {})
        elif current is not None:
            current.update(PAIR.findall(line))
    return found


def _check_key(sheet: Worksheet, pairs: dict[int, dict[str, str]]) -> None:
    """Every answer of every exercise is in the key, equal to answers() within the precision check
    accepts (and to the asked significant digits), and check() takes the key as all right."""
    assert sorted(pairs) == list(range(1, len(sheet.exercises) + 1))
    for i, ex in enumerate(sheet.exercises, 1):
        texts = pairs[i]
        assert set(texts) == {ex.pretty[n] for n in ex.unknowns}, (i, texts)
        given = {n: texts[ex.pretty[n]] for n in ex.unknowns}
        key = ex.answers()
        for n, text in given.items():
            x = parse_number(text)
            assert abs(x - key[n]) <= max(ex.tolerance * abs(key[n]), 1e-9), (i, n, text, key[n])
            if ex.digits:  # "Give each answer to 4 significant digits": the key shows 4
                assert len(re.sub(r"^[−-]?0?\.?0*|\.", "", text)) == ex.digits or x == 0, text
                assert x == float(f"{key[n]:.{ex.digits}g}")
            elif key[n].is_integer():  # an exact integer answer is written as one: −12, not −12.0 or −1.2e+01
                assert text == f"{key[n]:.0f}".replace("-", "−"), text
        assert ex.check(given), (i, str(ex.check(given)))


@pytest.mark.parametrize("level", [1, 2, 3])
def test_the_key_holds_every_answer_to_the_precision_check_accepts(level):
    sheet = practice.worksheet(15, seed=10 * level, level=level)
    pairs = {}
    for section in html.unescape(sheet.to_html(key=True)).split("<section")[1:]:
        heading = HEADING.search(re.sub(r"<[^>]+>", "", section))
        pairs[int(heading[1])] = dict(re.findall(r"<span>(∂L/∂[^<]*?) = ([^<]*)</span>", section))
    _check_key(sheet, pairs)


def test_the_pages_are_self_contained_and_made_for_printing(tmp_path):
    sheet = practice.worksheet(10, seed=4)
    for key in (False, True):
        page = sheet.to_html(key=key)
        assert page.startswith("<!DOCTYPE html>") and "<meta charset='utf-8'>" in page
        for outside in ("http:", "https:", "<script", "<link", "src=", "@import", "url("):
            assert outside not in page  # nothing to download, nothing that runs
        assert "@page" in page and "break-inside: avoid" in page
        assert page.count("<section class='exercise") == 10
        for i, ex in enumerate(sheet.exercises, 1):
            assert f"Exercise {i} <span class='meta'>({ex.kind} · seed {ex.seed} · level {ex.level})" in page
    student = sheet.to_html()
    assert "∂L/∂" in student and "class='box'" in student
    # the students' page gives no answer away: only the key has "∂L/∂… = number"
    assert not PAIR.search(html.unescape(re.sub(r"<[^>]+>", " ", student)))
    path = sheet.save(tmp_path / "sheet.html")
    assert Path(path).read_text(encoding="utf-8") == student
    sheet.save(str(tmp_path / "key.html"), key=True)
    assert (tmp_path / "key.html").read_text(encoding="utf-8") == sheet.to_html(key=True)


@pytest.mark.parametrize(
    ("call", "error", "says"),
    [
        (lambda: practice.worksheet(0), ValueError, r"^worksheet: n must be between 1 and 500, got 0"),
        (lambda: practice.worksheet(501), ValueError, r"^worksheet: n must be between 1 and 500"),
        (
            lambda: practice.worksheet(2.0),
            TypeError,
            r"^worksheet: n must be an int, the number of exercises",
        ),
        (lambda: practice.worksheet(True), TypeError, r"^worksheet: n must be an int"),
        (lambda: practice.worksheet(3, seed=-1), ValueError, r"^seed must be 0 or more"),
        (lambda: practice.worksheet(3, seed=1.5), TypeError, r"^seed must be an int"),
        (lambda: practice.worksheet(3, level=4), ValueError, r"^level must be 1, 2 or 3"),
        (lambda: practice.worksheet(3, kinds=[]), ValueError, r"^worksheet: kinds is empty"),
        (lambda: practice.worksheet(3, kinds="nope"), ValueError, r"^unknown kind 'nope': choose one of"),
        (lambda: practice.worksheet(3, kinds={"sigmoid_bce"}), TypeError, r"^worksheet: kinds must be None"),
        (lambda: practice.worksheet(3, kinds=[3]), TypeError, r"^kind must be a str"),
        (lambda: practice.worksheet(1).to_html(key="yes"), TypeError, r"^to_html: key must be True or False"),
        (lambda: practice.worksheet(1).save(3), TypeError, r"^Worksheet.save: path must be a file name"),
        (lambda: practice.worksheet(1).save(""), ValueError, r"^Worksheet.save: give a file name"),
        (
            lambda: practice.worksheet(1).save("/no/such/dir/s.html"),
            FileNotFoundError,
            r"folder '/no/such/dir'",
        ),
    ],
)
def test_bad_arguments_name_themselves(call, error, says):
    with pytest.raises(error, match=says):
        call()


def test_a_kind_with_no_new_exercise_left_says_so(monkeypatch):
    module = importlib.import_module(
        "autograd_tiny.teach.practice.worksheet"
    )  # (practice.worksheet is the function)
    real = module.exercise
    monkeypatch.setattr(
        module, "exercise", lambda kind, seed, level: real(kind, 0, level)
    )  # every seed alike
    monkeypatch.setattr(module, "_TRIES", 3)
    assert len(module.worksheet(1, kinds="sigmoid_bce")) == 1
    with pytest.raises(
        ValueError, match=r"^worksheet: sigmoid_bce at level 1 gave no new exercise in 3 seeds"
    ):
        module.worksheet(2, kinds="sigmoid_bce")


# --- the command line --------------------------------------------------------------------------------


def test_the_practice_command_writes_a_sheet_and_its_key(tmp_path):
    sheet, key = tmp_path / "sheet.html", tmp_path / "key.html"
    status, out, err = run_main("practice", "--worksheet", "30", "--seed", "1", "--out", str(sheet),
                                "--key", str(key))  # fmt: skip
    assert status == 0, err
    assert "wrote 30 exercises (every kind in turn, level 1, seed 1)" in out and "answers" in out
    expected = practice.worksheet(30, seed=1)
    assert sheet.read_text(encoding="utf-8") == expected.to_html()
    assert key.read_text(encoding="utf-8") == expected.to_html(key=True)
    status, out, err = run_main("practice", "--worksheet", "4", "--kind", "batch_bias", "--level", "2",
                                "--seed", "7", "--out", str(sheet))  # fmt: skip
    assert status == 0, err
    assert sheet.read_text(encoding="utf-8") == practice.worksheet(4, 7, "batch_bias", 2).to_html()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--worksheet", "0"], "--worksheet must be between 1 and 500"),
        (["--key", "k.html"], "--key writes a worksheet: give --worksheet N too"),
        (["--out", "s.html"], "--out writes a worksheet: give --worksheet N too"),
        (["--worksheet", "3", "--out", "s.pdf"], "--out: cannot write the worksheet 's.pdf'"),
        (["--worksheet", "3", "--out", "/no/such/s.html"], "the folder '/no/such' does not exist"),
        (["--worksheet", "3", "--out", "s.html", "--key", "s.html"], "--key: the answer key needs a file"),
        (["--worksheet", "3", "--seed", "-2"], "--seed must be 0 or more"),
    ],
)
def test_the_practice_command_refuses_bad_worksheet_options_in_one_line(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main("practice", *args)
    assert is_one_line_error(status, out, err) and says in err, err
    assert not list(tmp_path.iterdir())  # nothing written


# --- printed: headless Chromium to PDF, read back with poppler -----------------------------------


@pytest.fixture(scope="module")
def printer() -> str:
    """A Chromium to print with, and poppler's tools to read the PDF (CI installs both)."""
    return find_printer()


_print, _pages, _text = print_pdf, pdf_pages, pdf_text


@pytest.mark.parametrize("paper", ["Letter", "A4"])
def test_printed_the_sheet_keeps_each_exercise_on_one_page_and_the_key_holds_every_answer(
    printer, tmp_path, paper
):
    n = 30
    sheet = practice.worksheet(n, seed=1)
    size = "" if paper == "Letter" else "<style>@page { size: A4; }</style>"  # Chromium prints Letter
    files = {}
    for key in (False, True):
        page = tmp_path / ("key.html" if key else "sheet.html")
        page.write_text(sheet.to_html(key=key).replace("</head>", size + "</head>"), encoding="utf-8")
        files[key] = _print(printer, page, tmp_path)
    pages, width, height = _pages(files[False])
    expected = (612, 792) if paper == "Letter" else (595.92, 842.88)
    assert (width, height) == pytest.approx(expected, abs=1)
    key_pages = _pages(files[True])[0]
    # sane: several exercises a page (a class set is not 30 sheets), none split; the key shorter still
    assert math.ceil(n / 6) <= pages <= math.ceil(n / 2), pages
    assert 1 <= key_pages < pages, (key_pages, pages)
    # each exercise on one page: its heading, its numbers and its last box are all on the same page
    where: dict[int, int] = {}
    for p in range(1, pages + 1):
        text = _text(files[False], p)
        for m in HEADING.finditer(text):
            i = int(m[1])
            assert i not in where, f"exercise {i} is on pages {where[i]} and {p}"
            where[i] = p
            ex = sheet.exercises[i - 1]
            assert (m[2], int(m[3]), int(m[4])) == (ex.kind, ex.seed, ex.level)
            rest = text[m.end() :].split("\nExercise ", 1)[0]
            for name, v in ex.given.items():  # every number of the question is printed with it
                if not isinstance(v, list):
                    assert re.search(
                        rf"(?<![\w\[]){re.escape(name)} = {re.escape(_num(v))}(?![\d.])", rest
                    ), (i, name)
            for n_ in ex.unknowns:
                assert ex.pretty[n_] + " =" in rest, (i, n_)
    assert sorted(where) == list(range(1, n + 1))
    assert not PAIR.search(_text(files[False]))  # no answer on the students' sheet
    _check_key(sheet, _key_pairs(_text(files[True])))
    # nothing runs off the paper: every word's box lies inside the page, with a margin
    boxes = subprocess.run(["pdftotext", "-bbox", str(files[False]), "-"], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes))
    bottom = max(float(y) for y in re.findall(r'yMax="([\d.]+)"', boxes))
    assert right <= width - 28 and bottom <= height - 28, (right, bottom)  # 10 mm ≈ 28 pt


def _num(v: float) -> str:
    """A number as the question prints it (6 significant digits, a true minus sign)."""
    s = f"{v:.6g}"
    return s.replace("-", "−") if s != "-0" else "0"
