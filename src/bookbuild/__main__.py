"""`python -m bookbuild ...`: the same as the `bookbuild` command."""

from bookbuild.cli.entry import main

main()
