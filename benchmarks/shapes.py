"""The workflow shapes the benchmark runs, each as an engine graph and a baseline chain length.

Every node is a `transform` with a constant output, so a run measures the engine's own cost per
node hop (claim, record, settle children, publish) and nothing a node does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Shape:
    name: str
    description: str
    length: int  # nodes in sequence; the baseline chain has as many no-op tasks

    def graph(self) -> dict[str, Any]:
        nodes = [
            {
                "id": f"n{index}",
                "type": "transform",
                "position": {"x": 0, "y": 80 * index},
                "data": {"config": {"output": {"step": index}}},
            }
            for index in range(self.length)
        ]
        edges = [
            {"id": f"n{index}->n{index + 1}", "source": f"n{index}", "target": f"n{index + 1}"}
            for index in range(self.length - 1)
        ]
        return {"nodes": nodes, "edges": edges}

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
