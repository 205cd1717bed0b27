"""How the fake ComfyUI checks and runs an API-format graph (`{node_id: {class_type, inputs}}`,
links as `[node_id, output_index]`), following ComfyUI's `execution.validate_prompt`:

- a node without `class_type`, or of an unknown class → `invalid_prompt` ("Cannot execute
  because node X does not exist.", details "Node ID '#id'") and an empty `node_errors`;
- no output node → `prompt_no_outputs`;
- then every input of every node an output depends on: `required_input_missing`,
  `bad_linked_input`, `return_type_mismatch`, `invalid_input_type`, `value_smaller_than_min`,
  `value_bigger_than_max`, `value_not_in_list`, LoadImage's `custom_validation_failed`
  ("Invalid image file"), collected per node into `node_errors` {id: {errors,
  dependent_outputs, class_type}} under `prompt_outputs_failed_validation`.

Execution evaluates each output's inputs first (dependency order), once per node.
"""

from __future__ import annotations

from typing import Any

from .comfyui_catalogue import NodeClass

Graph = dict[str, dict[str, Any]]


class Invalid(Exception):
    """The graph was refused: `error` and `node_errors` are the 400 body's fields."""

    def __init__(self, error: dict[str, Any], node_errors: Any) -> None:
        super().__init__(error["message"])
        self.error = error
        self.node_errors = node_errors


class NodeFailed(Exception):
    """A node raised while running (the history's `execution_error`)."""

    def __init__(self, node_id: str, class_type: str, message: str) -> None:
        super().__init__(message)
        self.node_id = node_id
        self.class_type = class_type


def _problem(kind: str, message: str, details: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": extra}


def validate(graph: Any, classes: dict[str, NodeClass]) -> list[str]:
    """The output node ids of a valid graph; raises Invalid as ComfyUI answers it."""
    if not isinstance(graph, dict) or not graph:
        raise Invalid(
            _problem("invalid_prompt", "Cannot execute because the prompt is empty.", ""), []
        )
    outputs = []
    for node_id, node in graph.items():
        if not isinstance(node, dict) or "class_type" not in node:
            message = "Cannot execute because a node is missing the class_type property."
            raise Invalid(_problem("invalid_prompt", message, f"Node ID '#{node_id}'"), [])
        found = classes.get(node["class_type"])
        if found is None:
            message = f"Cannot execute because node {node['class_type']} does not exist."
            raise Invalid(_problem("invalid_prompt", message, f"Node ID '#{node_id}'"), [])
        if found.output_node:
            outputs.append(node_id)
    if not outputs:
        raise Invalid(_problem("prompt_no_outputs", "Prompt has no outputs", ""), [])
    good, _ = check_outputs(graph, classes, outputs)
    if not good:
        problems: dict[str, list[dict[str, Any]]] = {}
        for output in outputs:
            _check_node(graph, classes, output, problems, set())
        raise Invalid(*_refusal(graph, outputs, problems))
    return good


def check_outputs(
    graph: Graph, classes: dict[str, NodeClass], outputs: list[str]
) -> tuple[list[str], dict[str, Any]]:
    """(the outputs whose inputs all validate, node_errors of the others), as ComfyUI's
    validate_prompt: a partly valid graph is queued with its good outputs only, and the 200
    answer's `node_errors` lists each failing node with the outputs it ("Output will be
    ignored") took down in `dependent_outputs`."""
    good: list[str] = []
    node_errors: dict[str, Any] = {}
    for output in outputs:
        problems: dict[str, list[dict[str, Any]]] = {}
        _check_node(graph, classes, output, problems, set())
        failing = {node: errors for node, errors in problems.items() if errors}
        if not failing:
            good.append(output)
        for node, errors in failing.items():
            entry = node_errors.setdefault(
                node,
                {
                    "errors": errors,
                    "dependent_outputs": [],
                    "class_type": graph[node]["class_type"],
                },
            )
            entry["dependent_outputs"].append(output)
    return good, node_errors


def _refusal(
    graph: Graph, outputs: list[str], problems: dict[str, list[dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    node_errors = {
        node_id: {
            "errors": errors,
            "dependent_outputs": outputs,
            "class_type": graph[node_id]["class_type"],
        }
        for node_id, errors in problems.items()
        if errors
    }
    details = "\n".join(
        f"{e['message']}: {e['details']}" for errors in problems.values() for e in errors
    )
    error = _problem(
        "prompt_outputs_failed_validation", "Prompt outputs failed validation", details
    )
    return error, node_errors


def _check_node(
    graph: Graph,
    classes: dict[str, NodeClass],
    node_id: str,
    problems: dict[str, list[dict[str, Any]]],
    seen: set[str],
) -> None:
    if node_id in problems or node_id in seen:
        return
    seen.add(node_id)
    node = graph[node_id]
    cls = classes[node["class_type"]]
    inputs = node.get("inputs") or {}
    errors: list[dict[str, Any]] = []
    specs = {**cls.required, **{k: v for k, v in cls.optional.items() if k in inputs}}
    for name, spec in specs.items():
        if name not in inputs:
            errors.append(
                _problem(
                    "required_input_missing", "Required input is missing", name, input_name=name
                )
            )
            continue
        value = inputs[name]
        if isinstance(value, list):
            errors += _check_link(graph, classes, name, value, spec, problems, seen)
        else:
            errors += _check_value(cls, name, value, spec, inputs)
    problems[node_id] = errors


def _check_link(
    graph: Graph,
    classes: dict[str, NodeClass],
    name: str,
    link: list[Any],
    spec: tuple[Any, ...],
    problems: dict[str, list[dict[str, Any]]],
    seen: set[str],
) -> list[dict[str, Any]]:
    if len(link) != 2 or str(link[0]) not in graph:
        message = "Bad linked input, must be a length-2 list of [node_id, slot_index]"
        return [_problem("bad_linked_input", message, name, input_name=name, received_value=link)]
    source = classes[graph[str(link[0])]["class_type"]]
    slot = int(link[1])
    received = source.returns[slot] if 0 <= slot < len(source.returns) else None
    if received != spec[0]:
        details = f"{name}, {received} != {spec[0]}"
        return [
            _problem(
                "return_type_mismatch",
                "Return type mismatch between linked nodes",
                details,
                input_name=name,
            )
        ]
    _check_node(graph, classes, str(link[0]), problems, seen)
    return []


def _check_value(
    cls: NodeClass, name: str, value: Any, spec: tuple[Any, ...], inputs: dict[str, Any]
) -> list[dict[str, Any]]:
    kind = spec[0]
    limits = spec[1] if len(spec) > 1 else {}
    convert = (
        {"INT": int, "FLOAT": float, "STRING": str}.get(kind) if isinstance(kind, str) else None
    )
    try:
        if convert is not None:
            inputs[name] = value = convert(value)
    except (TypeError, ValueError) as exc:
        message = f"Failed to convert an input value to a {kind} value"
        return [_problem("invalid_input_type", message, f"{name}, {value}, {exc}", input_name=name)]
    found = _out_of_range(name, value, limits)
    if found is None and isinstance(kind, list) and value not in kind:
        found = _not_listed(cls, name, value, kind)
    return [found] if found is not None else []


def _out_of_range(name: str, value: Any, limits: dict[str, Any]) -> dict[str, Any] | None:
    if "min" in limits and value < limits["min"]:
        message = f"Value {value} smaller than min of {limits['min']}"
        return _problem("value_smaller_than_min", message, name, input_name=name)
    if "max" in limits and value > limits["max"]:
        message = f"Value {value} bigger than max of {limits['max']}"
        return _problem("value_bigger_than_max", message, name, input_name=name)
    return None


def _not_listed(cls: NodeClass, name: str, value: Any, choices: list[Any]) -> dict[str, Any]:
    """A choice not offered; LoadImage's own check says the file is not an input file."""
    if cls.name in ("LoadImage", "LoadImageMask") and name == "image":
        details = f"image - Invalid image file: {value}"
        return _problem("custom_validation_failed", "Custom validation failed for node", details)
    listed = f"(list of length {len(choices)})" if len(choices) > 20 else str(choices)
    details = f"{name}: '{value}' not in {listed}"
    return _problem("value_not_in_list", "Value not in list", details, input_name=name)


def execute(graph: Graph, classes: dict[str, NodeClass], outputs: list[str]) -> dict[str, Any]:
    """Run the graph; the `ui` dict each output node returned, by node id."""
    done: dict[str, tuple[Any, ...]] = {}
    results: dict[str, Any] = {}
    for output in outputs:
        produced = _run(graph, classes, output, done)
        if produced and isinstance(produced[0], dict) and "ui" in produced[0]:
            results[output] = produced[0]["ui"]
    return results


def _run(
    graph: Graph, classes: dict[str, NodeClass], node_id: str, done: dict[str, tuple[Any, ...]]
) -> tuple[Any, ...]:
    if node_id in done:
        return done[node_id]
    node = graph[node_id]
    cls = classes[node["class_type"]]
    arguments = {}
    for name, value in (node.get("inputs") or {}).items():
        if name not in cls.required and name not in cls.optional:
            continue  # ComfyUI ignores inputs its node does not declare
        if isinstance(value, list):
            arguments[name] = _run(graph, classes, str(value[0]), done)[int(value[1])]
        else:
            arguments[name] = value
    try:
        done[node_id] = cls.run(**arguments)
    except NodeFailed:
        raise
    except Exception as exc:
        raise NodeFailed(node_id, node["class_type"], str(exc)) from exc
    return done[node_id]
