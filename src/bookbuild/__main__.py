"""`python -m bookbuild ...`: the same as the `bookbuild` command."""

from bookbuild.entry import main

main()
