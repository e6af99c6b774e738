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


@dataclass(frozen=True)
class ShapeRun:
    """One shape of a benchmark run and the rate its executions are started at."""

    shape: Shape
    rate: float


def shape_runs(spec: str, default_rate: float) -> list[ShapeRun]:
    """Shapes from a comma-separated list, each at `default_rate` or at the rate given after
    an `@` (`three,chain40@10`). An unknown name or a bad rate is an error naming the problem."""
    found: list[ShapeRun] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        name, _, rate_text = item.partition("@")
        if name not in SHAPES:
            raise ValueError(f"unknown shape {name!r}; known shapes: {', '.join(SHAPES)}")
        try:
            rate = float(rate_text) if rate_text else default_rate
        except ValueError:
            raise ValueError(f"{item!r}: the rate after '@' must be a number") from None
        if rate <= 0:
            raise ValueError(f"{item!r}: the rate must be positive")
        found.append(ShapeRun(SHAPES[name], rate))
    if not found:
        raise ValueError("no shape given")
    return found
