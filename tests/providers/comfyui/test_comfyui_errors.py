"""What the comfyui provider says when the server refuses, fails or is not there, and how a
queued job survives a build that stopped waiting."""

from __future__ import annotations

import json
import socket
from io import BytesIO

import pytest
from PIL import Image

from bookbuild.errors import ProviderError
from bookbuild.providers.base import ImageRequest
from tests.fakes.comfyui_server import FakeComfyUI
from tests.fakes.sdapi_scenarios import DictJournal

from .conftest import provider_for


def txt2img(journal: DictJournal | None = None) -> ImageRequest:
    extra = {"journal": journal} if journal is not None else {}
    return ImageRequest(
        "ch/fox/image", "txt2img", prompt="a fox", width=64, height=48, seed=7, **extra
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_server_not_running_is_one_error_naming_the_url_and_how_to_start_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    provider = provider_for(None, base_url=url)
    with pytest.raises(ProviderError) as caught:
        provider.run_image(txt2img())
    message = str(caught.value)
    assert url in message
    assert "python main.py --listen" in message
    assert not caught.value.transient


def test_node_errors_are_reported_by_node_id_and_class(fake_comfyui: FakeComfyUI) -> None:
    provider = provider_for(fake_comfyui, checkpoint="missing.safetensors", sampler="warp")
    with pytest.raises(ProviderError) as caught:
        provider.run_image(txt2img())
    message = str(caught.value)
    assert "Prompt outputs failed validation" in message
    assert (
        "node checkpoint (CheckpointLoaderSimple): Value not in list: "
        "ckpt_name: 'missing.safetensors'" in message
    )
    assert "node sampler (KSampler): Value not in list: sampler_name: 'warp'" in message
    assert fake_comfyui.count("history") == 0


def test_a_node_failing_while_running_is_reported_with_its_message(
    fake_comfyui: FakeComfyUI,
) -> None:
    fake_comfyui.fail_node("KSampler", "CUDA out of memory")
    journal = DictJournal()
    with pytest.raises(ProviderError) as caught:
        provider_for(fake_comfyui).run_image(txt2img(journal))
    assert "node sampler (KSampler): CUDA out of memory" in str(caught.value)
    assert journal.job is None  # a failed job is forgotten: the next build submits anew


def give_up_waiting(fake: FakeComfyUI) -> DictJournal:
    """A build that queued a job the server holds and stopped waiting at its deadline (time
    is simulated): its journal, still naming the job."""
    journal = DictJournal()
    fake.hold()
    first = provider_for(fake, deadline=3, poll_interval=1)
    now = [0.0]
    first.clock = lambda: now[0]
    first.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    with pytest.raises(ProviderError, match="resumes waiting"):
        first.run_image(txt2img(journal))
    return journal


def test_the_prompt_id_is_journaled_before_waiting_and_a_new_build_resumes_it(
    fake_comfyui: FakeComfyUI,
) -> None:
    journal = give_up_waiting(fake_comfyui)
    assert journal.job is not None and journal.job["prompt_id"]
    fake_comfyui.release()

    second = provider_for(fake_comfyui)
    result = second.run_image(txt2img(journal))

    assert fake_comfyui.count("prompt") == 1  # queued once, paid for once
    assert result.metadata["prompt_id"] == journal.remembered[0]["prompt_id"]
    assert journal.job is None


def test_a_job_the_server_lost_is_submitted_again(fake_comfyui: FakeComfyUI) -> None:
    journal = give_up_waiting(fake_comfyui)
    lost = journal.remembered[0]["prompt_id"]
    with FakeComfyUI() as restarted:  # ComfyUI restarted: its queue and history are empty
        result = provider_for(restarted).run_image(txt2img(journal))
        assert restarted.count("prompt") == 1
    assert result.metadata["prompt_id"] != lost


def test_a_server_without_controlnet_nodes_refuses_controlnet_before_queuing() -> None:
    with FakeComfyUI(controlnet=False) as fake:
        provider = provider_for(fake, controlnet_models={"canny": "control_v11p_sd15_canny.pth"})
        reference = BytesIO()
        Image.new("RGB", (32, 32), "white").save(reference, "PNG")
        request = ImageRequest(
            "ch/fox/image",
            "controlnet",
            prompt="a fox",
            width=64,
            height=48,
            control_image=reference.getvalue(),
            params={"controlnet": {"type": "canny", "strength": 1.0}},
        )
        with pytest.raises(
            ProviderError, match="no ControlNetApplyAdvanced, ControlNetLoader nodes"
        ):
            provider.run_image(request)
        assert fake.count("prompt") == 0


def test_unknown_node_class_in_a_workflow_is_named(fake_comfyui: FakeComfyUI) -> None:
    graph = {
        "1": {"class_type": "FancyUpscaler", "inputs": {}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "x"}},
    }
    provider = provider_for(fake_comfyui, workflow="workflows/flow.json", inputs={})
    request = ImageRequest(
        "ch/fox/image", "txt2img", prompt="a fox", files={"workflow": json.dumps(graph).encode()}
    )
    with pytest.raises(
        ProviderError, match=r"node FancyUpscaler does not exist\. \(Node ID '#1'\)"
    ):
        provider.run_image(request)
