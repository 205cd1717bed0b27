"""spec/ and plan never import the renderer (they ask the pure style parser) or a provider a
book does not name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "sample_books" / "hare-and-tortoise"


def test_loading_and_planning_a_book_imports_no_render_module() -> None:
    code = (
        "import sys; from pathlib import Path; from bookbuild.project import load_spec; "
        "from bookbuild.graph.plan import plan_book; "
        f"plan_book(load_spec(Path({str(SAMPLE)!r})), draft=True); "
        "print(sorted(m for m in sys.modules if m.startswith(('bookbuild.render', 'jinja2', "
        "'weasyprint'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
