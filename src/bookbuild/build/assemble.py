"""Results -> BookView: the book with every step resolved to data, ready for the renderers."""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bookbuild.errors import ImageDecodeError
from bookbuild.graph.model import Graph, IllustrationPlan
from bookbuild.graph.prompts import stored_alt
from bookbuild.media.images import check_pixels, image_size
from bookbuild.render.frontmatter import default_alt
from bookbuild.render.lazy import later
from bookbuild.render.view import (
    BookView,
    ChapterView,
    IllustrationView,
    MatterView,
    Provenance,
    StyleView,
)
from bookbuild.spec import LoadedSpec, resolve_in_book
from bookbuild.store.lock import Lock
from bookbuild.store.objects import Store


def book_identifier(spec: LoadedSpec) -> str:
    """A stable identifier derived from the title and authors (EPUB dc:identifier)."""
    name = "bookbuild:" + spec.book.title + "|" + "|".join(spec.book.authors)
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def style_view(spec: LoadedSpec) -> StyleView:
    style = spec.book.style
    css = None
    if style.css:
        css = resolve_in_book(spec.root, style.css).read_text(encoding="utf-8")
    return StyleView(
        theme=style.theme,
        page=style.page,
        font=style.font,
        css=css,
        bleed=style.bleed,
        margin=style.margin,
        print_target=style.print,
        paper=style.paper,
        text_over=style.text_over,
        print_bleed=style.print_bleed,
        pdf_x=style.pdf_x,
        cover_color=style.cover_color,
        opening=style.opening,
        chapter_number=style.chapter_number,
        scene_break=style.scene_break,
        cover_shape=(spec.book.cover.shape if spec.book.cover else None) or "",
        alt=style.alt,
    )


def assemble_book(
    spec: LoadedSpec,
    graph: Graph,
    digests: Mapping[str, str],
    store: Store,
    lock: Lock,
    source_date_epoch: int,
    *,
    draft: bool = False,
) -> BookView:
    """The book for the renderers; `draft` marks the outputs as drafts (--draft builds)."""
    book = spec.book
    reader = _Reader(store, lock, digests, described_alt=book.style.alt == "describe")
    chapters = tuple(
        ChapterView(
            id=plan.chapter.id,
            title=plan.chapter.title,
            markdown=reader.text(plan.text_step),
            illustrations=tuple(
                reader.illustration(ill, book.language, plan.chapter.title, n)
                for n, ill in enumerate(plan.illustrations, start=1)
            ),
            written_by=reader.model_of(plan.text_step),
            short_title=plan.chapter.short_title or "",
        )
        for plan in graph.chapters
    )
    return BookView(
        title=book.title,
        subtitle=book.subtitle,
        authors=tuple(book.authors),
        language=book.language,
        chapters=chapters,
        style=style_view(spec),
        cover=reader.illustration(graph.cover, book.language, book.title) if graph.cover else None,
        source_date_epoch=source_date_epoch,
        identifier=book_identifier(spec),
        blurb=book.blurb,
        draft=draft,
        matter=matter_view(spec),
    )


def matter_view(spec: LoadedSpec) -> MatterView:
    book = spec.book
    return MatterView(
        isbn=book.isbn or "",
        publisher=book.publisher or "",
        edition=book.edition or "",
        rights=book.rights or "",
        dedication=book.dedication or "",
        epigraph=book.epigraph or "",
        acknowledgements=book.acknowledgements or "",
        about_author=book.about_author or "",
        also_by=tuple(book.also_by),
    )


_BY_HAND = ("", "source", "file")  # metadata providers of results no model made
_HEADER = 64 * 1024  # bytes read for a picture's size
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class StoredBytes:
    """A picture's bytes read (and checked) from the store when a renderer first needs them:
    an HTML render after an edit writes only missing assets, so it reads only those."""

    store: Store
    digest: str

    def __call__(self) -> bytes:
        return self.store.get(self.digest)


class _Reader:
    def __init__(
        self, store: Store, lock: Lock, digests: Mapping[str, str], described_alt: bool = False
    ) -> None:
        self.store = store
        self.lock = lock
        self.digests = digests
        self.described_alt = described_alt  # `style.alt: describe`

    def data(self, step_id: str) -> bytes:
        return self.store.get(self.digests[step_id])

    def text(self, step_id: str) -> str:
        return self.data(step_id).decode("utf-8")

    def metadata(self, step_id: str) -> dict[str, Any]:
        entry = self.lock.entries.get(step_id)
        record = self.store.lookup(entry.key) if entry else None
        return dict(record.metadata) if record else {}

    def model_of(self, step_id: str | None) -> str:
        """'provider model' of the model that made a step's result; '' for hand-made results
        (hand-written text, your own picture)."""
        if step_id is None:
            return ""
        meta = self.metadata(step_id)
        provider = str(meta.get("provider", ""))
        if provider in _BY_HAND:
            return ""
        return " ".join(part for part in (provider, str(meta.get("model", ""))) if part)

    def illustration(
        self, plan: IllustrationPlan, language: str, title: str, n: int = 0
    ) -> IllustrationView:
        """The picture as the renderers see it; `title` and `n` name it in alt text (its
        chapter's title and place, or the book's title for the cover, n 0)."""
        final = plan.final_step
        digest = self.digests[final]
        width, height = self._size(digest)
        ill = plan.illustration
        prompt = str(self.metadata(plan.image_step).get("prompt") or ill.prompt or "")
        return IllustrationView(
            id=plan.id,
            digest=digest,
            image=later(StoredBytes(self.store, digest)),
            width=width,
            height=height,
            caption=ill.caption,
            alt=self._alt(plan, prompt, language, title, n),
            provenance=self._provenance(plan, prompt),
            step=final,
        )

    def _size(self, digest: str) -> tuple[int, int]:
        """A picture's size from its header (the bytes are read and checked when used)."""
        head = self.store.head(digest, _HEADER)
        if head[:8] == _PNG and head[12:16] == b"IHDR":  # a PNG's size is its first chunk
            size = struct.unpack(">II", head[16:24])
            check_pixels(size, what=digest)
            return size[0], size[1]
        try:
            return image_size(head)
        except ImageDecodeError:  # a header past _HEADER (big metadata): the whole picture
            return image_size(self.store.get(digest))

    def _alt(self, plan: IllustrationPlan, prompt: str, language: str, title: str, n: int) -> str:
        """`alt:`, else (under `style.alt: describe`) the alt its `describe` step wrote, else
        the caption, else `_described`."""
        ill = plan.illustration
        described = ""
        if self.described_alt and plan.prompt_step in self.digests:
            described = stored_alt(self.data(str(plan.prompt_step)))
        return ill.alt or described or ill.caption or _described(prompt, language, title, n)

    def _provenance(self, plan: IllustrationPlan, prompt: str) -> Provenance:
        meta = self.metadata(plan.image_step)
        edits = tuple(_edit_line(edit.op, edit.params) for edit in plan.illustration.edits)
        seed = meta.get("seed")
        return Provenance(
            provider=str(meta.get("provider", "")),
            model=str(meta.get("model", "")),
            seed=int(seed) if isinstance(seed, int) else None,
            prompt=prompt,
            edits=edits,
            prompt_by=self.model_of(plan.prompt_step),
        )


def _edit_line(op: str, params: Any) -> str:
    prompt = getattr(params, "prompt", None)
    if op == "upscale":
        return f"upscale ×{params.scale}"
    return f"{op}: {prompt}" if prompt else op


def _described(prompt: str, language: str, title: str, n: int) -> str:
    """Alt text without `alt:`, a described one or a caption: the prompt in an English book (it
    describes the picture), else its name in the book's language ("「숲속의 아침」의 그림 1"),
    never an English prompt inside a book in another language."""
    if prompt and language.split("-")[0].lower() == "en":
        return prompt
    return default_alt(language, title, n)
