"""scripts/install.sh, the user install: the Debian packages in one apt-get command, then pipx (or
a venv of its own); and the wheel the project builds carries everything `init` and `make` need."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib import metadata
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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel the project builds (what `scripts/install.sh --wheel` installs)."""
    wheels = tmp_path_factory.mktemp("wheels")
    source = tmp_path_factory.mktemp("source") / "bookbuild"  # setuptools writes build/ here:
    source.mkdir()  # never in the checkout, where an earlier build's stale files would be packed
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns(
        "*.egg-info", "__pycache__"))  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(source)],
        check=True, timeout=300, cwd=wheels,
    )  # fmt: skip
    (built,) = wheels.glob("bookbuild-*.whl")
    return built


@pytest.mark.timeout(600)
def test_wheel_installs_in_a_fresh_venv_and_makes_a_book_from_a_template(
    wheel: Path, tmp_path: Path
) -> None:
    """The wheel holds the templates and themes: installed by pip (offline, without its
    dependencies, which the shared environment lends) into a fresh venv, its own `bookbuild`
    command creates a book, builds its draft, and answers the rebuild from the stamp."""
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.startswith("bookbuild/booktemplates/picture-book/") for n in names)
    assert any(n.startswith("bookbuild/templates/picture-book/") for n in names)
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(fresh / "bin" / "python"), "install", "-q",
         "--no-deps", "--no-index", str(wheel)],
        check=True, timeout=300, cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},  # src/ is not installed
    )  # fmt: skip
    site = next((fresh / "lib").glob("python3*/site-packages"))
    assert list(site.glob("bookbuild-*.dist-info/entry_points.txt"))
    lent = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(lent)}
    env.pop("BOOKBUILD_NO_FASTPATH", None)
    book = tmp_path / "book"

    def bookbuild(*args: str) -> str:
        done = subprocess.run(
            [str(fresh / "bin" / "bookbuild"), *args], capture_output=True, text=True, env=env,
            cwd=tmp_path, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "bookbuild" in bookbuild("--version")
    done = subprocess.run(
        [str(fresh / "bin" / "python"), "-c", "import bookbuild; print(bookbuild.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert done.stdout.startswith(str(site)), done.stdout  # the wheel's copy, not the checkout
    bookbuild("init", str(book), "--template", "picture-book")
    out = bookbuild("make", str(book), "--draft", "--plain")
    assert (book / "build" / "index.html").exists()
    assert "html:" in out and "cover pdf:" in out
    assert "up to date" in bookbuild("make", str(book), "--draft", "--plain")


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level module -> the package files importing it, for every import that is neither
    the standard library nor bookbuild (read from the source, not from what happens to run)."""
    found: dict[str, set[str]] = {}
    for source in (ROOT / "src" / "bookbuild").rglob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "bookbuild":
                    found.setdefault(top, set()).add(str(source.relative_to(ROOT / "src")))
    return found


def _requirements(wheel: Path) -> dict[str, set[str]]:
    """The wheel's Requires-Dist by extra ("" for the ones every install gets)."""
    with zipfile.ZipFile(wheel) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode("utf-8").splitlines()
    wanted: dict[str, set[str]] = {}
    for line in lines:
        if line.startswith("Requires-Dist:"):
            requirement = line.split(":", 1)[1].strip()
            extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", requirement)
            name = re.match(r"[A-Za-z0-9._-]+", requirement)
            assert name is not None, line
            wanted.setdefault(extra.group(1) if extra else "", set()).add(_norm(name.group(0)))
    return wanted


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(names: set[str]) -> set[str]:
    """The distributions and, installed here, everything they require (their extras aside)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" not in requirement:
                found = re.match(r"[A-Za-z0-9._-]+", requirement)
                todo += [_norm(found.group(0))] if found else []
    return seen


def _unrequired(wanted: dict[str, set[str]]) -> list[str]:
    """Each third-party import that no requirement (or what it pulls in) provides; the
    diffusers back end may use its extra."""
    base = _closure(wanted[""])
    with_extras = _closure(wanted[""] | wanted.get("diffusers", set()))
    providers = metadata.packages_distributions()
    missing = []
    for module, files in sorted(_third_party_imports().items()):
        dists = {_norm(d) for d in providers.get(module, [])}
        optional = all(f.startswith("bookbuild/providers/diffusers/") for f in files)
        if not dists & (with_extras if optional else base):
            missing.append(f"{module} ({', '.join(sorted(files))}): from {sorted(dists)}")
    return missing


def test_the_wheel_declares_every_library_the_package_imports(wheel: Path) -> None:
    """A library imported but not required would pass the test above (the shared environment
    lends it) and fail a user's `pipx install`: each import must come from a requirement of
    the wheel, or from what a requirement pulls in; the diffusers back end from its extra."""
    wanted = _requirements(wheel)
    assert {"weasyprint", "pydantic", "openai"} <= wanted[""]  # the check reads real metadata
    assert not _unrequired(wanted)


def test_the_import_check_names_a_library_left_out_of_the_requirements(wheel: Path) -> None:
    wanted = _requirements(wheel)
    wanted[""] -= {"requests"}
    missing = _unrequired(wanted)
    assert [m for m in missing if m.startswith("requests (")], missing
    wanted[""] -= {"watchfiles"}
    assert any(m.startswith("watchfiles (bookbuild/studio/") for m in _unrequired(wanted))
