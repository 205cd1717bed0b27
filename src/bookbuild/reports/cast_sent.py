"""How a character's reference reached one picture, read back from the picture's stored result:
the field it went in (`references[].via`), or why it did not (`reference_notes`). The cast pages
show it under each picture, so the consistency check also says whether the reference was used."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DRAFT_FIGURE = "drawn as its draft figure"


def how_sent(metadata: Mapping[str, Any], cid: str) -> str:
    """One short line for character `cid` in a result's metadata; "" when it says nothing."""
    said = []
    for entry in metadata.get("references") or []:
        if isinstance(entry, Mapping) and entry.get("character") == cid:
            said.append(f"reference sent as {entry.get('via')}")
    for note in metadata.get("reference_notes") or []:
        text = str(note)
        if text.startswith(f"{cid}:"):
            said.append(text.split(":", 1)[1].strip())
        elif text.startswith("one reference picture only") and _names(text, cid):
            said.append("in a cast sheet with the others")
    if not said and metadata.get("provider") == "offline":
        said.append(DRAFT_FIGURE)
    return "; ".join(said)


def _names(note: str, cid: str) -> bool:
    listed = note.split(" of ", 1)[-1].split(",")
    return cid in {part.strip().split(" ")[0] for part in listed}
