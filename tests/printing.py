"""Test-only helpers: a page printed by headless Chromium to PDF, read back with poppler, as a
teacher's printer would get it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest


def find_printer() -> str:
    """A Chromium to print with, with poppler's tools to read the PDF (CI installs both); else skip,
    saying what to install."""
    for tool, package in (("pdftotext", "poppler-utils"), ("pdfinfo", "poppler-utils")):
        if shutil.which(tool) is None:
            pytest.skip(f"reading a printed page needs {tool}: apt-get install {package}")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("printing a page needs Chromium: apt-get install chromium")


def print_pdf(chromium: str, page: Path, tmp_path: Path) -> Path:
    """``page`` printed to a PDF beside it, by Chromium's own print path."""
    pdf = page.with_suffix(".pdf")
    cmd = [chromium, "--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
           page.as_uri()]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and pdf.exists(), done.stderr[-2000:]
    return pdf


def pdf_pages(pdf: Path) -> tuple[int, float, float]:
    """(pages, width, height in points) from pdfinfo."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    w, h = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups()
    return pages, float(w), float(h)


def pdf_text(pdf: Path, page: int | None = None) -> str:
    """The text of the PDF (or of one page), laid out as printed."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    cmd = ["pdftotext", "-layout", *pages, str(pdf), "-"]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
