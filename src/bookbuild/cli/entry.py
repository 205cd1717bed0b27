"""The `bookbuild` command: a `make` with nothing to do is answered from the stamp (stamp.py)
before the command line (click, rich) or the library (pydantic, providers) is imported."""

from __future__ import annotations

import sys


def main() -> None:
    from bookbuild.build.stamp import try_fast_make

    if try_fast_make(sys.argv[1:]):
        sys.exit(0)
    from bookbuild.cli.commands import main as cli_main

    cli_main(prog_name="bookbuild", complete_var="_BOOKBUILD_COMPLETE")
