"""Chat steps through the OpenAI Batch API (POST /v1/files with purpose `batch`, then
POST /v1/batches; GET /v1/batches/{id} until it is done; GET /v1/files/{id}/content for the
output and error files). Half the price of the same calls, results within 24 hours.

A step is queued in the build's BatchBook (providers/batch.py) and reported pending; its
journal holds the submission, then the batch id, until its result is stored: a killed or
stopped build never submits it again, and a later `make` collects it even without --batch.
A batch that failed validation is an error; a request it could not finish (expired,
cancelled) is queued again in the next batch (those are not billed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Protocol

from bookbuild.errors import BatchPending, ProviderError
from bookbuild.providers.base import ChatRequest, ChatResult
from bookbuild.providers.batch import RUNNING, BatchBook, BatchState, journaled

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletion


class OpenAIChatProvider(Protocol):
    """What the batch path uses of the chat provider (provider.py), without importing it."""

    def _client(self) -> openai.OpenAI: ...

    def base_url(self) -> str: ...

    def key_var(self) -> str: ...

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
BATCH_DISCOUNT = 0.5  # the Batch API's price: half of the synchronous one
SUBMISSION_TAG = "bookbuild_submission"
_REQUEUED = {"batch_expired", "batch_cancelled"}


class OpenAIBatchAPI:
    """providers.batch.BatchAPI over the official SDK."""

    def __init__(self, provider: OpenAIChatProvider) -> None:
        self.provider = provider

    def account(self) -> str:
        return f"{self.provider.base_url()}|{self.provider.key_var()}"

    def submit(self, endpoint: str, lines: list[dict[str, Any]], submission: str) -> str:
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
    job = journaled(request.journal.pending())
    if job is None:
        return None
    api = OpenAIBatchAPI(provider)
    batch_id = job.get("id") or api.find(str(job.get("submission")))
    if batch_id is None:  # the build was killed before the batch was created
        request.journal.forget()
        return None
    state = book.state(api, str(batch_id))
    if state.status in RUNNING:
        raise BatchPending(request.step_id, state.id)
    custom_id = str(job.get("custom_id") or request.step_id)
    line = book.lines(api, state.output_file_id).get(custom_id) or book.lines(
        api, state.error_file_id
    ).get(custom_id)
    return _answer(provider, request, state, line)


def _answer(
    provider: OpenAIChatProvider,
    request: ChatRequest,
    state: BatchState,
    line: dict[str, Any] | None,
) -> ChatResult | None:
    from openai.types.chat import ChatCompletion as Completion

    response = (line or {}).get("response") or {}
    if response.get("status_code") == 200:
        completion = Completion.model_validate(response.get("body"))
        text = provider._reply_text(completion, request.step_id)
        params = provider.chat_params(request)
        metadata = provider._metadata(completion, response.get("request_id"), params, request)
        metadata["cost"] = round(float(metadata.get("cost") or 0.0) * BATCH_DISCOUNT, 8)
        metadata.update(batch=state.id, batch_discount=BATCH_DISCOUNT)
        return ChatResult(text, metadata)
    request.journal.forget()  # done with this batch either way; an error is never cached
    code, message = _error_of(line, state)
    if code in _REQUEUED or (line is None and state.status in ("expired", "cancelled")):
        return None  # not billed: send it again
    raise ProviderError(
        f"batch {state.id} ({state.status}): {message}", provider="openai", step_id=request.step_id
    )


def _error_of(line: dict[str, Any] | None, state: BatchState) -> tuple[str, str]:
    if line is None:
        return "", "; ".join(state.errors) or "the batch returned no line for this request"
    error = line.get("error") or ((line.get("response") or {}).get("body") or {}).get("error")
    if isinstance(error, dict):
        return str(error.get("code") or ""), str(error.get("message") or error)
    return "", f"HTTP {(line.get('response') or {}).get('status_code')}"


def queue(provider: OpenAIChatProvider, request: ChatRequest, book: BatchBook) -> None:
    """Put the step's request in the next batch; raises BatchPending."""
    line = {
        "custom_id": request.step_id,
        "method": "POST",
        "url": CHAT_ENDPOINT,
        "body": provider.chat_params(request),
    }
    book.add(OpenAIBatchAPI(provider), CHAT_ENDPOINT, line, request.journal)
    raise BatchPending(request.step_id)
