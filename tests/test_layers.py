"""The package's layers, written down as import-linter contracts in pyproject.toml, hold, and
they break when a module imports against the flow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    command = [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _package_copy(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "bookbuild", src / "bookbuild", ignore=shutil.ignore_patterns("__pycache__")
    )
    return src


def test_import_contracts_hold() -> None:
    result = _lint(ROOT / "src", ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_spec_importing_a_build_module_breaks_the_contracts(tmp_path: Path) -> None:
    src = _package_copy(tmp_path)
    models = src / "bookbuild" / "spec" / "models.py"
    models.write_text(models.read_text() + "\nimport bookbuild.build.make  # noqa: E402\n")
    result = _lint(src, tmp_path)
    assert result.returncode == 1
    assert "bookbuild.spec is not allowed to import bookbuild.build" in result.stdout


def test_a_provider_importing_another_breaks_the_contracts(tmp_path: Path) -> None:
    src = _package_copy(tmp_path)
    options = src / "bookbuild" / "providers" / "a1111" / "options.py"
    options.write_text(options.read_text() + "\nimport bookbuild.providers.sdapi.options  # noqa\n")
    result = _lint(src, tmp_path)
    assert result.returncode == 1
    assert "Back ends are independent of each other BROKEN" in result.stdout


def test_a_type_only_circle_breaks_the_contracts(tmp_path: Path) -> None:
    src = _package_copy(tmp_path)
    freeze = src / "bookbuild" / "graph" / "freeze.py"
    circle = (
        "\nfrom typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import bookbuild.graph.plan\n"
    )
    freeze.write_text(freeze.read_text() + circle)
    result = _lint(src, tmp_path)
    assert result.returncode == 1
    assert "No cycles are allowed in bookbuild.graph" in result.stdout


def test_the_library_importing_click_breaks_the_contracts(tmp_path: Path) -> None:
    src = _package_copy(tmp_path)
    engine = src / "bookbuild" / "build" / "engine.py"
    engine.write_text(engine.read_text() + "\nimport click  # noqa\n")
    result = _lint(src, tmp_path)
    assert result.returncode == 1
    assert "bookbuild.build is not allowed to import click" in result.stdout
