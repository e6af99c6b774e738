"""compile_plan: the run-time view of a graph (parents, handles, ancestors, order)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from workflows.graph import InvalidGraph, compile_plan
from workflows.nodes import NODE_TYPES
from workflows.retry import RetryPolicy


def node(node_id: str, node_type: str = "transform", **data: Any) -> dict[str, Any]:
    defaults = {
        "transform": {"output": node_id},
        "condition": {"expression": "input.go"},
        "http": {"url": "https://example.test"},
    }
    data.setdefault("config", defaults[node_type])
    return {"id": node_id, "type": node_type, "data": data}


def edge(source: str, target: str, handle: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": f"{source}-{target}-{handle}",
        "source": source,
        "target": target,
    }
    if handle is not None:
        found["sourceHandle"] = handle
    return found


def assert_topological(order: tuple[str, ...], edges: list[tuple[str, str]]) -> None:
    position = {node_id: index for index, node_id in enumerate(order)}
    for source, target in edges:
        assert position[source] < position[target], f"{source} must come before {target}"


def test_a_non_series_parallel_dag() -> None:
    pairs = [("A", "C"), ("A", "D"), ("B", "D"), ("B", "E")]
    plan = compile_plan(
        {
            "nodes": [node(node_id) for node_id in "ABCDE"],
            "edges": [edge(source, target) for source, target in pairs],
        }
    )
    assert set(plan.nodes) == set("ABCDE")
    assert plan.roots == ("A", "B")
    assert set(plan.leaves) == {"C", "D", "E"}
    assert sorted(plan.order) == list("ABCDE")
    assert_topological(plan.order, pairs)
    assert {node_id: set(plan.nodes[node_id].parents) for node_id in "ABCDE"} == {
        "A": set(),
        "B": set(),
        "C": {"A"},
        "D": {"A", "B"},
        "E": {"B"},
    }
    assert {node_id: set(plan.nodes[node_id].children) for node_id in "ABCDE"} == {
        "A": {"C", "D"},
        "B": {"D", "E"},
        "C": set(),
        "D": set(),
        "E": set(),
    }
    assert plan.nodes["D"].ancestors == frozenset({"A", "B"})
    assert plan.nodes["C"].ancestors == frozenset({"A"})
    assert plan.nodes["E"].ancestors == frozenset({"B"})
    assert plan.nodes["A"].ancestors == frozenset()


def test_ancestors_are_transitive_and_order_is_topological() -> None:
    # A diamond with a tail, listed out of order so the order must be computed.
    pairs = [("b", "d"), ("c", "d"), ("a", "b"), ("a", "c"), ("d", "e")]
    plan = compile_plan(
        {"nodes": [node(node_id) for node_id in "edcba"], "edges": [edge(*pair) for pair in pairs]}
    )
    assert plan.roots == ("a",)
    assert plan.leaves == ("e",)
    assert plan.order[0] == "a"
    assert plan.order[-1] == "e"
    assert_topological(plan.order, pairs)
    assert plan.nodes["e"].ancestors == frozenset("abcd")
    assert plan.nodes["d"].ancestors == frozenset("abc")
    assert sorted(plan.nodes["d"].parents) == ["b", "c"]


def test_children_carry_the_handles_of_their_edges() -> None:
    plan = compile_plan(
        {
            "nodes": [node("check", "condition"), node("yes"), node("no"), node("always")],
            "edges": [
                edge("check", "yes", "true"),
                edge("check", "no", "false"),
                edge("check", "always", "true"),
                edge("check", "always", "false"),
                edge("yes", "always"),
            ],
        }
    )
    assert plan.nodes["check"].children == {
        "yes": frozenset({"true"}),
        "no": frozenset({"false"}),
        "always": frozenset({"true", "false"}),
    }
    assert plan.nodes["yes"].children == {"always": frozenset({None})}
    # Two edges from one parent still make one parent.
    assert sorted(plan.nodes["always"].parents) == ["check", "yes"]
    assert plan.nodes["check"].type is NODE_TYPES["condition"]


def test_plan_nodes_carry_config_retry_and_join() -> None:
    plan = compile_plan(
        {
            "nodes": [
                node("fetch", "http", retry={"max_attempts": 5, "initial_interval_seconds": 3}),
                node("plain"),
                node("merge", join="any", config={"output": "{{ nodes.fetch.output }}"}),
            ],
            "edges": [edge("fetch", "merge"), edge("plain", "merge")],
        }
    )
    fetch, plain, merge = (plan.nodes[name] for name in ("fetch", "plain", "merge"))
    assert fetch.retry.max_attempts == 5
    assert fetch.retry.initial_interval == timedelta(seconds=3)
    # Settings not given come from the node type's default (http retries three times).
    assert fetch.retry.max_interval == NODE_TYPES["http"].default_retry.max_interval
    assert plain.retry == RetryPolicy()
    assert NODE_TYPES["http"].default_retry.max_attempts == 3
    assert compile_plan({"nodes": [node("h", "http")]}).nodes["h"].retry.max_attempts == 3
    assert merge.join == "any"
    assert plain.join == "all"
    assert merge.config == {"output": "{{ nodes.fetch.output }}"}  # rendered at run time


def test_a_single_node_is_root_and_leaf() -> None:
    plan = compile_plan({"nodes": [node("only")]})
    assert plan.roots == plan.leaves == plan.order == ("only",)


def test_an_invalid_graph_raises_with_every_error() -> None:
    with pytest.raises(InvalidGraph) as raised:
        compile_plan(
            {
                "nodes": [node("a"), node("a"), {"id": "b", "type": "nope"}],
                "edges": [edge("a", "ghost")],
            }
        )
    assert [error.code for error in raised.value.errors] == [
        "duplicate_node_id",
        "unknown_node_type",
        "dangling_edge",
    ]
    assert "'ghost'" in str(raised.value)
