"""Pure layout helpers: page sizes, margins, print images, figure placement."""

from __future__ import annotations

import io

import pytest
from markupsafe import Markup
from PIL import Image

from bookbuild.errors import ConfigError, RenderError
from bookbuild.render.assets import asset_name
from bookbuild.render.context import interleave, make_figure, scenes
from bookbuild.render.images import prepare_for_print
from bookbuild.render.markdown import keep_words
from bookbuild.render.pages import page_layout
from bookbuild.style import parse_margins, parse_page
from tests.helpers.render_views import illustration, png

MM = 72 / 25.4


def test_presets_custom_sizes_and_landscape() -> None:
    assert parse_page("a5").width == pytest.approx(148 * MM)
    assert parse_page("6x9in").height == 648
    assert parse_page("148mm 210mm") == parse_page("A5")
    landscape = parse_page("A4 landscape")
    assert landscape.width > landscape.height
    assert parse_page("auto", default="8x8in").width == 576


@pytest.mark.parametrize("bad", ["A9", "10 20", "5in", "1mm 1mm", "100in 100in", "A5 sideways"])
def test_bad_page_sizes_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"style\.page"):
        parse_page(bad)


def test_margins() -> None:
    assert parse_margins("18mm") == pytest.approx((18 * MM,) * 4)
    assert parse_margins("20mm 15mm") == pytest.approx((20 * MM, 15 * MM, 20 * MM, 15 * MM))
    with pytest.raises(ConfigError):
        parse_margins("1mm 2mm 3mm")
    with pytest.raises(ConfigError, match="no room"):
        page_layout(parse_page("A6"), margin="60mm")


def test_print_images_fit_the_box_and_pick_the_format() -> None:
    opaque = prepare_for_print(png(1200, 800, (10, 200, 30)), (600, 600))
    assert (opaque.ext, opaque.width, opaque.height) == ("jpg", 600, 400)
    assert Image.open(io.BytesIO(opaque.data)).format == "JPEG"
    clear = prepare_for_print(png(300, 300, (10, 200, 30), alpha=True), (600, 600))
    assert (clear.ext, clear.width) == ("png", 300)  # transparency kept, never enlarged
    assert prepare_for_print(png(300, 300, (1, 2, 3)), (9, 9)).data == (
        prepare_for_print(png(300, 300, (1, 2, 3)), (9, 9)).data
    )


def test_unreadable_images_are_render_errors() -> None:
    with pytest.raises(RenderError, match="cannot read"):
        prepare_for_print(b"GIF89a not really", (10, 10))


def test_asset_names_never_form_paths() -> None:
    ill = illustration("x", (1, 2, 3), None, "")
    evil = type(ill)(**{**ill.__dict__, "digest": "sha256:../../etc/passwd"})
    assert "/" not in asset_name(evil, "png") and asset_name(evil, "png").endswith(".png")


def test_figures_open_the_chapter_and_spread_through_the_text() -> None:
    blocks = [Markup(f"<p>{n}</p>") for n in range(6)]
    figs = [
        make_figure(illustration(f"f{n}", (1, 2, 3), None, ""), lambda i: i.id) for n in range(2)
    ]
    flow = interleave(blocks, figs)
    assert [item.kind for item in flow] == ["figure"] + ["text"] * 3 + ["figure"] + ["text"] * 3
    cut = scenes(flow)
    assert [(s.figure.id if s.figure else None, len(s.blocks)) for s in cut] == [
        ("f0", 3),
        ("f1", 3),
    ]
    many = interleave(blocks[:1], figs)
    assert [item.kind for item in many] == ["figure", "text", "figure"]


def test_keep_words_joins_korean_words_only() -> None:
    out = keep_words("토끼와 <거북이> and hare")
    assert out == "토\u2060끼\u2060와 &lt;\u2060거\u2060북\u2060이\u2060&gt; and hare"
    assert keep_words("가" * 40) == "가" * 40  # too long to keep: may break anywhere


def test_only_real_themes_are_offered() -> None:
    from bookbuild.style import resolve_theme, theme_names

    assert theme_names() == ["default", "novel", "picture-book"]
    for name in ("base", "epub", "../novel", "picture-book/../novel", "partials", ""):
        with pytest.raises(ConfigError, match="unknown theme"):
            resolve_theme(name)
