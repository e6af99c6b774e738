"""Small builders for React Flow shaped graphs, so tests read as the graph they run."""

from __future__ import annotations

from typing import Any


def transform(node_id: str, output: Any, **data: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "transform", "data": {"config": {"output": output}, **data}}


def condition(node_id: str, expression: str, **data: Any) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "condition",
        "data": {"config": {"expression": expression}, **data},
    }


def http(node_id: str, url: str, **config: Any) -> dict[str, Any]:
    retry = config.pop("retry", None)
    data: dict[str, Any] = {"config": {"url": url, **config}}
    if retry:
        data["retry"] = retry
    return {"id": node_id, "type": "http", "data": data}


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"id": f"{source}->{target}", "source": source, "target": target}
    if handle is not None:
        found["sourceHandle"] = handle
        found["id"] += f":{handle}"
    return found


def graph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"nodes": nodes, "edges": edges or []}


def chain(length: int) -> dict[str, Any]:
    """n0 -> n1 -> ... : each node passes on a counter incremented by one."""
    nodes = [transform("n0", {"step": 0})]
    for index in range(1, length):
        nodes.append(
            transform(f"n{index}", {"step": f"{{{{ nodes.n{index - 1}.output.step + 1 }}}}"})
        )
    return graph(nodes, [edge(f"n{index - 1}", f"n{index}") for index in range(1, length)])
