"""The documentation says what the code does: the command reference names every command and
option, every `bookbuild ...` line written in the docs parses with today's command line, and every
YAML example fits the JSON Schema of book.yaml."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from bookbuild.cli.commands import main
from bookbuild.project import book_json_schema

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").rglob("*.md")), ROOT / "README.md"]
REFERENCE = ROOT / "docs" / "reference" / "commands.md"


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[
    tuple[str, click.Command]
]:  # fmt: skip
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))
        else:
            yield " ".join((*prefix, name)), command


def _options(command: click.Command) -> set[str]:
    return {
        name
        for param in command.params
        if isinstance(param, click.Option)
        for name in (*param.opts, *param.secondary_opts)
    } | {"--help"}


def test_command_reference_names_every_command_and_option() -> None:
    page = REFERENCE.read_text(encoding="utf-8")
    missing = [
        f"bookbuild {name}" for name, _ in _commands(main) if f"`bookbuild {name}" not in page
    ]
    for name, command in _commands(main):
        for param in command.params:
            if isinstance(param, click.Option) and not any(
                re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", page) for opt in param.opts
            ):
                missing.append(f"bookbuild {name} {'/'.join(param.opts)}")
    assert not missing, f"docs/reference/commands.md does not mention: {missing}"


def _code_spans(text: str) -> Iterator[str]:
    """Code blocks (line by line) and inline `code` of a Markdown page."""
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.DOTALL):
        yield from (re.sub(r"(^|\s)#.*", "", line) for line in block.splitlines())
    prose = re.sub(r"```[a-z]*\n.*?```", "", text, flags=re.DOTALL)
    yield from re.findall(r"`([^`\n]+)`", prose)


def _command_lines(text: str) -> Iterator[list[str]]:
    """The words of each `bookbuild ...` command written in code, up to a pipe, `&&`, `;`, a
    comment or a redirection; `…` and placeholders in capitals are left as they are."""
    for span in _code_spans(text):
        for found in re.finditer(r"(?:^|[\s(])bookbuild( [^#|;&>]*)?", span):
            tail = (found.group(1) or "").strip()
            try:
                yield shlex.split(tail)
            except ValueError:  # an unbalanced quote in an example: check the plain words
                yield tail.split()


def _resolve(words: list[str]) -> tuple[click.Command | None, list[str], str]:
    """The (sub)command the words name, the words after it, and its name."""
    command: click.Command = main
    name = ""
    rest = list(words)
    while isinstance(command, click.Group) and rest:
        if rest[0].startswith("-"):
            if rest[0] not in _options(command):
                return None, rest, name or "bookbuild"
            rest = rest[1:]
            continue
        sub = command.commands.get(rest[0])
        if sub is None:
            return (None if re.fullmatch(r"[a-z]+", rest[0]) else command), rest, rest[0]
        name = f"{name} {rest[0]}".strip()
        command, rest = sub, rest[1:]
    return command, rest, name


def _unknown_options(words: list[str]) -> list[str]:
    command, rest, name = _resolve(words)
    if command is None:
        return [f"bookbuild {' '.join(words)}: no command `{name}`"]
    known = _options(command)
    return [
        f"bookbuild {' '.join(words)}: `{name}` has no option {option}"
        for option in (w.split("=", 1)[0] for w in rest if w.startswith("-") and w != "-")
        if re.fullmatch(r"--?[a-z][a-z0-9-]*", option) and option not in known
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_written_in_the_docs_exists_with_its_options(page: Path) -> None:
    problems = [
        problem
        for words in _command_lines(page.read_text(encoding="utf-8"))
        for problem in _unknown_options(words)
    ]
    assert not problems, problems


def test_the_command_check_catches_a_renamed_option_and_command() -> None:
    page = "Run `bookbuild make --drafts` or\n```sh\nbookbuild publish book\n```\n"
    problems = [p for words in _command_lines(page) for p in _unknown_options(words)]
    assert len(problems) == 2
    assert any("`make` has no option --drafts" in p for p in problems)
    assert any("no command `publish`" in p for p in problems)
    assert not [p for w in _command_lines("```sh\nls  # bookbuild runs here\n```") for p in w]


def _schema_for(data: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any] | None:
    """The whole book's schema when the example's keys are book.yaml's, else the one definition
    (an illustration, a chapter, ...) that has every key of the example; None when none has."""
    if set(data) <= set(schema["properties"]):
        return schema
    fitting = [
        name
        for name, definition in schema["$defs"].items()
        if set(data) <= set(definition.get("properties", {}))
    ]
    if not fitting:
        return None
    return {"$defs": schema["$defs"], "$ref": f"#/$defs/{fitting[0]}"}


def _yaml_examples(text: str) -> Iterator[str]:
    yield from re.findall(r"```ya?ml\n(.*?)```", text, re.DOTALL)


def _schema_problems(example: str, schema: dict[str, Any]) -> list[str]:
    data = yaml.safe_load(example)
    if not isinstance(data, dict):
        return []
    target = _schema_for(data, schema)
    if target is None:
        return [f"no part of book.yaml has the fields {sorted(data)}"]
    validator = jsonschema.Draft202012Validator(target)
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in validator.iter_errors(data)
        if error.validator != "required"  # examples show a few fields, not whole books
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_example_in_the_docs_fits_the_schema(page: Path) -> None:
    schema = book_json_schema()
    problems = [
        problem
        for example in _yaml_examples(page.read_text(encoding="utf-8"))
        for problem in _schema_problems(example, schema)
    ]
    assert not problems, problems


def test_the_schema_check_catches_a_field_that_does_not_exist() -> None:
    schema = book_json_schema()
    assert _schema_problems("style: {theme: novel, colour: red}\n", schema)
    assert _schema_problems("models:\n  w: {provider: openai, modle: gpt-4o-mini}\n", schema)
    assert _schema_problems("freeze: true\ntake: 2\nprompt: a hare\n", schema) == []


def _listed_fields(paragraph: str) -> list[str]:
    """The `field` names a "Preset fields:" paragraph lists: those outside parentheses, up to
    the end of its first sentence (what follows is prose about them)."""
    depth = 0
    names: list[str] = []
    for token in re.finditer(r"[()]|[.;](?=\s)|`([a-z_][a-z0-9_]*)(?::[^`]*)?`", paragraph):
        text = token.group(0)
        if text in "()":
            depth += 1 if text == "(" else -1
        elif text in ".;":
            if depth == 0:
                break
        elif depth == 0:
            names.append(token.group(1))
    return names


BACKEND_PAGES = ["comfyui", "diffusers", "openai", "openai-images", "sdapi", "stability"]


@pytest.mark.parametrize("page", BACKEND_PAGES)
def test_each_back_end_page_lists_fields_its_presets_have(page: str) -> None:
    text = (ROOT / "docs" / "backends" / f"{page}.md").read_text(encoding="utf-8")
    (paragraph,) = re.findall(r"Preset fields:(.*?)(?:\n\n|$)", text, re.DOTALL)
    listed = _listed_fields(paragraph)
    provider = page.split("-")[0]
    fields = book_json_schema()["$defs"][f"{provider.capitalize()}Preset"]["properties"]
    assert len(listed) >= 3, listed
    assert not [name for name in listed if name not in fields], (page, listed)


def test_the_field_list_stops_at_the_sentence_and_skips_parentheses() -> None:
    paragraph = "`a`, `b` (like `c`; or `d`), `e: {x}`; `validate` checks them. `f`"
    assert _listed_fields(paragraph) == ["a", "b", "e"]


BOOK_FILES = (".", "build/", "book", "chapters/", "masks/", "art/", "theme/", "workflows/", "my")


def _repository_paths(text: str) -> list[str]:
    """Files of this repository a page names in code (`graph/ops.py`, `scripts/install.sh`,
    `tests/graph/test_plan_keys.py`): not the files of a book, which are examples."""
    found = re.findall(r"`([A-Za-z0-9_./-]+/[A-Za-z0-9_.-]+\.(?:py|sh|toml|yml|cfg))`", text)
    return sorted({path for path in found if not path.startswith(BOOK_FILES)})


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_source_file_the_docs_name_exists(page: Path) -> None:
    missing = [
        path
        for path in _repository_paths(page.read_text(encoding="utf-8"))
        if not any((base / path).exists() for base in (ROOT, ROOT / "src" / "bookbuild"))
    ]
    assert not missing, missing


def test_the_path_check_reads_source_paths_and_leaves_book_files() -> None:
    text = "see `graph/ops.py`, `tests/core/test_plan_keys.py` and `chapters/one.md`, `art/a.py`"
    assert _repository_paths(text) == ["graph/ops.py", "tests/core/test_plan_keys.py"]
    assert not (ROOT / "tests/core/test_plan_keys.py").exists()  # so the check would fail it
