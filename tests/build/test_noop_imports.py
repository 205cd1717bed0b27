"""A build with nothing to do must not pay for importing WeasyPrint or the openai SDK."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
from tests.conftest import copy_sample

PROBE = """
import sys
from pathlib import Path
from bookbuild.build.make import MakeOptions, make
from bookbuild.project import Project
summary = make(Project.open(Path(sys.argv[1]), draft=True), MakeOptions(formats=("html", "pdf")))
heavy = sorted(m for m in ("weasyprint", "openai") if m in sys.modules)
print(len(summary.called), summary.rendered, ",".join(heavy) or "none")
"""


def test_noop_build_imports_neither_weasyprint_nor_openai(tmp_path: Path) -> None:
    folder = copy_sample("lighthouse-fox", tmp_path)
    make(Project.open(folder, draft=True), MakeOptions(formats=("html", "pdf")))
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(folder)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["0", "False", "none"]
