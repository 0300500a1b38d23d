"""Headless Chromium for the tests that run a page's script: its flags and the DOM after the script ran."""

from __future__ import annotations

import subprocess
from pathlib import Path


def flags(profile: Path) -> list[str]:
    """The command-line flags of a headless Chromium with its own profile folder."""
    return ["--headless=new", "--disable-gpu", "--no-sandbox", "--no-first-run", "--window-size=1600,900",
            f"--user-data-dir={profile}"]  # fmt: skip


def dump(chromium: str, page: Path, fragment: str, tmp_path: Path) -> str:
    """The page's DOM after its script has run, opened at ``page#fragment``."""
    url = page.as_uri() + fragment
    cmd = [chromium, *flags(tmp_path / "profile"), "--virtual-time-budget=5000", "--dump-dom", url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "<html" in out.stdout, out.stderr[-2000:]
    return out.stdout
