"""scripts/install.sh, the user install: the Debian packages in one apt-get command, then pipx (or
a venv of its own); and the wheel the project builds carries everything `init` and `make` need."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install.sh"


def _fake_bin(tmp_path: Path, **programs: str) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, body in programs.items():
        tool = folder / name
        tool.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        tool.chmod(0o755)
    return folder


def _install(tmp_path: Path, *args: str, path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path, "HOME": str(tmp_path)}
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_install_names_every_missing_debian_package_in_one_apt_get_command(tmp_path: Path) -> None:
    fake = _fake_bin(tmp_path, **{"dpkg-query": "exit 1"})  # nothing is installed
    done = _install(tmp_path, "--dry-run", path=f"{fake}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    installs = [line for line in done.stderr.splitlines() if "apt-get install" in line]
    assert len(installs) == 1
    for package in ("pipx", "python3-venv", "fonts-noto-cjk", "libpango-1.0-0", "poppler-utils"):
        assert package in installs[0]
    assert f"+ pipx install --force {ROOT}" in done.stderr


def test_install_skips_apt_when_every_package_is_there(tmp_path: Path) -> None:
    fake = _fake_bin(tmp_path, **{"dpkg-query": "echo 'install ok installed'", "pipx": "exit 0"})
    done = _install(tmp_path, "--dry-run", path=f"{fake}:/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    assert "apt-get" not in done.stderr
    assert "Debian packages already installed" in done.stderr


def test_install_without_pipx_uses_a_venv_of_its_own_linked_into_local_bin(tmp_path: Path) -> None:
    done = _install(tmp_path, "--dry-run", "--no-apt", "--no-pipx", path="/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    assert "without pipx" in done.stderr and "pipx install" not in done.stderr
    venv_dir = tmp_path / ".local/share/bookbuild/venv"
    assert f"+ python3 -m venv {venv_dir}" in done.stderr
    assert f"+ ln -sf {venv_dir}/bin/bookbuild {tmp_path}/.local/bin/bookbuild" in done.stderr


def test_install_refuses_an_unknown_option(tmp_path: Path) -> None:
    done = _install(tmp_path, "--fast", path="/usr/bin:/bin")
    assert done.returncode == 2
    assert "unknown option --fast" in done.stderr


@pytest.mark.timeout(600)
def test_wheel_installs_in_a_fresh_venv_and_makes_a_book_from_a_template(tmp_path: Path) -> None:
    """The wheel holds the templates and themes: installed (without its dependencies, which the
    shared environment lends) it creates a book and builds its draft."""
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(ROOT)],
        check=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = wheels.glob("bookbuild-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("bookbuild/booktemplates/picture-book/") for n in names)
    assert any(n.startswith("bookbuild/templates/picture-book/") for n in names)
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    site = next((fresh / "lib").glob("python3*/site-packages"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)  # what pip does for a pure-Python wheel, minus the metadata
    lent = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(lent), "BOOKBUILD_NO_FASTPATH": "1"}
    python = str(fresh / "bin" / "python")
    book = tmp_path / "book"

    def bookbuild(*args: str) -> str:
        done = subprocess.run(
            [python, "-m", "bookbuild", *args], capture_output=True, text=True, env=env,
            cwd=tmp_path, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "bookbuild" in bookbuild("--version")
    done = subprocess.run(
        [python, "-c", "import bookbuild; print(bookbuild.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.stdout.startswith(str(site)), done.stdout  # the wheel's copy, not the checkout
    bookbuild("init", str(book), "--template", "picture-book")
    out = bookbuild("make", str(book), "--draft", "--plain")
    assert (book / "build" / "index.html").exists()
    assert "html:" in out
