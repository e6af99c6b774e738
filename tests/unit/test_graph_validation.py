"""Graph validation: every error kind, each naming its node or edge and field, all at once."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.graph import GraphError, validate


def transform(node_id: str, **data: Any) -> dict[str, Any]:
    data.setdefault("config", {"output": {"id": node_id}})
    return {"id": node_id, "type": "transform", "position": {"x": 0, "y": 0}, "data": data}


def condition(node_id: str, expression: str = "input.amount > 100") -> dict[str, Any]:
    return {"id": node_id, "type": "condition", "data": {"config": {"expression": expression}}}


def http(node_id: str, **config: Any) -> dict[str, Any]:
    config.setdefault("url", "https://example.test/{{ input.id }}")
    return {"id": node_id, "type": "http", "data": {"config": config}}


def edge(source: Any, target: Any, edge_id: str | None = None, **extra: Any) -> dict[str, Any]:
    found = {"source": source, "target": target, **extra}
    if edge_id is not None:
        found["id"] = edge_id
    return found


def graph(*nodes: dict[str, Any], edges: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"nodes": list(nodes), "edges": edges or []}


def where(errors: list[GraphError]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(error.code, error.node, error.edge, error.field) for error in errors]


def test_a_valid_graph_has_no_errors() -> None:
    valid = graph(
        transform("start"),
        condition("big", "input.amount > 100 and nodes.start.output.id == 'start'"),
        http("notify", method="POST", body={"amount": "{{ input.amount }}"}),
        transform("small", join="any", retry={"max_attempts": 3, "backoff_coefficient": 1.5}),
        edges=[
            edge("start", "big", "e1"),
            edge("big", "notify", "e2", sourceHandle="true"),
            edge("big", "small", "e3", sourceHandle="false"),
        ],
    )
    assert validate(valid) == []


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (None, None),
        ([], None),
        ("nodes", None),
        ({"nodes": {"a": {}}}, "nodes"),
        ({"edges": []}, "nodes"),
        ({"nodes": [transform("a")], "edges": {"e": {}}}, "edges"),
    ],
)
def test_invalid_graph_shape(value: Any, field: str | None) -> None:
    assert where(validate(value)) == [("invalid_graph", None, None, field)]


def test_empty_graph() -> None:
    assert where(validate({"nodes": [], "edges": []})) == [("empty_graph", None, None, "nodes")]


@pytest.mark.parametrize(
    ("node", "field"),
    [
        ("not an object", "nodes[0]"),
        ({"type": "transform"}, "nodes[0].id"),
        ({"id": "   ", "type": "transform"}, "nodes[0].id"),
        ({"id": 7, "type": "transform"}, "nodes[0].id"),
    ],
)
def test_invalid_node_without_a_usable_id_is_named_by_position(node: Any, field: str) -> None:
    assert where(validate({"nodes": [node]})) == [("invalid_node", None, None, field)]


def test_invalid_node_data_is_named_by_node_id() -> None:
    broken = {"id": "a", "type": "transform", "data": ["config"]}
    assert where(validate(graph(broken))) == [("invalid_node", "a", None, "data")]


def test_duplicate_node_id() -> None:
    errors = validate(graph(transform("a"), transform("a")))
    assert where(errors) == [("duplicate_node_id", "a", None, "id")]
    assert "'a'" in errors[0].message


def test_duplicate_edge_id() -> None:
    errors = validate(
        graph(
            transform("a"),
            transform("b"),
            transform("c"),
            edges=[edge("a", "b", "e1"), edge("a", "c", "e1")],
        )
    )
    assert where(errors) == [("duplicate_edge_id", None, "e1", "id")]


def test_invalid_edge_that_is_not_an_object() -> None:
    errors = validate(graph(transform("a"), edges=["a->b"]))  # type: ignore[list-item]
    assert where(errors) == [("invalid_edge", None, None, "edges[0]")]


def test_unknown_node_type_lists_the_known_types() -> None:
    errors = validate(graph({"id": "x", "type": "smtp", "data": {}}))
    assert where(errors) == [("unknown_node_type", "x", None, "type")]
    assert "'smtp'" in errors[0].message
    for known in ("condition", "http", "transform"):
        assert known in errors[0].message


def test_edges_of_an_unknown_type_node_are_not_also_dangling() -> None:
    errors = validate(
        graph(
            transform("a"),
            {"id": "mail", "type": "smtp"},
            transform("c"),
            edges=[edge("a", "mail", "in"), edge("mail", "c", "out")],
        )
    )
    assert where(errors) == [("unknown_node_type", "mail", None, "type")]


def test_invalid_config_schema_violations_name_the_config_field() -> None:
    errors = validate(
        graph(
            transform("t", config={"output": 1, "outputs": 2}),
            http("h", url="", timeout_seconds=0, method="FETCH"),
            {"id": "bare", "type": "transform"},
        )
    )
    assert sorted(where(errors)) == [
        ("invalid_config", "bare", None, "data.config"),
        ("invalid_config", "h", None, "data.config.method"),
        ("invalid_config", "h", None, "data.config.timeout_seconds"),
        ("invalid_config", "h", None, "data.config.url"),
        ("invalid_config", "t", None, "data.config"),
    ]
    messages = {error.field: error.message for error in errors if error.node == "t"}
    assert "outputs" in messages["data.config"]
    assert "output" in next(error.message for error in errors if error.node == "bare")


def test_invalid_config_template_syntax_error_deep_in_the_config() -> None:
    errors = validate(graph(transform("t", config={"output": {"rows": ["ok", "{{ input.id "]}})))
    assert where(errors) == [("invalid_config", "t", None, "data.config.output")]
    assert "{{ input.id " in errors[0].message


def test_invalid_config_template_syntax_error_in_a_statement_block() -> None:
    errors = validate(graph(http("h", body={"text": "{% if %}yes{% endif %}"})))
    assert where(errors) == [("invalid_config", "h", None, "data.config.body")]


@pytest.mark.parametrize("expression", ["input.amount >", "input.amount > > 1", "(input.amount"])
def test_invalid_config_bad_condition_expression(expression: str) -> None:
    errors = validate(graph(condition("c", expression)))
    assert where(errors) == [("invalid_config", "c", None, "data.config.expression")]
    assert expression in errors[0].message


def test_condition_expression_is_a_bare_expression_not_a_template() -> None:
    # `{{ }}` around a condition would silently be a dict/set literal or a syntax error.
    errors = validate(graph(condition("c", "{{ input.amount > 100 }}")))
    assert where(errors) == [("invalid_config", "c", None, "data.config.expression")]


@pytest.mark.parametrize(
    ("retry", "field", "words"),
    [
        ({"max_attempts": 0}, "data.retry.max_attempts", "between 1 and 10"),
        ({"max_attempts": 11}, "data.retry.max_attempts", "between 1 and 10"),
        ({"max_attempt": 3}, "data.retry.max_attempt", "not a known retry setting"),
        ({"initial_interval_seconds": -1}, "data.retry.initial_interval_seconds", "negative"),
        ({"backoff_coefficient": 0.5}, "data.retry.backoff_coefficient", "at least 1"),
        ({"jitter": 1.5}, "data.retry.jitter", "between 0 and 1"),
        ({"max_attempts": "many"}, "data.retry", "numbers"),
        # Beyond what a timedelta holds: an error, not a crash of the whole save.
        ({"initial_interval_seconds": 1e308}, "data.retry", "numbers"),
        ("3 times", "data.retry", "object"),
    ],
)
def test_invalid_retry(retry: Any, field: str, words: str) -> None:
    errors = validate(graph(transform("a", retry=retry)))
    assert where(errors) == [("invalid_retry", "a", None, field)]
    assert words in errors[0].message


@pytest.mark.parametrize("join", ["some", "ALL", 1, None])
def test_invalid_join(join: Any) -> None:
    errors = validate(graph(transform("a", join=join)))
    assert where(errors) == [("invalid_join", "a", None, "data.join")]


def test_join_any_and_all_are_accepted() -> None:
    assert validate(graph(transform("a", join="any"), transform("b", join="all"))) == []


def test_dangling_edge_source_and_target() -> None:
    errors = validate(
        graph(
            transform("a"),
            edges=[edge("ghost", "a", "in"), edge("a", "nowhere", "out"), edge(None, ["a"])],
        )
    )
    assert where(errors) == [
        ("dangling_edge", None, "in", "source"),
        ("dangling_edge", None, "out", "target"),
        # An edge without an id is named by its position.
        ("dangling_edge", None, "edges[2]", "source"),
        ("dangling_edge", None, "edges[2]", "target"),
    ]
    assert "'ghost'" in errors[0].message
    assert "'nowhere'" in errors[1].message


def test_bad_source_handle_on_a_node_without_handles() -> None:
    errors = validate(
        graph(transform("a"), transform("b"), edges=[edge("a", "b", "e", sourceHandle="true")])
    )
    assert where(errors) == [("bad_source_handle", None, "e", "sourceHandle")]
    assert "no output handles" in errors[0].message


def test_bad_source_handle_wrong_handle_on_a_condition() -> None:
    errors = validate(
        graph(condition("c"), transform("b"), edges=[edge("c", "b", "e", sourceHandle="yes")])
    )
    assert where(errors) == [("bad_source_handle", None, "e", "sourceHandle")]
    assert "'yes'" in errors[0].message
    assert "false, true" in errors[0].message


def test_cycle_message_names_every_node_on_the_cycle() -> None:
    errors = validate(
        graph(
            transform("root"),
            transform("a"),
            transform("b"),
            transform("c"),
            edges=[
                edge("root", "a"),
                edge("a", "b"),
                edge("b", "c"),
                edge("c", "a"),
            ],
        )
    )
    assert [error.code for error in errors] == ["cycle"]
    assert errors[0].node in {"a", "b", "c"}
    assert errors[0].message.endswith("a -> b -> c -> a")


def test_self_loop_is_a_cycle() -> None:
    errors = validate(
        graph(transform("root"), transform("a"), edges=[edge("root", "a"), edge("a", "a")])
    )
    assert where(errors) == [("cycle", "a", None, None)]
    assert "a -> a" in errors[0].message


def test_unreachable_node_downstream_of_a_cycle_with_no_root() -> None:
    errors = validate(
        graph(
            transform("a"),
            transform("b"),
            transform("after"),
            edges=[edge("a", "b"), edge("b", "a"), edge("b", "after")],
        )
    )
    assert sorted(where(errors)) == [
        ("cycle", "a", None, None),
        ("unreachable_node", "after", None, None),
    ]


def test_unreachable_node_downstream_of_a_cycle_entered_from_a_root() -> None:
    # `after` can only be reached through the cycle, even though a root leads into it.
    errors = validate(
        graph(
            transform("root"),
            transform("a"),
            transform("b"),
            transform("after"),
            transform("beside"),
            edges=[
                edge("root", "a"),
                edge("a", "b"),
                edge("b", "a"),
                edge("b", "after"),
                edge("root", "beside"),
            ],
        )
    )
    assert sorted(where(errors)) == [
        ("cycle", "a", None, None),
        ("unreachable_node", "after", None, None),
    ]


def test_a_node_with_a_path_around_the_cycle_is_reachable() -> None:
    errors = validate(
        graph(
            transform("root"),
            transform("a"),
            transform("b"),
            transform("join"),
            edges=[
                edge("root", "a"),
                edge("a", "b"),
                edge("b", "a"),
                edge("b", "join"),
                edge("root", "join"),
            ],
        )
    )
    assert [error.code for error in errors] == ["cycle"]


def test_every_problem_is_reported_at_once() -> None:
    errors = validate(
        graph(
            transform("ok"),
            transform("ok"),
            {"id": "mystery", "type": "mystery"},
            transform("bad_config", config={"output": "{{ oops"}),
            condition("cond", "input.amount >"),
            transform("bad_retry", retry={"max_attempts": 11}),
            transform("bad_join", join="most"),
            transform("loop"),
            edges=[
                edge("ok", "mystery", "to_mystery"),
                edge("ok", "ghost", "dangling"),
                edge("ok", "bad_config", "handle", sourceHandle="true"),
                edge("ok", "cond", "dup"),
                edge("cond", "bad_retry", "dup", sourceHandle="maybe"),
                edge("cond", "bad_join", "branch", sourceHandle="false"),
                edge("loop", "loop", "self"),
            ],
        )
    )
    assert sorted(where(errors), key=str) == sorted(
        [
            ("duplicate_node_id", "ok", None, "id"),
            ("unknown_node_type", "mystery", None, "type"),
            ("invalid_config", "bad_config", None, "data.config.output"),
            ("invalid_config", "cond", None, "data.config.expression"),
            ("invalid_retry", "bad_retry", None, "data.retry.max_attempts"),
            ("invalid_join", "bad_join", None, "data.join"),
            ("dangling_edge", None, "dangling", "target"),
            ("bad_source_handle", None, "handle", "sourceHandle"),
            ("duplicate_edge_id", None, "dup", "id"),
            ("bad_source_handle", None, "dup", "sourceHandle"),
            ("cycle", "loop", None, None),
        ],
        key=str,
    )
    # Each error can be shown on its own: it says where it is.
    for error in errors:
        assert error.node or error.edge
        assert str(error).startswith(("node ", "edge "))


def test_an_edge_with_a_duplicate_id_is_still_checked() -> None:
    # The duplicate id must not hide the cycle this edge closes, nor its bad handle.
    errors = validate(
        graph(
            transform("root"),
            condition("a"),
            transform("b"),
            edges=[
                edge("root", "a", "e1"),
                edge("a", "b", "e2", sourceHandle="true"),
                edge("b", "a", "e2"),
                edge("a", "root", "e2", sourceHandle="maybe"),
            ],
        )
    )
    codes = sorted(where(errors))
    assert ("duplicate_edge_id", None, "e2", "id") in codes
    assert ("bad_source_handle", None, "e2", "sourceHandle") in codes
    assert any(error.code == "cycle" and "b" in error.message for error in errors)
