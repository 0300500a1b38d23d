"""The terminal session of ``autograd-tiny practice``: a question, one prompt per unknown, the feedback."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Sequence
from typing import TextIO

from autograd_tiny.teach.practice.answers import parse_number
from autograd_tiny.teach.practice.feedback import Exercise
from autograd_tiny.teach.practice.kinds import KINDS, check_choice, exercise

# ---------------------------------------------------------------------------------------------
# The terminal session of `autograd-tiny practice`: a question, one prompt per unknown, the
# feedback, a score. Whatever is typed (or not typed: Ctrl-D, Ctrl-C) it ends with a score.
# ---------------------------------------------------------------------------------------------

_QUIT = ("q", "quit", "exit")
_HINT = ("?", "h", "hint", "help")


class _Stop(Exception):
    """The learner asked to stop (q, or the end of the input)."""


class _Session:
    """One practice session on a pair of text streams."""

    def __init__(self, stdin: TextIO, stdout: TextIO, kind: str | None, seed: int, level: int) -> None:
        self.stdin, self.stdout = stdin, stdout
        self.kind, self.seed, self.level = kind, seed, level
        self.right = self.total = self.done = 0

    def say(self, text: str = "") -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, prompt: str) -> str:
        """One line typed by the learner, without its newline; _Stop at q or the end of the input."""
        self.stdout.write(prompt)
        self.stdout.flush()
        try:
            line = self.stdin.readline()
        except UnicodeDecodeError:
            self.say()
            return "\0"  # unreadable bytes: not a number, not a command
        if not line:  # end of input (Ctrl-D)
            self.say()
            raise _Stop
        line = line.rstrip("\r\n")
        if line.strip().casefold() in _QUIT:
            raise _Stop
        return line

    def collect(self, ex: Exercise, names: Sequence[str]) -> dict[str, float]:
        """Ask for each unknown in turn: a number, ? for a hint, Enter to skip."""
        answers: dict[str, float] = {}
        for name in names:
            while True:
                text = self.ask(f"  {ex._pretty[name]} = ")
                if not text.strip():
                    break  # skipped: reported as missing
                if text.strip().casefold() in _HINT:
                    self.say("    " + ex.hint(name))
                    continue
                try:
                    answers[name] = parse_number(text)
                    break
                except ValueError as e:
                    why = str(e) if text != "\0" else "that could not be read as text"
                    self.say(
                        f"    {why}: type a number such as −3, 0.5 or 1/2"
                        " (? for a hint, Enter to skip, q to stop)"
                    )
        return answers

    def run(self) -> None:
        self.say("autograd-tiny practice: backpropagation by hand, checked by the engine.")
        self.say("Type a number at each prompt (−3, 0.5 and 1/2 are fine), ? for a hint, Enter to skip,")
        self.say("q (or Ctrl-D) to stop.")
        i = 0
        while True:
            kind = self.kind or KINDS[i % len(KINDS)]
            ex = exercise(kind, seed=self.seed + i, level=self.level)
            self.say()
            self.say(f"── exercise {i + 1}: {kind}, level {self.level}, seed {self.seed + i} ──")
            self.say(ex.question)
            answers = self.collect(ex, ex.unknowns)
            feedback = ex.check(answers)
            self.right, self.total, self.done = (
                self.right + feedback.right,
                self.total + feedback.total,
                self.done + 1,
            )
            self.say(str(feedback))
            while True:
                choice = self.ask(
                    "[Enter] next exercise · [a] answer again the ones not right · [r] reveal · [q] stop: "
                )
                choice = choice.strip().casefold()
                if not choice:
                    break
                if choice == "a" and not feedback:
                    wrong = [v.name for v in feedback.verdicts if v.status != "right"]
                    answers.update(self.collect(ex, wrong))
                    feedback = ex.check(answers)
                    self.say(str(feedback))
                elif choice == "r":
                    self.say(str(feedback.reveal()))
                elif choice != "a":
                    self.say("    type Enter, a, r or q")
                else:
                    self.say("    every answer is right already")
            i += 1

    def score(self) -> str:
        if not self.done:
            return "No exercise was finished, so there is no score yet."
        return (
            f"Score: {self.right} of {self.total} answers right at the first try "
            f"({self.done} exercise{'s' if self.done > 1 else ''})."
        )


def session(
    kind: str | None = None,
    seed: int | None = None,
    level: int = 1,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """The interactive practice of ``autograd-tiny practice``; returns the exit status (130 after Ctrl-C).

    Exercises follow one another (all kinds in turn, or only ``kind``), seeds counting up from
    ``seed`` (a random one if None, printed so it can be repeated). Never a traceback: bad input
    gets a line saying what to type, and q, Ctrl-D or Ctrl-C end the session with the score.
    """
    if kind is not None:
        check_choice(kind, 0, level)
    check_choice(KINDS[0], 0 if seed is None else seed, level)
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    for stream in (stdin, stdout):  # undecodable input and unprintable output become "?", not errors
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    s = _Session(stdin, stdout, kind, secrets.randbelow(1000) if seed is None else seed, level)
    status = 0
    try:
        try:
            s.run()
        except _Stop:
            pass
        except KeyboardInterrupt:
            s.say("\n(interrupted)")
            status = 130
        s.say(s.score())
    except BrokenPipeError:  # the output went away (piped into head, say)
        if stdout is sys.__stdout__:  # Python's recipe: no second error when it flushes at exit
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return status or 1
    except KeyboardInterrupt:  # a second Ctrl-C, while the score is printed
        return 130
    return status
