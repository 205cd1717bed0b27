"""The OpenAI Batch API in the fake OpenAI server, following the documented lifecycle:

    POST /v1/files (multipart, purpose=batch)      -> a File object
    POST /v1/batches {input_file_id, endpoint, completion_window: "24h", metadata}
    GET  /v1/batches/{id}                          -> validating, in_progress, finalizing,
                                                      then completed (or failed, expired,
                                                      cancelled), with request_counts
    GET  /v1/batches?limit=N                       -> a list, newest first
    POST /v1/batches/{id}/cancel                   -> cancelling, then cancelled
    GET  /v1/files/{id}/content                    -> the JSONL output or error file

Each look at a batch moves it one state on (`looks` per state, default 1), so a test sees every
state. Output lines are {id, custom_id, response: {status_code, request_id, body}, error};
requests that fail go to the error file, and an expired or cancelled batch lists its unfinished
requests there with error code batch_expired / batch_cancelled. The request bodies are checked
against the SDK's own types (`openai.types.batch_create_params`)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args, get_type_hints

from openai.types import batch_create_params

from . import openai_images
from .multipart import parse_form

if TYPE_CHECKING:
    from .openai_server import FakeOpenAI

Ending = Literal["completed", "failed", "expired", "cancelled"]
LIFECYCLE = ("validating", "in_progress", "finalizing")
ENDPOINTS = get_args(
    get_args(
        get_type_hints(batch_create_params.BatchCreateParams, include_extras=True)["endpoint"]
    )[0]
)


@dataclass
class FakeBatch:
    id: str
    input_file_id: str
    endpoint: str
    metadata: dict[str, str]
    lines: list[dict[str, Any]]
    ending: Ending = "completed"
    finish: int | None = None  # expired: how many requests got done
    problems: list[dict[str, Any]] = field(default_factory=list)  # a failed batch's errors
    counts: dict[str, int] = field(default_factory=lambda: {"completed": 0, "failed": 0})
    looks: int = 0
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    created_at: int = field(default_factory=lambda: int(time.time()))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": (
                {"object": "list", "data": self.problems} if self.status == "failed" else None
            ),
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "metadata": self.metadata,
            "request_counts": {"total": len(self.lines), **self.counts},
        }


class BatchService:
    """Files and batches of one FakeOpenAI (`fake.batch`)."""

    def __init__(self, fake: FakeOpenAI) -> None:
        self.fake = fake
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.uploads: list[str] = []  # file ids uploaded with purpose=batch
        self.endings: list[tuple[Ending, int | None]] = []  # next batches' fates, in order
        self.failing: dict[str, tuple[int, str, str]] = {}  # custom_id -> (status, code, msg)
        self.looks_per_state = 1
        self.answered: list[str] = []  # custom_ids executed (each one a paid request)
        self._lock = threading.Lock()

    # -- for tests -------------------------------------------------------------------------
    def end_next(self, ending: Ending, finish: int | None = None) -> None:
        """The next batch created ends this way (expired: `finish` requests done first)."""
        self.endings.append((ending, finish))

    def requests_in(self, batch_id: str) -> list[str]:
        return [line["custom_id"] for line in self.batches[batch_id].lines]

    def finish_all(self) -> None:
        """Move every batch to its end (as if 24 h had passed)."""
        with self._lock:
            for batch in self.batches.values():
                while batch.status in (*LIFECYCLE, "cancelling"):
                    self._advance(batch)

    # -- routes ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> Any:
        """(status, JSON payload or bytes)."""
        with self._lock:
            if method == "POST" and path == "/v1/files":
                return self._upload(headers, raw)
            if method == "GET" and path.startswith("/v1/files/") and path.endswith("/content"):
                found = self.files.get(path.split("/")[3])
                return (200, found) if found is not None else _missing("file")
            if method == "POST" and path == "/v1/batches":
                return self._create(json.loads(raw or b"{}"))
            if method == "GET" and path.split("?")[0] == "/v1/batches":
                listed = sorted(self.batches.values(), key=lambda b: b.id, reverse=True)
                data = [b.to_json() for b in listed]
                return 200, {"object": "list", "data": data, "has_more": False}
            parts = path.split("/")
            batch = self.batches.get(parts[3]) if len(parts) > 3 else None
            if batch is None:
                return _missing("batch")
            if method == "POST" and path.endswith("/cancel"):
                batch.status = "cancelling"
                batch.ending = "cancelled"
                return 200, batch.to_json()
            if method == "GET":
                self._look(batch)
                return 200, batch.to_json()
        return 404, {
            "error": {"message": f"Invalid URL ({method} {path})", "type": "invalid_request_error"}
        }

    def _upload(self, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        form = parse_form(headers.get("content-type", ""), raw)
        part = form.file("file")
        if form.fields.get("purpose") != "batch" or part is None:
            return 400, _error("purpose must be batch and a file given", "invalid_request_error")
        file_id = f"file-fake{len(self.files) + 1:04d}"
        self.files[file_id] = part.data
        self.uploads.append(file_id)
        return 200, {
            "id": file_id,
            "object": "file",
            "bytes": len(part.data),
            "created_at": int(time.time()),
            "filename": part.filename,
            "purpose": "batch",
        }

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        required = batch_create_params.BatchCreateParams.__required_keys__
        missing = sorted(k for k in required if k not in body)
        if missing or body.get("completion_window") != "24h":
            return 400, _error(
                f"missing or bad: {missing or ['completion_window']}", "invalid_request_error"
            )
        if body["endpoint"] not in ENDPOINTS or body["input_file_id"] not in self.files:
            return 400, _error("unknown endpoint or input file", "invalid_request_error")
        lines = [
            json.loads(x) for x in self.files[body["input_file_id"]].decode().splitlines() if x
        ]
        ending, finish = self.endings.pop(0) if self.endings else ("completed", None)
        problems = _line_problems(lines, body["endpoint"])
        if problems:
            ending = "failed"
        batch = FakeBatch(
            f"batch_fake{len(self.batches) + 1:04d}",
            body["input_file_id"],
            body["endpoint"],
            dict(body.get("metadata") or {}),
            lines,
            ending,
            finish,
            problems or [_INVALID_LINE],
        )
        self.batches[batch.id] = batch
        return 200, batch.to_json()

    # -- the lifecycle -----------------------------------------------------------------------
    def _look(self, batch: FakeBatch) -> None:
        batch.looks += 1
        if batch.looks >= self.looks_per_state:
            batch.looks = 0
            self._advance(batch)

    def _advance(self, batch: FakeBatch) -> None:
        if batch.status == "cancelling":
            self._end(batch, "cancelled")
        elif batch.status in LIFECYCLE[:-1]:
            if batch.status == "validating" and batch.ending == "failed":
                self._end(batch, "failed")
                return
            batch.status = LIFECYCLE[LIFECYCLE.index(batch.status) + 1]
        elif batch.status == "finalizing":
            self._end(batch, batch.ending)

    def _end(self, batch: FakeBatch, status: str) -> None:
        batch.status = status
        if status == "failed":
            return
        done = batch.lines if status == "completed" else batch.lines[: batch.finish or 0]
        outputs, errors = [], []
        for line in done:
            answer = self._answer(line)
            (outputs if answer["response"]["status_code"] == 200 else errors).append(answer)
        code = "batch_expired" if status == "expired" else "batch_cancelled"
        for line in batch.lines[len(done) :]:
            message = "This request could not be executed before the completion window expired."
            errors.append(
                {
                    "id": "batch_req_x",
                    "custom_id": line["custom_id"],
                    "response": None,
                    "error": {"code": code, "message": message},
                }
            )
        batch.counts = {"completed": len(outputs), "failed": len(errors)}
        batch.output_file_id = self._file(outputs) if outputs else None
        batch.error_file_id = self._file(errors) if errors else None

    def _answer(self, line: dict[str, Any]) -> dict[str, Any]:
        from .openai_server import Recorded, Scripted

        custom_id = line["custom_id"]
        if custom_id in self.failing:
            status, code, message = self.failing[custom_id]
            body: Any = _error(message, "invalid_request_error", code)
        else:
            request = Recorded("POST", line["url"], {}, line["body"])
            self.fake.requests.append(request)  # one call, at the batch price
            status, body = self._execute(line, request, Scripted())
            if status == 200:
                self.answered.append(custom_id)  # a paid request
        return {
            "id": f"batch_req_{custom_id.replace('/', '_')}",
            "custom_id": custom_id,
            "response": {"status_code": status, "request_id": f"req_{custom_id}", "body": body},
            "error": None,
        }

    def _execute(self, line: dict[str, Any], request: Any, scripted: Any) -> tuple[int, Any]:
        """One request of the batch, as its endpoint answers it."""
        url = line["url"]
        if url == "/v1/images/generations":
            return openai_images.generations(line["body"])
        if url == "/v1/images/edits":
            return openai_images.edits_json(line["body"])
        return 200, self.fake.completion(request, scripted)

    def _file(self, lines: list[dict[str, Any]]) -> str:
        file_id = f"file-fake{len(self.files) + 1:04d}"
        self.files[file_id] = "".join(
            json.dumps(x, ensure_ascii=False) + "\n" for x in lines
        ).encode()
        return file_id


def _error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _missing(what: str) -> tuple[int, Any]:
    return 404, _error(f"No such {what}", "invalid_request_error")


_INVALID_LINE = {"code": "invalid_json_line", "message": "line 1 is not valid", "line": 1}


def _line_problems(lines: list[dict[str, Any]], endpoint: str) -> list[dict[str, Any]]:
    """What the real validation step refuses: a line's `url` other than the batch's endpoint,
    a custom_id used twice, a line without method POST or a body."""
    problems, seen = [], set()
    for number, line in enumerate(lines, 1):
        custom_id = line.get("custom_id")
        if line.get("url") != endpoint:
            message = (
                f"The URL provided for this request does not match the batch endpoint {endpoint}."
            )
            problems.append({"code": "mismatched_url", "message": message, "line": number})
        elif custom_id in seen or not isinstance(custom_id, str):
            message = "The custom_id for this request is a duplicate of another request."
            problems.append({"code": "duplicate_custom_id", "message": message, "line": number})
        elif line.get("method") != "POST" or not isinstance(line.get("body"), dict):
            message = "This line is not a valid request (method POST and a JSON body)."
            problems.append({"code": "invalid_request", "message": message, "line": number})
        seen.add(custom_id)
    return problems
