"""Load book.yaml: read it (bounded), parse it with positions, validate it, check it makes sense.

load_spec(path)
  ├── locate the file           ConfigError if there is none (exit 2, with a hint)
  ├── read and parse the YAML   SpecError for size, syntax, alias bombs, duplicate keys
  ├── validate with pydantic    every error at its own line:col, all at once
  ├── validate_book             presets, providers, ids and paths (see validate.py)
  └── checks                    the caller's own (validate: fonts), reported with the rest
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bookbuild.errors import ConfigError, SpecError, SpecIssue
from bookbuild.spec.catalog import ProviderCatalog
from bookbuild.spec.issues import IssueBuilder
from bookbuild.spec.loaded import SPEC_NAME, LoadedSpec, display_name, position_of
from bookbuild.spec.models import Book, Edit
from bookbuild.spec.positions import Loc, ParsedYaml, parse_yaml
from bookbuild.spec.preset_loading import load_presets
from bookbuild.spec.salvage import salvage_book
from bookbuild.spec.validate import validate_book

MAX_SPEC_BYTES = 1024 * 1024


def load_spec(
    path: Path,
    catalog: ProviderCatalog,
    *,
    checks: Sequence[Callable[[LoadedSpec], list[SpecIssue]]] = (),
) -> LoadedSpec:
    """Load and validate a spec file, or the book.yaml in a folder, against the back ends of
    `catalog` (`bookbuild.providers.registry.CATALOG`; `bookbuild.load_spec` passes it).
    `checks` add the issues of checks from higher layers (fonts, for `validate`), reported
    with the spec's own so that every problem is named at once.

    Raise ConfigError if there is no such file, SpecError with every problem found otherwise.
    """
    spec_path = _locate(path)
    display = display_name(path, spec_path)
    text = _read_text(spec_path, display)
    parsed = parse_yaml(text, display)
    data = _top_mapping(parsed.data, display)
    issues = list(parsed.issues)
    normalised = _normalise_edits(data)
    book, found = _validate_book(normalised, data, parsed, display, catalog)
    issues += found
    spec = LoadedSpec(
        book=book,
        path=spec_path,
        root=spec_path.parent,
        text=text,
        positions=parsed.positions,
        key_positions=parsed.key_positions,
        display_name=display,
        catalog=catalog,
    )
    issues += validate_book(spec, catalog)
    for check in checks:
        issues += check(spec)
    if issues:
        raise SpecError(_unique(issues))
    return spec


def _validate_book(
    normalised: dict[str, Any],
    data: dict[str, Any],
    parsed: ParsedYaml,
    display: str,
    catalog: ProviderCatalog,
) -> tuple[Book, list[SpecIssue]]:
    """The Book, its presets validated by their providers' options models; every issue."""

    def issue_at(loc: Loc, message: str) -> SpecIssue:
        line, col = position_of(parsed.positions, loc)
        return SpecIssue(display, line, col, message)

    def errors_at(exc: ValidationError, at: Loc, model: type[BaseModel]) -> list[SpecIssue]:
        builder = IssueBuilder(display, data, parsed.positions, parsed.key_positions, {at: model})
        return builder.add_all(exc, at)

    presets, issues = load_presets(data.get("models"), catalog, issue_at, errors_at)
    if "models" in normalised:
        normalised = {**normalised, "models": presets}
    try:
        return Book.model_validate(normalised), issues
    except ValidationError as exc:
        builder = IssueBuilder(display, data, parsed.positions, parsed.key_positions)
        issues += builder.add_all(exc)
        return salvage_book(normalised), issues  # the semantic checks still run on the rest


def _locate(path: Path) -> Path:
    candidate = path / SPEC_NAME if path.is_dir() else path
    if candidate.is_file():
        return candidate.resolve()
    if path.is_dir():
        raise ConfigError(
            f"no {SPEC_NAME} in {path}: pass the spec file itself, "
            f"or run `bookbuild init {path}` to start a book there"
        )
    raise ConfigError(
        f"spec file not found: {path}; check the path, or run `bookbuild init` to start a book"
    )


def _read_text(spec_path: Path, display: str) -> str:
    try:
        with spec_path.open("rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {display}: {exc.strerror or exc}") from None
    if len(raw) > MAX_SPEC_BYTES:
        message = (
            f"the spec is larger than {MAX_SPEC_BYTES // 1024} KiB; "
            "move long texts into chapter files (`file: chapters/one.md`)"
        )
        raise SpecError([SpecIssue(display, 1, 1, message)])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        message = "the spec is not UTF-8 text; save it as UTF-8"
        raise SpecError([SpecIssue(display, line, col, message)]) from None


def _top_mapping(data: Any, display: str) -> dict[str, Any]:
    if isinstance(data, dict):
        return data
    if data is None:
        message = "the spec is empty; it needs at least `title:` and `chapters:`"
    else:
        kind = "a list" if isinstance(data, list) else "a single value"
        message = (
            f"the top level of the spec must be a mapping (`title: ...`, `chapters: ...`), "
            f"not {kind}"
        )
    raise SpecError([SpecIssue(display, 1, 1, message)])


_EDIT_OPS = frozenset(Edit.model_fields)


def _normalise_edits(data: dict[str, Any]) -> dict[str, Any]:
    """Accept `- upscale`, `- remove_background: true` and `- remove_background:` as `{}`."""
    illustrations: list[Any] = [data.get("cover")]
    chapters = data.get("chapters")
    for chapter in chapters if isinstance(chapters, list) else []:
        found = chapter.get("illustrations") if isinstance(chapter, dict) else None
        illustrations += found if isinstance(found, list) else []
    for illustration in illustrations:
        edits = illustration.get("edits") if isinstance(illustration, dict) else None
        if isinstance(edits, list):
            illustration["edits"] = [_normalise_edit(edit) for edit in edits]
    return data


def _normalise_edit(edit: Any) -> Any:
    if isinstance(edit, str) and edit in _EDIT_OPS:
        return {edit: {}}
    if isinstance(edit, dict):
        return {
            key: {} if key in _EDIT_OPS and (value is None or value is True) else value
            for key, value in edit.items()
        }
    return edit


def _unique(issues: list[SpecIssue]) -> list[SpecIssue]:
    return list(dict.fromkeys(issues))
