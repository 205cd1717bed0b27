"""Word handling for the offline writer: salient nouns of a brief (Korean or English), Korean
particles that agree with a noun's last syllable, and ASCII clean-up for image prompts."""

from __future__ import annotations

import itertools
import re
import unicodedata

from bookbuild.providers.offline.phrases import (
    EN_DETERMINERS,
    EN_STOPWORDS,
    KO_GLOSSARY,
    KO_PARTICLES,
    KO_STOPWORDS,
    KO_VERB_ENDINGS,
    KO_VERB_STEMS,
)

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
_TOKEN = re.compile(r"[가-힣]+|[A-Za-z][A-Za-z'-]*")
_LATIN = re.compile(r"[A-Za-z][A-Za-z'-]*")
_NAME = re.compile(r"[A-Z][a-z'-]+(?:[ \t]+[A-Z][a-z'-]+)*")
MAX_NOUNS = 6


def is_korean(language: str) -> bool:
    return language.split("-")[0].lower() == "ko"


def has_hangul(text: str) -> bool:
    return any(HANGUL_FIRST <= ord(c) <= HANGUL_LAST for c in text)


def has_batchim(word: str) -> bool:
    """Does the word end in a consonant sound (so it takes 이/은/을/과 rather than 가/는/를/와)?"""
    last = word.rstrip()[-1:] or "가"
    code = ord(last)
    if HANGUL_FIRST <= code <= HANGUL_LAST:
        return (code - HANGUL_FIRST) % 28 != 0
    if last.isdigit():
        return last in "013678"  # 영, 일, 삼, 육, 칠, 팔
    return last.lower() in "bcdgklmnpt"


def particle(word: str, after_consonant: str, after_vowel: str) -> str:
    """`word` followed by the form of a particle that agrees with it (이/가, 을/를, ...)."""
    return word + (after_consonant if has_batchim(word) else after_vowel)


def korean_nouns(text: str) -> list[str]:
    """Likely nouns of a Korean text, in order: particles stripped, verbs and fillers dropped;
    capitalised Latin words (names) are kept too."""
    found: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isascii():
            noun: str | None = token if token[0].isupper() else None
        else:
            noun = korean_stem(token)
        if noun and noun not in found:
            found.append(noun)
    return found[:MAX_NOUNS]


def korean_subjects(text: str) -> list[str]:
    """The nouns of a Korean text a picture would show, in order: words of the glossary
    ('토끼가' -> '토끼', '숲에서' -> '숲') first, then other likely nouns that are not
    modifiers ('이른', '자만한': a last syllable ending in ㄴ or ㄹ)."""
    known: list[str] = []
    for token in _TOKEN.findall(text):
        noun = _korean_glossary_noun(token)
        if noun and noun not in known:
            known.append(noun)
    others = [n for n in korean_nouns(text) if n not in known and not _modifier(n)]
    return [*known, *others][:MAX_NOUNS]


def _korean_glossary_noun(token: str) -> str | None:
    if token in KO_GLOSSARY:
        return token
    stem = korean_stem(token)
    if stem in KO_GLOSSARY:
        return stem
    for ending in KO_PARTICLES:
        if token.endswith(ending) and token.removesuffix(ending) in KO_GLOSSARY:
            return token.removesuffix(ending)
    return None


def _modifier(word: str) -> bool:
    code = ord(word[-1]) - HANGUL_FIRST
    return 0 <= code <= HANGUL_LAST - HANGUL_FIRST and code % 28 in (4, 8)  # final ㄴ, ㄹ


def korean_stem(token: str) -> str | None:
    """The noun in a Korean word ('토끼가' -> '토끼'), or None for verbs and fillers."""
    for ending in KO_PARTICLES:
        stem = token.removesuffix(ending)
        if stem != token and len(stem) >= 2:
            token = stem
            break
    else:
        if token.endswith(KO_VERB_ENDINGS):
            return None
    if len(token) < 2 or token in KO_STOPWORDS or token.endswith(KO_VERB_STEMS):
        return None
    return token


def english_nouns(text: str, *, articles: bool = True) -> list[str]:
    """Likely nouns of an English text, in order: names as written ('White Rabbit'), words
    after a determiner ('the rabbit'), then other content words. With `articles`, common
    nouns get 'the'."""
    tokens = _LATIN.findall(text)
    names = english_names(text)
    common = _after_determiners(tokens)
    if len(names) + len(common) < 2:
        common += [w.lower() for w in tokens if _content_word(w) and w.lower() not in common]
    found: list[str] = []
    for word in [*names, *(f"the {w}" if articles else w for w in common)]:
        if word not in found and word.lower() not in (n.lower() for n in found):
            found.append(word)
    return found[:MAX_NOUNS]


def english_scene_nouns(text: str) -> list[str]:
    """What an English text shows, for a draft alt text: names that occur mid-sentence (a
    capitalised first word, 'Something', is not a name), then 'the' + nouns after a
    determiner ('the meadow')."""
    names = [
        name
        for name in english_names(text)
        if re.search(rf"[^\s.!?\"“‘'(]\s+{re.escape(name)}\b", text)
    ]
    common = [f"the {w}" for w in _after_determiners(_LATIN.findall(text))]
    return list(dict.fromkeys([*names, *common]))[:MAX_NOUNS]


def english_names(text: str) -> list[str]:
    """Runs of capitalised words ('White Rabbit'), leading stopwords dropped ('The Queen')."""
    names: list[str] = []
    for run in _NAME.findall(text):
        words = run.split()
        while words and words[0].lower() in EN_STOPWORDS:
            words.pop(0)
        if words and " ".join(words) not in names:
            names.append(" ".join(words))
    return names


def _after_determiners(tokens: list[str]) -> list[str]:
    common: list[str] = []
    for previous, word in itertools.pairwise(tokens):
        lowered = word.lower()
        if (
            previous.lower() in EN_DETERMINERS
            and word[0].islower()
            and lowered not in EN_STOPWORDS
            and len(word) >= 3
            and lowered not in common
        ):
            common.append(lowered)
    return common


def _content_word(word: str) -> bool:
    lowered = word.lower()
    return (
        len(lowered) >= 4
        and lowered not in EN_STOPWORDS
        and not lowered.endswith(("ly", "ing", "ed"))
    )


def english_subjects(text: str) -> list[str]:
    """English names of what a text (any language) is about, for an image prompt."""
    if not has_hangul(text):
        return english_nouns(text, articles=False)
    found: list[str] = []
    for token in _TOKEN.findall(text):
        word = _glossary(token) if not token.isascii() else token
        if word and word not in found:
            found.append(word)
    return found[:MAX_NOUNS]


def _glossary(token: str) -> str | None:
    if token in KO_GLOSSARY:
        return KO_GLOSSARY[token]
    stem = korean_stem(token)
    if stem in KO_GLOSSARY:
        return KO_GLOSSARY[stem]
    for ending in KO_PARTICLES:  # one-syllable nouns: '숲에서' -> '숲'
        if token.endswith(ending) and token.removesuffix(ending) in KO_GLOSSARY:
            return KO_GLOSSARY[token.removesuffix(ending)]
    return None


def ascii_text(text: str) -> str:
    """Printable ASCII only (accents folded: 'café' -> 'cafe'), with tidy commas and spaces."""
    folded = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in folded if c.isascii() and (c.isprintable() or c.isspace()))
    kept = " ".join(kept.split())
    kept = re.sub(r"\s*,(\s*,)*\s*", ", ", kept)
    return kept.strip(" ,.;:-")
