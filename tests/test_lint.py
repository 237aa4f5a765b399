"""The habits the architecture asks for, checked with the tests: ruff, mypy and the import contracts.

Configuration lives in pyproject.toml ([tool.ruff], [tool.mypy],
[tool.importlinter]); a failure prints the tool's own report.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*cmd: str, timeout: float) -> None:
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}"


def test_ruff_finds_nothing() -> None:
    _run(sys.executable, "-m", "ruff", "check", "--no-cache", ".", timeout=120)


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_mypy_passes_on_the_packages_without_a_display() -> None:
    _run(sys.executable, "-m", "mypy", timeout=380)


def test_import_contracts_are_kept() -> None:
    """Only rtcc_desktop.ui imports Qt/pyqtgraph/folium; the store and model never import upwards."""
    _run(str(BIN / "lint-imports"), "--no-cache", timeout=120)
