"""`code` node configs: the program is passed through untouched, its settings are validated."""

from __future__ import annotations

from workflows.graph import compile_plan, validate


def code_graph(**config: object) -> dict[str, object]:
    return {"nodes": [{"id": "c", "type": "code", "data": {"config": config}}], "edges": []}


def test_a_program_with_braces_is_not_mistaken_for_a_template() -> None:
    source = "def main(input):\n    return {'x': {'y': 1}}  # {{ not a template\n"

    assert validate(code_graph(language="python", code=source)) == []
    plan = compile_plan(code_graph(language="python", code=source))
    assert plan.nodes["c"].type.queue == "sandbox"


def test_unknown_language_and_missing_code_are_reported() -> None:
    fields = {error.field for error in validate(code_graph(language="ruby"))}

    assert fields == {"data.config", "data.config.language"}
