"""The no-op stamp: `make` with nothing to do answers before click, pydantic or a provider loads.

A successful `make` records in `<book>/.bookbuild/stamp` the options it ran with and the
`os.stat` of every input it read (the spec, chapter files, masks, input pictures, the stylesheet,
theme files, bookbuild's own modules and templates, the lock, each pinned store object, the fonts
the PDF uses) and of the outputs it left, plus the paths that must stay absent (a `theme/` folder
not there). The next `make` with the same options re-stats them; when every one matches it
prints what a no-op build prints and exits. Anything else (another option, a changed or missing
file, a build running, an unreadable stamp, BOOKBUILD_NO_FASTPATH set) falls through to the full
build, which removes the stamp before reading anything and writes a new one (atomically) only
after it succeeded.

This module imports only the standard library's cheapest modules: it runs on every `make`.
"""

from __future__ import annotations

import marshal
import os
import sys
import time

STAMP_FORMAT = 1
STAMP_NAME = "stamp"
STAMP_MAGIC = b"bookbuild stamp\n"  # then marshal data: json would cost more to import than to use
DISABLE_ENV = "BOOKBUILD_NO_FASTPATH"
FORMATS = ("html", "pdf", "epub")
MAX_JOBS = 64
_QUIET_FLAGS = frozenset({"--plain", "--progress", "--verbose", "-v"})  # no effect on a no-op


NOOP_RENDER_LINE = "render outputs are up to date"  # the reporter's line for `render_skipped`


def summary_lines(
    calls: int, cached: int, outputs: list[tuple[str, str, int]], state: str
) -> list[str]:
    """What `make` prints when it is done; `outputs` holds (format, path, size in bytes)."""
    lines = [f"{calls} model call(s), {cached} step(s) from cache"]
    lines += [f"{fmt}: {path} ({state}, {size / 1024:.0f} KiB)" for fmt, path, size in outputs]
    return lines


def fs_clock_ns() -> int:
    """Now, as the file system stamps a file modified now (Linux: the coarse clock), so that a
    file modified from here on has an mtime at or after this value."""
    coarse = getattr(time, "CLOCK_REALTIME_COARSE", 5 if sys.platform == "linux" else None)
    if coarse is None:
        return time.time_ns() - 2_000_000_000
    return time.clock_gettime_ns(coarse)


def stamp_path(root: str) -> str:
    return os.path.join(root, ".bookbuild", STAMP_NAME)


def read_stamp(root: str) -> object:
    """The stamp of the book folder `root`; ValueError if it is not one."""
    with open(stamp_path(root), "rb") as handle:
        data = handle.read()
    if not data.startswith(STAMP_MAGIC):
        raise ValueError("not a bookbuild stamp")
    return marshal.loads(data[len(STAMP_MAGIC) :])


def dump_stamp(stamp: dict[str, object]) -> bytes:
    return STAMP_MAGIC + marshal.dumps(stamp)


def spec_file(path: str) -> str:
    """The real path of the spec `make PATH` reads (what the loader's `_locate` resolves)."""
    candidate = os.path.join(path, "book.yaml") if os.path.isdir(path) else path
    return os.path.realpath(candidate)


def stamp_options(
    spec: str, draft: bool, locked: bool, strict: bool, formats: list[str], budget: float | None
) -> dict[str, object]:
    """Everything besides the files that decides what `make` does, as plain JSON."""
    from bookbuild.version import __version__

    return {
        "stamp": STAMP_FORMAT,
        "bookbuild": __version__,
        "python": sys.executable,
        "spec": spec,
        "draft": draft,
        "locked": locked,
        "strict": strict,
        "formats": formats,
        "budget": budget,
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", "").strip(),
    }


def file_state(path: str) -> list[object] | None:
    """What the stamp remembers of a file or folder: None when it does not exist."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return [path, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode]


def parse_formats(value: str) -> list[str] | None:
    formats = list(dict.fromkeys(f.strip().lower() for f in value.split(",") if f.strip()))
    if not formats or any(f not in FORMATS for f in formats):
        return None
    return formats


class MakeArgs:
    """The options of `make` that the fast path understands."""

    def __init__(self) -> None:
        self.path: str | None = None
        self.draft = False
        self.locked = False
        self.strict = False
        self.formats: list[str] | None = ["html", "pdf"]
        self.budget: float | None = None
        self.jobs_ok = True

    def ok(self) -> bool:
        budget_ok = self.budget is None or 0 <= self.budget < float("inf")
        return self.formats is not None and self.jobs_ok and budget_ok


def parse_make_args(argv: list[str]) -> MakeArgs | None:
    """The options of `[--debug] make [PATH] [options]`, or None for anything else (--only,
    --help, a bad value, an unknown option): the full command line then says what is wrong."""
    args = argv[1:] if argv[:1] == ["--debug"] else argv
    if args[:1] != ["make"]:
        return None
    found = MakeArgs()
    rest = args[1:]
    while rest:
        token, rest = rest[0], rest[1:]
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if token.startswith("-j") and token[2:].isdigit():
            name, eq, value = "-j", "=", token[2:]
        if name in ("--draft", "--locked", "--strict") and not eq:
            setattr(found, name[2:], True)
        elif name in _QUIET_FLAGS and not eq:
            continue
        elif name in ("--format", "--jobs", "-j", "--budget"):
            if not eq and not rest:
                return None
            if not eq:
                value, rest = rest[0], rest[1:]
            if not _take_value(found, name, value):
                return None
        elif token.startswith("-") or found.path is not None:
            return None
        else:
            found.path = token
    return found if found.ok() else None


def _take_value(found: MakeArgs, name: str, value: str) -> bool:
    if name == "--format":
        found.formats = parse_formats(value)
    elif name == "--budget":
        try:
            found.budget = float(value)
        except ValueError:
            return False
    else:
        found.jobs_ok = value.isdigit() and 1 <= int(value) <= MAX_JOBS
    return True


def try_fast_make(argv: list[str]) -> bool:
    """Print the report of a no-op `make` and return True if the stamp says there is nothing to
    do; return False (having printed nothing) whenever there is the least doubt."""
    if os.environ.get(DISABLE_ENV):
        return False
    found = parse_make_args(argv)
    if found is None or found.formats is None:
        return False
    try:
        spec = spec_file(found.path or ".")
        root = os.path.dirname(spec)
        stamp = read_stamp(root)
    except (OSError, ValueError, EOFError, TypeError):
        return False
    options = stamp_options(
        spec, found.draft, found.locked, found.strict, found.formats, found.budget
    )
    if not isinstance(stamp, dict) or stamp.get("options") != options:
        return False
    return _report_if_unchanged(root, stamp)


def _report_if_unchanged(root: str, stamp: dict[str, object]) -> bool:
    import fcntl

    try:
        fd = os.open(os.path.join(root, ".bookbuild", "make.lock"), os.O_RDONLY)
    except OSError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # a build running: it decides
        except OSError:
            return False
        if not _unchanged(stamp.get("files"), stamp.get("absent")):
            return False
        lines = stamp.get("report")
        if not isinstance(lines, list):
            return False
        sys.stdout.write("".join(f"{line}\n" for line in lines))
        sys.stdout.flush()
        return True
    finally:
        os.close(fd)


def _unchanged(files: object, absent: object) -> bool:
    if not isinstance(files, list) or not isinstance(absent, list) or not files:
        return False
    for recorded in files:
        if not isinstance(recorded, list) or not recorded or not isinstance(recorded[0], str):
            return False
        try:
            if file_state(recorded[0]) != recorded:
                return False
        except OSError:
            return False
    return all(isinstance(path, str) and not os.path.lexists(path) for path in absent)
