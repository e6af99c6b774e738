"""The workflow shapes the benchmark runs, each as an engine graph and a baseline chain length.

Nodes are `transform`s with a constant output, so a run measures the engine's own cost per node
hop (claim, record, settle children, publish) and nothing a node does; the `code` shape measures
small jailed user-code nodes through the whole engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    length: int  # nodes in sequence; the baseline chain has as many no-op tasks
    node_type: str = "transform"

    def graph(self) -> dict[str, Any]:
        nodes = [
            {
                "id": f"n{index}",
                "type": self.node_type,
                "position": {"x": 0, "y": 80 * index},
                "data": {"config": self._config(index)},
            }
            for index in range(self.length)
        ]
        edges = [
            {"id": f"n{index}->n{index + 1}", "source": f"n{index}", "target": f"n{index + 1}"}
            for index in range(self.length - 1)
        ]
        return {"nodes": nodes, "edges": edges}

    def _config(self, index: int) -> dict[str, Any]:
        if self.node_type == "code":
            return {
                "language": "python",
                "code": f"def main(input):\n    return {{'step': {index}}}\n",
            }
        return {"output": {"step": index}}

    @property
    def workflow_name(self) -> str:
        return f"bench-{self.name}"


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape("three", "3 transform nodes in sequence", 3),
        Shape("chain40", "40 transform nodes in sequence", 40),
        Shape("single", "1 transform node", 1),
        Shape("chain10", "10 transform nodes in sequence", 10),
        Shape("code", "1 python code node, run in a jail on the sandbox queue", 1, "code"),
    )
}


def shapes_get(names: str) -> list[Shape]:
    """Shapes from a comma-separated list; an unknown name is an error that lists the known ones."""
    found: list[Shape] = []
    for name in (part.strip() for part in names.split(",")):
        if not name:
            continue
        if name not in SHAPES:
            raise ValueError(f"unknown shape {name!r}; known shapes: {', '.join(SHAPES)}")
        found.append(SHAPES[name])
    if not found:
        raise ValueError("no shape given")
    return found
