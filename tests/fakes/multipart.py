"""Reading `multipart/form-data` bodies in the fakes, the way a strict server does: the parts
come back as text fields and file parts, and a part whose Content-Disposition name is not
quoted is refused (Stability's edge answers "Malformed FormData request" to that)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32


class MalformedForm(ValueError):
    """The body is not a well-formed multipart/form-data body."""


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Form:
    """A decoded form: text fields (last value wins, as most servers do) and file parts in
    order (a name may repeat, e.g. OpenAI's `image[]`)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[FilePart] = field(default_factory=list)

    def file(self, name: str) -> FilePart | None:
        return next((f for f in self.files if f.name == name), None)

    def files_named(self, *names: str) -> list[FilePart]:
        return [f for f in self.files if f.name in names]

    @property
    def names(self) -> set[str]:
        return set(self.fields) | {f.name for f in self.files}


def is_multipart(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "multipart/form-data"


_QUOTED_NAME = re.compile(r';\s*name="[^"]*"')


def parse_form(content_type: str, body: bytes) -> Form:
    """The form in `body`; MalformedForm when it is not multipart/form-data with a boundary or
    a part lacks a quoted name."""
    if not is_multipart(content_type) or "boundary=" not in content_type:
        raise MalformedForm("content-type: must be multipart/form-data with a boundary")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=compat32).parsebytes(head + body)  # raw header values
    if not message.is_multipart():
        raise MalformedForm("body: not a multipart body")
    form = Form()
    parts = message.get_payload()
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, Message):
            _add_part(form, part)
    return form


def _add_part(form: Form, part: Message) -> None:
    disposition = str(part.get("content-disposition", ""))
    if not disposition.lower().startswith("form-data") or not _QUOTED_NAME.search(disposition):
        raise MalformedForm(
            "Malformed FormData request. Content-Disposition header in FormData part is "
            "missing a name."
        )
    name = str(part.get_param("name", header="content-disposition"))
    filename = part.get_filename()
    data = part.get_payload(decode=True)
    payload = data if isinstance(data, bytes) else b""
    if filename is None:
        form.fields[name] = payload.decode("utf-8")
    else:
        form.files.append(FilePart(name, filename, part.get_content_type(), payload))
