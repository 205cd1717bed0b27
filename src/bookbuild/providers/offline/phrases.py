"""Phrase tables of the offline writer. Korean templates name their nouns with a particle
suffix chosen by the noun's last syllable: {a_i} = a + 이/가, {a_n} = 은/는, {a_l} = 을/를,
{a_w} = 와/과; {a} is the bare noun. English templates use {a} / {A} (capitalised)."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


KO_NOTE = "*(초안: 오프라인 미리보기를 위해 자동으로 지은 글입니다.)*"
EN_NOTE = "*(Draft: placeholder text written offline for a layout preview.)*"

KO_TIMES = (
    "이른 아침",
    "해가 높이 뜬 한낮",
    "바람이 잦아든 오후",
    "노을이 번지는 저녁 무렵",
    "달이 떠오른 밤",
    "안개가 걷힌 아침나절",
)
KO_PLACES = (
    "숲 가장자리",
    "언덕 위",
    "오래된 참나무 아래",
    "개울가",
    "작은 마을 어귀",
    "들판 한가운데",
    "돌다리 옆",
)
KO_SCENES = (
    "{time}, {place}에는 부드러운 바람이 불었다.",
    "{time}의 하늘은 유난히 맑았다.",
    "{place}에서 새들이 지저귀는 소리가 들려왔다.",
    "{time}, 풀잎마다 맺힌 이슬이 반짝였다.",
    "{place}에는 고요한 햇살이 내려앉아 있었다.",
)
KO_BEATS = (
    "{a_n} {place}에서 {b_l} 가만히 바라보았다.",
    "{a_n} 오래전부터 {b}에 대해 생각해 왔다.",
    "그날 {a_i} 먼저 입을 열었다.",
    "{a_n} {b_w} 함께 {place}까지 천천히 걸어갔다.",
    "{a_i} 웃자 {b}도 따라 웃었다.",
    "모두가 {a_l} 기다리고 있었다.",
    "{a_n} 잠시 망설이다가 고개를 끄덕였다.",
    "{b_n} 아무 말 없이 {a_l} 지켜보았다.",
    "{a}의 마음속에는 작은 설렘이 피어났다.",
    "{a_n} {b_i} 생각보다 가까이 있다는 것을 깨달았다.",
    "{a_n} {b}에게 조심스럽게 인사를 건넸다.",
    "{b_i} 무엇을 바라는지 {a_n} 어렴풋이 알 것 같았다.",
)
KO_FEELINGS = (
    "마음 한쪽이 따뜻해졌다.",
    "발걸음이 한결 가벼워졌다.",
    "어디선가 희미한 웃음소리가 들렸다.",
    "바람이 나뭇잎을 흔들며 지나갔다.",
    "하늘에는 구름 몇 조각이 느긋하게 흘러갔다.",
)
KO_CLOSINGS = (
    "이야기는 이제 막 시작되었다.",
    "그렇게 하루가 조용히 저물어 갔다.",
    "내일은 또 어떤 일이 기다리고 있을지 아무도 알지 못했다.",
)
KO_FALLBACK_NOUNS = ("주인공", "오랜 친구", "작은 새")

EN_TIMES = (
    "early in the morning",
    "at midday",
    "when the wind had dropped in the afternoon",
    "as the evening light spread",
    "after the moon had risen",
)
EN_PLACES = (
    "the edge of the wood",
    "the top of the hill",
    "the old oak tree",
    "the bank of the stream",
    "the edge of the village",
    "the middle of the meadow",
)
EN_SCENES = (
    "{Time}, a soft wind moved across {place}.",
    "The sky was unusually clear {time}.",
    "Birds were singing somewhere near {place}.",
    "{Time}, dew still shone on every blade of grass.",
    "A quiet light lay over {place}.",
)
EN_BEATS = (
    "{A} stopped near {place} and watched {b} for a long while.",
    "{A} had been thinking about {b} for days.",
    "That day it was {a} who spoke first.",
    "Together, {a} and {b} walked slowly towards {place}.",
    "When {a} laughed, {b} could not help laughing too.",
    "Everyone was waiting for {a}.",
    "{A} hesitated for a moment, then nodded.",
    "Without a word, {b} kept an eye on {a}.",
    "A small, bright hope stirred in {a}.",
    "{A} realised that {b} mattered more than anyone had said.",
    "{A} greeted {b} carefully.",
    "{A} began to guess what {b} really wanted.",
)
EN_FEELINGS = (
    "Something warm settled in the heart.",
    "Every step felt a little lighter.",
    "Somewhere, faint laughter could be heard.",
    "The wind shook the leaves as it passed.",
    "A few clouds drifted lazily across the sky.",
)
EN_CLOSINGS = (
    "The story had only just begun.",
    "And so the day slipped quietly away.",
    "Nobody knew what tomorrow would bring.",
)
EN_FALLBACK_NOUNS = ("the traveller", "an old friend", "a little bird")

EN_STOPWORDS = _words(
    """a about above after again against all also an and any are around as at be been before
    being below between both but by can chapter could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    itself just me more most my no nor not now of off on once only or other our out over own
    paragraph paragraphs roughly same scene she should so some story such than that the their
    them then there these they this those through to too under until up very was we were what
    when where which while who whom why will with words would write you your describe tell
    show make introduce begin start continue end include use let"""
)
EN_DETERMINERS = _words("a an the his her their its my our your this that these those every some")

KO_PARTICLES = (
    "에게서",
    "으로",
    "에게",
    "에서",
    "까지",
    "부터",
    "처럼",
    "보다",
    "하고",
    "이랑",
    "과",
    "와",
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "의",
    "도",
    "로",
    "에",
    "만",
)
KO_VERB_ENDINGS = ("다", "고", "며", "면", "게", "지", "요", "죠", "니", "까", "서", "자", "던")
KO_VERB_STEMS = ("하", "되", "있", "없", "같")
KO_STOPWORDS = _words(
    """그리고 그러나 하지만 그래서 이야기 장면 내용 분량 안팎 내외 정도 이내 챕터 이번 다음 처음
    우리 그들 자신 무엇 어디 언제 모두"""
)

KO_GLOSSARY: dict[str, str] = {
    "토끼": "rabbit",
    "거북이": "tortoise",
    "거북": "tortoise",
    "고양이": "cat",
    "강아지": "puppy",
    "개": "dog",
    "여우": "fox",
    "곰": "bear",
    "새": "bird",
    "용": "dragon",
    "아이": "child",
    "소녀": "girl",
    "소년": "boy",
    "할머니": "grandmother",
    "할아버지": "grandfather",
    "엄마": "mother",
    "아빠": "father",
    "왕": "king",
    "공주": "princess",
    "숲": "forest",
    "나무": "tree",
    "참나무": "oak tree",
    "꽃": "flowers",
    "바다": "sea",
    "강": "river",
    "호수": "lake",
    "산": "mountain",
    "언덕": "hill",
    "들판": "meadow",
    "마을": "village",
    "집": "house",
    "성": "castle",
    "다리": "bridge",
    "길": "path",
    "밤": "night",
    "달": "moon",
    "별": "stars",
    "해": "sun",
    "아침": "morning",
    "저녁": "evening",
    "겨울": "winter",
    "가을": "autumn",
    "봄": "spring",
    "여름": "summer",
    "경주": "race",
    "잔치": "feast",
}

DESCRIBE_SHOTS = ("wide shot", "medium shot", "gentle low angle", "eye-level view")
DESCRIBE_LIGHTS = (
    "soft morning light",
    "warm afternoon light",
    "golden evening glow",
    "calm diffuse daylight",
)
DESCRIBE_NEGATIVE = (
    "text, watermark, signature, blurry, low quality, extra limbs, deformed hands, cropped"
)
