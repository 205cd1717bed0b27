"""One queued ComfyUI job: submitted once, its prompt_id recorded in the step's journal before
waiting, then /history polled until it is done. A build killed while waiting resumes polling
the recorded job; it submits again only when the server certainly no longer has it (not in
/history and not in /queue, e.g. after a restart of ComfyUI).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bookbuild.errors import ProviderError
from bookbuild.providers.comfyui.client import ComfyUIClient, execution_error
from bookbuild.store.journal import JobJournal

log = logging.getLogger("bookbuild.providers.comfyui")

DEFAULT_DEADLINE = 1800.0


def graph_digest(graph: Mapping[str, Any]) -> str:
    canonical = json.dumps(graph, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class JobRunner:
    client: ComfyUIClient
    journal: JobJournal
    poll_interval: float
    deadline: float
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    step_id: str = ""

    def run(
        self, graph: Mapping[str, Any], output: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """(prompt_id, history entry) of the job that ran `graph`, successfully; refused when
        the server queued it without `output` (node errors touching it)."""
        digest = graph_digest(graph)
        prompt_id = self._resumable(digest)
        if prompt_id is None:
            self.journal.intend("comfyui /prompt")
            try:
                prompt_id = self.client.submit(graph, client_id=uuid.uuid4().hex, output=output)
            except ProviderError:
                self.journal.forget()
                raise
            self.journal.remember({"prompt_id": prompt_id, "graph": digest})
            log.debug("%s: queued as %s", self.step_id, prompt_id)
        entry = self._wait(prompt_id)
        failure = execution_error(entry)
        self.journal.forget()  # done either way: a failure is not kept, a retry submits anew
        if failure is not None:
            raise ProviderError(failure, provider="comfyui", step_id=self.step_id)
        return prompt_id, entry

    def _resumable(self, digest: str) -> str | None:
        """The prompt_id of this step's job from a killed build, if the server still has it."""
        pending = self.journal.pending()
        if not pending or pending.get("graph") != digest or not pending.get("prompt_id"):
            return None
        prompt_id = str(pending["prompt_id"])
        if self.client.history(prompt_id) is not None or self.client.queued(prompt_id):
            log.debug("%s: resuming %s", self.step_id, prompt_id)
            return prompt_id
        if self.client.history(prompt_id) is not None:  # it finished between the two looks
            return prompt_id
        log.debug("%s: %s is gone from the server; submitting again", self.step_id, prompt_id)
        self.journal.forget()
        return None

    def _wait(self, prompt_id: str) -> dict[str, Any]:
        give_up = self.clock() + self.deadline
        while True:
            entry = self.client.history(prompt_id)
            if entry is not None and _finished(entry):
                return entry
            if self.clock() >= give_up:
                raise ProviderError(
                    f"ComfyUI job {prompt_id} is not done after {self.deadline:g} s; it is still "
                    "queued on the server, and the next build resumes waiting for it "
                    "(raise the preset's `deadline` to wait longer)",
                    provider="comfyui",
                    step_id=self.step_id,
                )
            self.sleep(self.poll_interval)


def _finished(entry: Mapping[str, Any]) -> bool:
    """A history entry is final when its status says completed or error (old servers that
    write no status are final as soon as the entry exists)."""
    status = entry.get("status")
    if not isinstance(status, dict):
        return True
    return bool(status.get("completed")) or status.get("status_str") == "error"


def output_images(entry: Mapping[str, Any], node_id: str | None) -> list[dict[str, Any]]:
    """The saved images (type `output`) the history lists for `node_id` (or for the first
    output node that has any, in id order)."""
    outputs = entry.get("outputs")
    if not isinstance(outputs, dict):
        return []
    nodes = [node_id] if node_id is not None else sorted(outputs, key=lambda n: (len(n), n))
    for node in nodes:
        found = outputs.get(node)
        images = found.get("images") if isinstance(found, dict) else None
        saved = [i for i in images or [] if isinstance(i, dict) and _saved(i)]
        if saved:
            return saved
    return []


def _saved(image: Mapping[str, Any]) -> bool:
    """A picture SaveImage wrote (type `output`), not a PreviewImage's `temp` one."""
    return bool(image.get("type", "output") == "output")
