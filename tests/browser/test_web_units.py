"""The studio's TypeScript: strict type check and its unit tests (node's test runner)."""

from __future__ import annotations

import shutil
import subprocess

from .harness import WEB


def test_typescript_is_strict_clean_and_its_unit_tests_pass() -> None:
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed for the studio (apt-get install nodejs npm)"
    typecheck = subprocess.run([npm, "run", "typecheck"], cwd=WEB, capture_output=True, text=True)
    assert typecheck.returncode == 0, typecheck.stdout + typecheck.stderr
    tests = subprocess.run([npm, "test"], cwd=WEB, capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    assert "# fail 0" in tests.stdout
