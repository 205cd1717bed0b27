"""Loading book.yaml: positions, plain-words errors at exact line:col, bounded input."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookbuild.errors import ConfigError, SpecError, SpecIssue, UserError
from bookbuild.project import load_spec
from bookbuild.spec import LoadedSpec
from bookbuild.spec.positions import MAX_ALIASES, MAX_NODES
from tests.helpers.spec_books import issues_of, only_issue, write_book, write_png

MINIMAL = """\
title: A Small Book
chapters:
  - id: one
    title: One
    text: Once upon a time.
"""

DESIGN_EXAMPLE = """\
title: 토끼와 거북이
subtitle: 다시 쓰는 이솝 우화
authors: [바람숲]
language: ko

models:                          # named presets; steps refer to them by name
  writer:   {provider: openai, model: gpt-4o-mini, temperature: 0.8}
  painter:  {provider: sdapi, model: sdxl, negative_prompt: "blurry, extra limbs",
             width: 768, height: 768, steps: 30, guidance: 7.5}
  storybook: {provider: sdapi, model: dreamshaper-8,            # community model id
              lora: {model: watercolor-style, strength: 0.7}}
defaults: {text: writer, prompt: writer, image: painter}

style: {theme: picture-book, page: A5, font: "Noto Serif KR", css: theme/extra.css}

cover:
  describe: "a hare and a tortoise, watercolor cover"

chapters:
  - id: race
    title: 경주의 시작
    write: "토끼가 거북이를 놀리고 경주를 제안한다. 600자 안팎."   # generated text
    illustrations:
      - id: challenge
        describe: "soft watercolor, children's picture book"
        seed: 42
        take: 1
        edits:
          - inpaint: {mask: masks/scarf.png, prompt: "the rabbit wears a red scarf"}
          - inpaint: {mask: {ellipse: [0.62, 0.05, 0.95, 0.35]}, prompt: "a bright morning sun"}
          - upscale: {scale: 2}
  - id: nap
    title: 낮잠
    file: chapters/nap.md                                         # hand-written text
    illustrations:
      - prompt: "a rabbit asleep under an oak tree, watercolor"   # literal prompt
        model: storybook
        init_image: {path: art/oak-sketch.png, strength: 0.55}    # img2img
"""


# valid specs


def test_minimal_spec_loads_from_file_or_folder(tmp_path: Path) -> None:
    spec_file = write_book(tmp_path / "book", MINIMAL)
    for given in (spec_file, spec_file.parent):
        spec = load_spec(given)
        assert isinstance(spec, LoadedSpec)
        assert spec.book.title == "A Small Book"
        assert spec.path == spec_file.resolve()
        assert spec.root == spec_file.parent.resolve()
        assert spec.text == MINIMAL
        assert spec.positions[("chapters", 0, "title")] == (4, 12)


def test_design_example_with_korean_text_loads(tmp_path: Path) -> None:
    folder = tmp_path / "토끼"
    spec_file = write_book(folder, DESIGN_EXAMPLE)
    write_png(folder / "masks" / "scarf.png")
    write_png(folder / "art" / "oak-sketch.png")
    (folder / "chapters").mkdir()
    (folder / "chapters" / "nap.md").write_text("# 낮잠\n\n토끼가 잠들었다.\n", encoding="utf-8")
    (folder / "theme").mkdir()
    (folder / "theme" / "extra.css").write_text("body { color: black }\n", encoding="utf-8")
    spec = load_spec(spec_file)
    book = spec.book
    assert book.title == "토끼와 거북이"
    assert book.chapters[0].write == "토끼가 거북이를 놀리고 경주를 제안한다. 600자 안팎."
    assert [e.op for e in book.chapters[0].illustrations[0].edits] == [
        "inpaint",
        "inpaint",
        "upscale",
    ]
    assert spec.where("chapters", 0, "title") == "book.yaml:21:12"
    assert spec.where("chapters", 1, "illustrations", 0, "init_image", "path") == (
        "book.yaml:38:28"
    )


def test_edits_without_settings_accept_shorthands(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    illustrations:\n"
        "      - prompt: a cat\n"
        "        edits:\n"
        "          - remove_background: {}\n"
        "          - remove_background: true\n"
        "          - remove_background:\n"
        "          - upscale\n"
        "models: {p: {provider: sdapi}}\n"
        "defaults: {image: p}\n"
    )
    spec = load_spec(write_book(tmp_path, text))
    edits = spec.book.chapters[0].illustrations[0].edits
    assert [e.op for e in edits] == ["remove_background"] * 3 + ["upscale"]
    assert edits[3].params.model_dump() == {"scale": 2, "model": None}


def test_numbers_are_accepted_as_text(tmp_path: Path) -> None:
    spec = load_spec(write_book(tmp_path, MINIMAL.replace("A Small Book", "1984")))
    assert spec.book.title == "1984"


def test_merge_keys_share_preset_settings(tmp_path: Path) -> None:
    text = MINIMAL + (
        "models:\n"
        "  base: &base {provider: sdapi, width: 768, steps: 30}\n"
        "  tall: {<<: *base, height: 1024, steps: 40}\n"
    )
    spec = load_spec(write_book(tmp_path, text))
    tall = spec.book.models["tall"]
    assert (tall.width, tall.height, tall.steps) == (768, 1024, 40)
    assert spec.positions[("models", "tall", "steps")] == (8, 42)


def test_where_falls_back_to_nearest_parent_and_names_file_relative_to_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_book(tmp_path / "my-book", MINIMAL)
    monkeypatch.chdir(tmp_path)
    spec = load_spec(Path("my-book"))
    assert spec.where("chapters", 0, "illustrations", 3, "edits") == "my-book/book.yaml:3:5"
    assert spec.where() == "my-book/book.yaml:1:1"
    absolute = load_spec(tmp_path / "my-book" / "book.yaml")
    assert absolute.where("title") == "my-book/book.yaml:1:8"


# missing files


def test_missing_spec_file_is_a_config_error_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="bookbuild init") as caught:
        load_spec(tmp_path / "nope.yaml")
    assert caught.value.exit_code == 2
    with pytest.raises(ConfigError, match=r"no book\.yaml in"):
        load_spec(tmp_path)


# schema errors, each at its own position


def test_unknown_key_is_reported_at_the_key_with_did_you_mean(tmp_path: Path) -> None:
    text = MINIMAL + "    ilustrations: []\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (6, 5)
    assert issue.message == "unknown key `ilustrations` — did you mean `illustrations`?"
    assert str(issue) == f"book.yaml:6:5: {issue.message}"


def test_unknown_key_without_a_close_match_lists_the_allowed_keys(tmp_path: Path) -> None:
    issue = only_issue(write_book(tmp_path, MINIMAL + "style: {zzz: 1}\n"))
    assert (issue.line, issue.col) == (6, 9)
    allowed = "theme, page, margin, bleed, font, css"
    assert issue.message.startswith(f"unknown key `zzz`; allowed here: {allowed}")


def test_wrong_type_is_reported_at_the_value(tmp_path: Path) -> None:
    text = MINIMAL + "models:\n  painter: {provider: sdapi, width: wide}\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (7, 37)
    assert issue.message.startswith("`width` should be a valid integer")
    assert "(got `wide`)" in issue.message


def test_out_of_range_value_is_reported_in_plain_words(tmp_path: Path) -> None:
    text = MINIMAL + "models:\n  painter:\n    provider: sdapi\n    height: 4096\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (9, 13)
    assert issue.message == "`height` should be less than or equal to 2048 (got `4096`)"


def test_missing_field_is_reported_at_the_parent_mapping(tmp_path: Path) -> None:
    text = "chapters:\n  - id: one\n    title: One\n    text: hi\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (1, 1)
    assert issue.message.startswith("missing `title`")
    text = MINIMAL + "  - id: two\n    text: more\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (6, 5)
    assert issue.message.startswith("missing `title`")


def test_object_rule_is_reported_at_the_object(tmp_path: Path) -> None:
    text = MINIMAL + "    write: also generated\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (3, 5)
    assert issue.message == "a chapter needs exactly one of `text`, `file` or `write`"


def test_unknown_edit_gets_did_you_mean_among_edit_names(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    illustrations:\n"
        "      - prompt: a cat\n"
        "        edits:\n"
        "          - upscale: {}\n"
        "          - inpant: {mask: {rect: [0, 0, 1, 1]}, prompt: a hat}\n"
    )
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (10, 13)
    assert issue.message == "unknown edit `inpant` — did you mean `inpaint`?"


def test_edit_with_two_ops_is_reported_at_the_edit(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    illustrations:\n"
        "      - prompt: a cat\n"
        "        edits:\n"
        "          - upscale: {}\n"
        "            remove_background: {}\n"
    )
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (9, 13)
    assert issue.message.startswith("an edit needs exactly one of inpaint, outpaint")


def test_inpaint_without_settings_names_what_is_missing(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    illustrations:\n      - prompt: a cat\n        edits:\n          - inpaint:\n"
    )
    messages = [i.message for i in issues_of(write_book(tmp_path, text))]
    assert [m.split(":")[0] for m in messages] == ["missing `mask`", "missing `prompt`"]


def test_mask_mapping_errors_come_from_the_shape_only(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    illustrations:\n"
        "      - prompt: a cat\n"
        "        edits:\n"
        "          - inpaint: {mask: {rect: [0, 0, 1, 1], fether: 0.1}, prompt: a hat}\n"
        "          - inpaint: {mask: [0, 0, 1, 1], prompt: a hat}\n"
    )
    issues = issues_of(write_book(tmp_path, text))
    assert [(i.line, i.col, i.message) for i in issues] == [
        (9, 50, "unknown key `fether` — did you mean `feather`?"),
        (10, 29, "`mask` should be text or a mapping (key: value), not a list"),
    ]


def test_yaml_booleans_for_text_get_a_quoting_hint(tmp_path: Path) -> None:
    issue = only_issue(write_book(tmp_path, MINIMAL.replace("A Small Book", "yes")))
    assert (issue.line, issue.col) == (1, 8)
    assert "put it in quotes" in issue.message


def test_every_error_is_reported_at_once_sorted_by_position(tmp_path: Path) -> None:
    text = (
        "title: Many Problems\n"
        "langauge: en\n"
        "models:\n"
        "  painter: {provider: sdapi, steps: 0}\n"
        "chapters:\n"
        "  - id: Bad Id\n"
        "    title: One\n"
        "    text: hi\n"
        "  - id: two\n"
        "    text: hi\n"
    )
    issues = issues_of(write_book(tmp_path, text))
    assert [(i.line, i.col) for i in issues] == [(2, 1), (4, 37), (6, 9), (9, 5)]
    assert "did you mean `language`" in issues[0].message
    assert "`steps` should be greater than or equal to 1" in issues[1].message
    assert "lowercase letters" in issues[2].message
    assert issues[3].message.startswith("missing `title`")
    assert str(SpecError(issues)).count("book.yaml:") == 4


# YAML-level problems


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    text = MINIMAL + "title: Another Title\n"
    issue = only_issue(write_book(tmp_path, text))
    assert (issue.line, issue.col) == (6, 1)
    assert issue.message.startswith("duplicate key `title` (first at line 1)")


def test_yaml_syntax_error_is_reported_where_it_is(tmp_path: Path) -> None:
    text = MINIMAL + "  - id: two\n   title: [unclosed\n"
    issue = only_issue(write_book(tmp_path, text))
    assert issue.message.startswith("YAML syntax error")
    assert issue.line >= 6


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    issue = only_issue(write_book(tmp_path, "- title: A list\n"))
    assert issue.message.startswith("the top level of the spec must be a mapping")
    issue = only_issue(write_book(tmp_path, "# nothing here\n"))
    assert issue.message.startswith("the spec is empty")


def test_alias_bomb_fails_fast(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    issue = only_issue(write_book(tmp_path, "\n".join(lines) + "\n"))
    assert "alias bomb" in issue.message
    assert f"more than {MAX_NODES:,}" in issue.message  # stopped at the bound, not expanded


def test_too_many_aliases_fail_at_the_first_one_over(tmp_path: Path) -> None:
    body = "\n".join("- *x" for _ in range(MAX_ALIASES + 1))
    issue = only_issue(write_book(tmp_path, f"base: &x 1\nlist:\n{body}\n"))
    assert "too many YAML aliases" in issue.message
    assert issue.line == MAX_ALIASES + 3


def test_recursive_alias_is_rejected(tmp_path: Path) -> None:
    issue = only_issue(write_book(tmp_path, "title: &t [*t]\n"))
    assert "contains it" in issue.message


def test_oversize_spec_is_rejected_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse_yaml_must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("an oversize spec was parsed")

    monkeypatch.setattr("bookbuild.spec.loader.parse_yaml", parse_yaml_must_not_run)
    issue = only_issue(write_book(tmp_path, MINIMAL + "# " + "x" * (1024 * 1024) + "\n"))
    assert "larger than 1024 KiB" in issue.message


def test_spec_errors_are_user_errors() -> None:
    error = SpecError([SpecIssue("book.yaml", 2, 3, "x")])
    assert isinstance(error, UserError)
    assert error.exit_code == 2


def test_too_many_values_are_rejected(tmp_path: Path) -> None:
    spec = write_book(tmp_path, "x: [" + ",".join(["1"] * (MAX_NODES + 10)) + "]\n")
    issue = only_issue(spec)
    assert "too many YAML values" in issue.message
    assert issue.line == 1


def test_tabs_get_an_indentation_hint(tmp_path: Path) -> None:
    issue = only_issue(write_book(tmp_path, "title: x\n\tchapters: []\n"))
    assert (issue.line, issue.col) == (2, 1)
    assert issue.message.endswith("indent with spaces, not tabs")
