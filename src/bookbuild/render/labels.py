"""Fixed words of the book (headings, landmarks, the draft mark) in its language; languages
without their own words get English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "contents": "Contents",
        "colophon": "Colophon",
        "illustrations": "Illustrations",
        "chapter": "Chapter",
        "cover": "Cover",
        "by": "by",
        "seed": "seed",
        "edits": "edits",
        "model": "model",
        "provider": "provider",
        "made_with": "Made with bookbuild",
        "back_cover": "Back cover",
        "navigation": "Site navigation",
        "chapters": "Chapters",
        "ai_disclosure": "AI disclosure",
        "draft": "draft",
        "draft_mark": "DRAFT",
        "draft_banner": "Draft build: placeholder text and pictures from bookbuild make --draft.",
    },
    "ko": {
        "contents": "차례",
        "colophon": "판권",
        "illustrations": "삽화 정보",
        "chapter": "장",
        "cover": "표지",
        "by": "지은이",
        "seed": "시드",
        "edits": "편집",
        "model": "모델",
        "provider": "제공자",
        "made_with": "bookbuild로 만듦",
        "back_cover": "뒤표지",
        "navigation": "사이트 길잡이",
        "chapters": "장",
        "ai_disclosure": "AI 사용 고지",
        "draft": "초안",
        "draft_mark": "DRAFT 초안",
        "draft_banner": "초안 빌드: bookbuild make --draft로 만든 임시 글과 그림입니다.",
    },
}


def labels(language: str) -> dict[str, str]:
    return LABELS.get(language.split("-")[0].lower(), LABELS["en"])
