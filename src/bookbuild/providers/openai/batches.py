"""Chat and image steps through the OpenAI Batch API (POST /v1/files with purpose `batch`, then
POST /v1/batches; GET /v1/batches/{id} until it is done; GET /v1/files/{id}/content for the
output and error files). Half the price of the same calls, results within 24 hours.

A step is queued in the build's BatchBook (providers/batch.py) and reported pending; its
journal holds the submission, then the batch id, until its result is stored: a killed or
stopped build never submits it again, and a later `make` collects it even without --batch.
A batch that failed validation is an error; a request it could not finish (expired,
cancelled) is queued again in the next batch (those are not billed).
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, Protocol

from bookbuild.errors import BatchPending, ProviderError
from bookbuild.providers.base import ChatRequest, ChatResult
from bookbuild.providers.batch import RUNNING, BatchBook, BatchState, journaled
from bookbuild.store.journal import JobJournal

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion


class BatchProvider(Protocol):
    """What the Batch API uses of the openai provider (provider.py), without importing it."""

    def _client(self) -> openai.OpenAI: ...

    def base_url(self) -> str: ...

    def key_var(self) -> str: ...


class OpenAIChatProvider(BatchProvider, Protocol):
    """What the chat batch path uses of the provider."""

    def chat_params(self, request: ChatRequest) -> dict[str, Any]: ...

    def _reply_text(self, response: ChatCompletion, step_id: str) -> str: ...

    def _metadata(
        self,
        response: ChatCompletion,
        request_id: str | None,
        params: dict[str, Any],
        request: ChatRequest,
    ) -> dict[str, Any]: ...


CHAT_ENDPOINT = "/v1/chat/completions"
GENERATIONS_ENDPOINT = "/v1/images/generations"
EDITS_ENDPOINT = "/v1/images/edits"
BATCH_DISCOUNT = 0.5  # the Batch API's price: half of the synchronous one
SUBMISSION_TAG = "bookbuild_submission"
_REQUEUED = {"batch_expired", "batch_cancelled"}
_NO_BATCH_API = (404, 405)  # what an OpenAI-compatible server answers to /v1/batches
_REQUEST_ID = "_bookbuild_request_id"  # the line's request id, carried with its body


class OpenAIBatchAPI:
    """providers.batch.BatchAPI over the official SDK."""

    def __init__(self, provider: BatchProvider) -> None:
        self.provider = provider

    def account(self) -> str:
        return f"{self.provider.base_url()}|{self.provider.key_var()}"

    def submit(self, endpoint: str, lines: list[dict[str, Any]], submission: str) -> str:
        try:
            return self._submit(endpoint, lines, submission)
        except ProviderError as exc:
            if exc.status in _NO_BATCH_API:  # an OpenAI-compatible server without one
                raise ProviderError(
                    f"{exc.message}; {self.provider.base_url()} has no Batch API (OpenAI's own "
                    "has one): remove `batch: true` from the preset (or --batch); nothing was "
                    "sent",
                    provider="openai",
                    status=exc.status,
                ) from None
            raise

    def _submit(self, endpoint: str, lines: list[dict[str, Any]], submission: str) -> str:
        client = self.provider._client()
        jsonl = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
        upload = self._call(
            lambda: client.files.create(file=("batch.jsonl", jsonl.encode()), purpose="batch")
        )
        batch = self._call(
            lambda: client.batches.create(
                input_file_id=upload.id,
                endpoint=endpoint,  # type: ignore[arg-type]
                completion_window="24h",
                metadata={SUBMISSION_TAG: submission},
            )
        )
        return str(batch.id)

    def find(self, submission: str) -> str | None:
        client = self.provider._client()
        for batch in self._call(lambda: client.batches.list(limit=100)):
            if (batch.metadata or {}).get(SUBMISSION_TAG) == submission:
                return str(batch.id)
        return None

    def state(self, batch_id: str) -> BatchState:
        batch = self._call(lambda: self.provider._client().batches.retrieve(batch_id))
        errors = tuple(
            str(e.message or e.code) for e in (batch.errors.data if batch.errors else None) or []
        )
        return BatchState(batch.id, batch.status, batch.output_file_id, batch.error_file_id, errors)

    def lines(self, file_id: str) -> dict[str, dict[str, Any]]:
        content = self._call(lambda: self.provider._client().files.content(file_id))
        found: dict[str, dict[str, Any]] = {}
        for raw in content.text.splitlines():
            line = json.loads(raw) if raw.strip() else None
            if isinstance(line, dict) and isinstance(line.get("custom_id"), str):
                found[line["custom_id"]] = line
        return found

    def _call(self, action: Any) -> Any:
        import openai

        try:
            return action()
        except openai.APIStatusError as exc:
            raise ProviderError(
                f"the Batch API refused: {exc.message}", provider="openai", status=exc.status_code
            ) from None
        except openai.APIConnectionError as exc:
            raise ProviderError(
                f"could not reach the Batch API: {exc}", provider="openai", transient=True
            ) from None


def collect(
    provider: OpenAIChatProvider, request: ChatRequest, book: BatchBook
) -> ChatResult | None:
    """The result of the step's journaled batch request; BatchPending while the batch runs;
    None when there is nothing (left) to collect and the request must be sent again."""
    found = collected(provider, request.journal, request.step_id, book)
    if found is None:
        return None
    state, body = found
    from openai.types.chat import ChatCompletion as Completion

    request_id = request_id_of(body)
    try:
        completion = Completion.model_validate(body)
        text = provider._reply_text(completion, request.step_id)
    except ProviderError:
        request.journal.forget()  # an unusable reply is not cached: the next make asks again
        raise
    params = provider.chat_params(request)
    metadata = provider._metadata(completion, request_id, params, request)
    return ChatResult(text, discounted(metadata, state))


def collected(
    provider: BatchProvider, journal: JobJournal, step_id: str, book: BatchBook
) -> tuple[BatchState, dict[str, Any]] | None:
    """The body of the step's answer in its journaled batch, with the batch's state (any
    endpoint: chat, image generations and edits); BatchPending while the batch runs; None when
    there is nothing (left) to collect and the request must be sent again. A request the batch
    refused is a ProviderError with the service's message (never cached)."""
    job = journaled(journal.pending())
    if job is None:
        return None
    api = OpenAIBatchAPI(provider)
    try:
        batch_id = job.get("id") or api.find(str(job.get("submission")))
    except ProviderError as exc:
        if exc.status not in _NO_BATCH_API:  # e.g. 401: the batch may exist, keep looking
            raise
        batch_id = None  # no Batch API there: no batch of it can exist
    if batch_id is None:  # the build was killed before the batch was created
        journal.forget()
        return None
    state = book.state(api, str(batch_id))
    if state.status in RUNNING:
        raise BatchPending(step_id, state.id)
    custom_id = str(job.get("custom_id") or step_id)
    line = book.lines(api, state.output_file_id).get(custom_id) or book.lines(
        api, state.error_file_id
    ).get(custom_id)
    response = (line or {}).get("response") or {}
    if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
        body = dict(response["body"])
        body[_REQUEST_ID] = response.get("request_id")
        return state, body
    journal.forget()  # done with this batch either way; an error is never cached
    code, message = _error_of(line, state)
    if code in _REQUEUED or (line is None and state.status in ("expired", "cancelled")):
        return None  # not billed: send it again
    raise ProviderError(
        f"batch {state.id} ({state.status}): {message}", provider="openai", step_id=step_id
    )


def request_id_of(body: dict[str, Any]) -> str | None:
    """The request id the batch gave the step's line (taken out of the body)."""
    found = body.pop(_REQUEST_ID, None)
    return str(found) if found else None


def discounted(metadata: dict[str, Any], state: BatchState) -> dict[str, Any]:
    """The metadata of a result made in batch `state`: its cost at the batch price."""
    metadata["cost"] = round(float(metadata.get("cost") or 0.0) * BATCH_DISCOUNT, 8)
    metadata.update(batch=state.id, batch_discount=BATCH_DISCOUNT)
    return metadata


def _error_of(line: dict[str, Any] | None, state: BatchState) -> tuple[str, str]:
    if line is None:
        return "", "; ".join(state.errors) or "the batch returned no line for this request"
    error = line.get("error") or ((line.get("response") or {}).get("body") or {}).get("error")
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or error)
    return "", f"HTTP {(line.get('response') or {}).get('status_code')}"


def queue(provider: OpenAIChatProvider, request: ChatRequest, book: BatchBook) -> None:
    """Put the step's request in the next batch; raises BatchPending."""
    enqueue(
        provider,
        request.step_id,
        CHAT_ENDPOINT,
        provider.chat_params(request),
        book,
        request.journal,
    )


def enqueue(
    provider: BatchProvider,
    step_id: str,
    endpoint: str,
    body: dict[str, Any],
    book: BatchBook,
    journal: JobJournal,
) -> None:
    """Put one request (`body` for `endpoint`) in the next batch; raises BatchPending."""
    line = {"custom_id": step_id, "method": "POST", "url": endpoint, "body": body}
    book.add(OpenAIBatchAPI(provider), endpoint, line, journal)
    raise BatchPending(step_id)


def image_line(
    params: dict[str, Any], images: list[bytes], mask: bytes | None
) -> tuple[str, dict[str, Any]]:
    """The endpoint and JSON body of one Images API call in a batch: a generation, or an edit
    whose pictures (and mask) travel in the JSON body as base64 data URLs (`images:
    [{image_url}]`, `mask: {image_url}`, the JSON form of /v1/images/edits; a batch line cannot
    carry a multipart upload)."""
    if not images:
        return GENERATIONS_ENDPOINT, dict(params)
    body: dict[str, Any] = {**params, "images": [{"image_url": _data_url(i)} for i in images]}
    if mask is not None:
        body["mask"] = {"image_url": _data_url(mask)}
    return EDITS_ENDPOINT, body


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
