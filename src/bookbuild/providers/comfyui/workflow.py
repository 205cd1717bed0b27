"""The author's own workflow: a graph exported from ComfyUI in the API format ("Export (API)"),
with `inputs:` naming the node fields bookbuild fills, e.g.

    workflow: workflows/my-flow.json
    inputs: {prompt: "6.text", seed: "3.seed", image: "10.image"}

A field is "<node id>.<input name>"; the node and the input must exist in the file. Images
(`image`, `mask`, `control_image`) are uploaded first and their names put in the field.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from bookbuild.errors import ConfigError

FILLABLE = (
    "prompt",
    "negative_prompt",
    "seed",
    "width",
    "height",
    "strength",
    "steps",
    "cfg",
    "scale",
    "image",
    "mask",
    "control_image",
)
"""The names `inputs:` may map; each is filled from the step's request."""

IMAGE_INPUTS = ("image", "mask", "control_image")

OPS_NEEDING: dict[str, tuple[str, ...]] = {
    "txt2img": ("prompt",),
    "img2img": ("prompt", "image"),
    "inpaint": ("prompt", "mask"),
    "upscale": ("image",),
    "controlnet": ("prompt", "control_image"),
}
"""What a custom workflow's `inputs:` must map for it to do each op."""


def workflow_ops(inputs: Mapping[str, str]) -> frozenset[str]:
    """The ops a workflow with these `inputs` can do."""
    return frozenset(op for op, needs in OPS_NEEDING.items() if all(n in inputs for n in needs))


def parse_workflow(data: bytes, where: str) -> dict[str, Any]:
    """The API-format graph in `data`; a ConfigError saying how to export one otherwise."""
    try:
        graph = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{where}: not a JSON file ({exc})") from None
    if isinstance(graph, dict) and isinstance(graph.get("nodes"), list) and "links" in graph:
        raise ConfigError(
            f"{where} is a workflow in ComfyUI's UI format; open it in ComfyUI and save it with "
            "Workflow > Export (API) (older versions: enable dev mode, then 'Save (API Format)')"
        )
    if not isinstance(graph, dict) or not graph:
        raise ConfigError(f"{where}: expected an API-format workflow (an object of nodes)")
    for node_id, node in graph.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise ConfigError(f"{where}: node {node_id!r} has no class_type")
        if not isinstance(node.get("inputs", {}), dict):
            raise ConfigError(f"{where}: node {node_id!r} has no inputs object")
    return graph


def check_inputs(graph: Mapping[str, Any], inputs: Mapping[str, str], where: str) -> list[str]:
    """Problems with an `inputs:` mapping against the graph (each field must name an existing
    node and one of its inputs)."""
    return [message for _, message in input_problems(graph, inputs, where)]


def input_problems(
    graph: Mapping[str, Any], inputs: Mapping[str, str], where: str
) -> list[tuple[str, str]]:
    """(input name, problem) for each `inputs:` entry that names no node field of the graph."""
    problems: list[tuple[str, str]] = []
    for name, target in inputs.items():
        node_id, dot, field = target.rpartition(".")
        if not dot or not node_id or not field:
            problems.append((name, f"`inputs.{name}`: {target!r} should be '<node id>.<input>'"))
        elif node_id not in graph:
            problems.append((name, f"`inputs.{name}`: {where} has no node {node_id!r}"))
        elif field not in graph[node_id].get("inputs", {}):
            cls = graph[node_id]["class_type"]
            known = ", ".join(sorted(graph[node_id].get("inputs", {}))) or "none"
            message = (
                f"`inputs.{name}`: node {node_id} ({cls}) in {where} has no input "
                f"{field!r} (it has: {known})"
            )
            problems.append((name, message))
    return problems


def fill(
    graph: Mapping[str, Any], inputs: Mapping[str, str], values: Mapping[str, Any]
) -> dict[str, Any]:
    """A copy of `graph` with each mapped field set to its value (names without a value, such
    as `mask` for a txt2img, keep what the workflow has)."""
    filled = copy.deepcopy(dict(graph))
    for name, target in inputs.items():
        if name in values:
            node_id, _, field = target.rpartition(".")
            filled[node_id]["inputs"][field] = values[name]
    return filled


def output_nodes(graph: Mapping[str, Any], classes: Mapping[str, Any] | None) -> list[str]:
    """Nodes whose outputs are pictures: SaveImage nodes first (they save to ComfyUI's
    `output` folder), then any other output node /object_info names (a PreviewImage only
    previews, type `temp`), each group in id order."""
    saves, others = [], []
    for node_id, node in graph.items():
        cls = node.get("class_type")
        info = classes.get(cls) if classes else None
        if cls == "SaveImage":
            saves.append(node_id)
        elif isinstance(info, dict) and info.get("output_node"):
            others.append(node_id)
    order = lambda n: (len(n), n)  # noqa: E731
    return sorted(saves, key=order) + sorted(others, key=order)
