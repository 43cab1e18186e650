"""The tools print figures for a person: library deprecation warnings only with VERBOSE=1."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

SNIPPET = (
    "import warnings, tools; "
    "warnings.warn('a library deprecation', DeprecationWarning); "
    "warnings.warn('a real problem', UserWarning)"
)


@pytest.mark.parametrize("verbose, shows_deprecation", [("", False), ("0", False), ("1", True)])
def test_tools_hide_library_deprecations_unless_verbose(
    verbose: str, shows_deprecation: bool
) -> None:
    env = {**os.environ, "VERBOSE": verbose, "PYTHONWARNINGS": "default"}
    result = subprocess.run(
        [sys.executable, "-c", SNIPPET], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert ("a library deprecation" in result.stderr) is shows_deprecation
    assert "a real problem" in result.stderr
