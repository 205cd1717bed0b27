"""The offline writer: draft prose, image prompts and summaries made locally, deterministically.

`write_text` builds Markdown paragraphs from small phrase tables (Korean for `ko`, English
otherwise), weaving in nouns of the brief and following a length hint such as "600자",
"300 words" or "3 paragraphs". `describe_json` makes an ASCII image prompt; `summarize_text`
keeps the first sentences of the text.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from bookbuild.providers.offline import phrases as ph
from bookbuild.providers.offline.seed import seeded_random
from bookbuild.providers.offline.words import (
    ascii_text,
    english_nouns,
    english_scene_nouns,
    english_subjects,
    is_korean,
    korean_nouns,
    korean_subjects,
    particle,
)

DEFAULT_PARAGRAPHS = 4
LIMITS = {"chars": 8000, "words": 2000, "paragraphs": 20}
SUMMARY_CHARS = 400
_HINT = re.compile(
    r"(?:(?:about|around|roughly|approximately|약)\s*)?(\d[\d,]*)\s*"
    r"(자|글자|characters?|chars?|words?|단어|paragraphs?|문단|단락)"
    r"(?:\s*(?:안팎|내외|정도|이내|분량|가량|long|or so))?",
    re.IGNORECASE,
)
_UNITS = {
    "자": "chars",
    "글자": "chars",
    "단어": "words",
    "문단": "paragraphs",
    "단락": "paragraphs",
}


@dataclass(frozen=True)
class Target:
    unit: str  # chars | words | paragraphs
    amount: int


@dataclass(frozen=True)
class Phrasebook:
    note: str
    times: tuple[str, ...]
    places: tuple[str, ...]
    scenes: tuple[str, ...]
    beats: tuple[str, ...]
    feelings: tuple[str, ...]
    closings: tuple[str, ...]
    fallback: tuple[str, ...]
    fields: Callable[[str, str, str, str], dict[str, str]]


def length_target(brief: str, korean: bool) -> tuple[Target, str]:
    """The length the brief asks for (in the language's natural unit) and the brief without
    the hint. Default: four paragraphs."""
    match = _HINT.search(brief)
    if match is None:
        return Target("paragraphs", DEFAULT_PARAGRAPHS), brief
    amount = int(match.group(1).replace(",", ""))
    word = match.group(2).lower()
    unit = _UNITS.get(word) or ("chars" if word.startswith("char") else word.rstrip("s"))
    unit = "paragraphs" if unit == "paragraph" else "words" if unit == "word" else unit
    if unit == "chars" and not korean:
        unit, amount = "words", amount // 6
    elif unit == "words" and korean:
        unit, amount = "chars", amount * 4
    amount = max(1, min(amount, LIMITS[unit]))
    rest = (brief[: match.start()] + brief[match.end() :]).strip(" .,;")
    return Target(unit, amount), rest


def write_text(brief: str, language: str, seed: int, names: Sequence[str] = ()) -> str:
    """Draft chapter prose as Markdown: an italic draft note, then paragraphs. The cast's
    `names`, when given, lead the sentences (so the draft text names the characters)."""
    korean = is_korean(language)
    target, topic = length_target(brief, korean)
    book = KOREAN if korean else ENGLISH
    found = korean_nouns(topic) if korean else english_nouns(topic)
    if names:
        found = list(dict.fromkeys([*names, *found]))
    nouns = found + [n for n in book.fallback if n not in found][: max(0, 2 - len(found))]
    rng = seeded_random("write", brief, language, seed)
    paragraphs = _compose(book, nouns, rng, target)
    return "\n\n".join([book.note, *paragraphs]) + "\n"


def _compose(book: Phrasebook, nouns: list[str], rng: random.Random, target: Target) -> list[str]:
    paragraphs: list[list[str]] = []
    size = 0
    for sentence, starts_paragraph in _sentences(book, nouns, rng):
        if starts_paragraph:
            if target.unit == "paragraphs" and len(paragraphs) == target.amount:
                break
            paragraphs.append([])
        paragraphs[-1].append(sentence)
        size += len(sentence) + 1 if target.unit == "chars" else len(sentence.split())
        if target.unit != "paragraphs" and size >= target.amount * 0.93:
            break
    paragraphs[-1].append(rng.choice(book.closings))
    return [" ".join(p) for p in paragraphs]


def _sentences(
    book: Phrasebook, nouns: list[str], rng: random.Random
) -> Iterator[tuple[str, bool]]:
    """Endless sentences, paragraph by paragraph: a scene, two or three beats, a feeling."""
    scenes, beats, feelings = (
        _Deck(book.scenes, rng),
        _Deck(book.beats, rng),
        _Deck(book.feelings, rng),
    )
    while True:
        yield _fill(scenes.draw(), book, nouns, rng), True
        for _ in range(rng.randint(2, 3)):
            yield _fill(beats.draw(), book, nouns, rng), False
        yield feelings.draw(), False


def _fill(template: str, book: Phrasebook, nouns: list[str], rng: random.Random) -> str:
    """Fill a template; the first two nouns (usually the characters) lead the sentences."""
    a = rng.choice(nouns[:2])
    b = rng.choice([n for n in nouns if n != a])
    return template.format(**book.fields(a, b, rng.choice(book.times), rng.choice(book.places)))


class _Deck:
    """Draws templates without repeating one until all have been used."""

    def __init__(self, cards: tuple[str, ...], rng: random.Random) -> None:
        self.cards, self.rng, self.pile = cards, rng, list[str]()

    def draw(self) -> str:
        if not self.pile:
            self.pile = list(self.cards)
            self.rng.shuffle(self.pile)
        return self.pile.pop()


def _korean_fields(a: str, b: str, time: str, place: str) -> dict[str, str]:
    fields = {"time": time, "place": place}
    for key, word in (("a", a), ("b", b)):
        fields[key] = word
        fields[f"{key}_i"] = particle(word, "이", "가")
        fields[f"{key}_n"] = particle(word, "은", "는")
        fields[f"{key}_l"] = particle(word, "을", "를")
        fields[f"{key}_w"] = particle(word, "과", "와")
    return fields


def _english_fields(a: str, b: str, time: str, place: str) -> dict[str, str]:
    def cap(s: str) -> str:
        return s[:1].upper() + s[1:]

    return {
        "a": a,
        "A": cap(a),
        "b": b,
        "B": cap(b),
        "time": time,
        "Time": cap(time),
        "place": place,
    }


KOREAN = Phrasebook(
    ph.KO_NOTE, ph.KO_TIMES, ph.KO_PLACES, ph.KO_SCENES, ph.KO_BEATS, ph.KO_FEELINGS,
    ph.KO_CLOSINGS, ph.KO_FALLBACK_NOUNS, _korean_fields,
)  # fmt: skip
ENGLISH = Phrasebook(
    ph.EN_NOTE, ph.EN_TIMES, ph.EN_PLACES, ph.EN_SCENES, ph.EN_BEATS, ph.EN_FEELINGS,
    ph.EN_CLOSINGS, ph.EN_FALLBACK_NOUNS, _english_fields,
)  # fmt: skip


def describe_json(
    style_note: str,
    text: str,
    seed: int,
    cast: Sequence[tuple[str, str]] = (),
    alt_language: str | None = None,
) -> str:
    """JSON {"prompt", "negative_prompt"}: an English, ASCII-only image prompt naming the
    chapter's salient subjects, a shot and a light, then the style note. With a cast ((id,
    name) pairs), the characters whose name or id occurs in the text or the note lead the
    prompt as `{id}` placeholders and are listed in "characters". With `alt_language`, also
    "alt": a one-sentence draft alt text in that language (`draft_alt`)."""
    rng = seeded_random("describe", style_note, text, seed)
    subjects = english_subjects(text)[:5]
    style = ascii_text(style_note)
    parts = ["scene with " + ", ".join(subjects) if subjects else "illustration for the chapter"]
    shown = mentioned(cast, f"{style_note}\n{text}")
    if shown:  # the characters by placeholder only: never their names among the subjects
        names = {name.lower() for _, name in cast} | {cid for cid, _ in cast}
        subjects = [s for s in subjects if s.lower() not in names]
        scene = "scene with " + ", ".join(subjects) if subjects else "illustration"
        parts = [" and ".join(f"{{{cid}}}" for cid in shown), scene]
    parts.append(rng.choice(ph.DESCRIBE_SHOTS))
    light = rng.choice(ph.DESCRIBE_LIGHTS)
    if not re.search(r"\b(light|glow|lit|sunset|night)\b", style, re.IGNORECASE):
        parts.append(light)
    if style:
        parts.append(style)
    prompt = ascii_text(", ".join(parts)) or "illustration for the chapter"
    body: dict[str, object] = {"prompt": prompt, "negative_prompt": ph.DESCRIBE_NEGATIVE}
    if cast:
        body["characters"] = shown
    if alt_language is not None:
        shown_names = [name or cid for cid, name in cast if cid in shown]
        body["alt"] = draft_alt(text, alt_language, shown_names)
    return json.dumps(body, ensure_ascii=False)


def draft_alt(text: str, language: str, names: Sequence[str] = ()) -> str:
    """A draft alt text in the book's language (Korean for `ko`, English otherwise) naming
    what the text is about, the characters `names` first: "토끼와 거북이가 있는 장면을 그린
    그림입니다." / "A scene with the fox and the lighthouse."."""
    korean = is_korean(language)
    words = plain_text(text)
    found = korean_subjects(words) if korean else english_scene_nouns(words)
    seen: dict[str, str] = {}  # one entry per thing: "Fox" and "the fox" are one
    for subject in [*names, *found]:
        seen.setdefault(subject.lower().removeprefix("the "), subject)
    subjects = list(seen.values())[:3]
    return _korean_alt(subjects) if korean else _english_alt(subjects)


def _korean_alt(subjects: list[str]) -> str:
    if not subjects:
        return "이 장의 한 장면을 그린 그림입니다."
    *first, last = subjects
    listed = ""
    if first:
        listed = ", ".join([*first[:-1], particle(first[-1], "과", "와")]) + " "
    return f"{listed}{particle(last, '이', '가')} 있는 장면을 그린 그림입니다."


def _english_alt(subjects: list[str]) -> str:
    if not subjects:
        return "A scene from the chapter."
    *first, last = subjects
    listed = f"{', '.join(first)} and {last}" if first else last
    return f"A scene with {listed}."


def mentioned(cast: Sequence[tuple[str, str]], text: str) -> list[str]:
    """The ids of the characters whose name (or id, as a word) occurs in `text`."""
    lowered = text.lower()
    return [
        cid
        for cid, name in cast
        if (name and name.lower() in lowered)
        or re.search(rf"(?<![a-z0-9_-]){re.escape(cid)}(?![a-z0-9_-])", lowered)
    ]


def summarize_text(text: str, language: str) -> str:
    """The first one to three sentences of the text, at most 400 characters."""
    sentences = split_sentences(plain_text(text))
    if not sentences:
        return "(내용이 없는 장입니다.)" if is_korean(language) else "(This chapter has no text.)"
    kept: list[str] = []
    for sentence in sentences[:3]:
        if len(" ".join([*kept, sentence])) > SUMMARY_CHARS:
            break
        kept.append(sentence)
    if not kept:
        cut = sentences[0][: SUMMARY_CHARS - 1]
        return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
    return " ".join(kept)


def plain_text(markdown: str) -> str:
    """Markdown reduced to its words: no markup, no draft notes like '*(Draft: ...)*'."""
    lines = []
    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or re.fullmatch(r"[*_]*\(.*\)[*_]*", stripped):
            continue  # blank lines, headings and draft notes
        stripped = re.sub(r"^(?:>|[-*+]|\d+[.)])\s+", "", stripped)
        stripped = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", stripped)
        lines.append(re.sub(r"[*_`]+", "", stripped))
    return " ".join(" ".join(lines).split())


def split_sentences(text: str) -> list[str]:
    """Sentences ending in . ! ? (or CJK stops), closing quotes kept; a tail without a stop too."""
    found = re.findall(r".+?(?:[.!?。！？…]+[\"'”’)\]]*(?=\s|$)|$)", text)
    return [s.strip() for s in found if s.strip()]


def estimate_tokens(text: str) -> int:
    """A rough token count: one per non-Latin character, one per four Latin ones."""
    wide = sum(1 for c in text if ord(c) > 0x2FF)
    return max(1, wide + (len(text) - wide) // 4)
