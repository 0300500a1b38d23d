import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def dot_program() -> str:
    """Graphviz's `dot`: the drawing tests render real files with it (never skipped)."""
    path = shutil.which("dot")
    assert path, (
        "these tests render with Graphviz's `dot`: install it (Debian/Ubuntu: apt-get install graphviz)"
    )
    return path
