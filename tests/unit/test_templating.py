"""Templates over a run's data: native values, loud errors, and the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.templating import (
    TemplateProblem,
    check_expression,
    check_syntax,
    evaluate,
    render,
)

CONTEXT: dict[str, Any] = {
    "input": {"amount": 250, "customer": {"name": "Ada", "tags": ["vip", "eu"]}, "paid": False},
    "nodes": {"fetch": {"output": {"price": 9.5, "items": [{"sku": "a"}, {"sku": "b"}]}}},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ input.amount }}", 250),
        ("{{ nodes.fetch.output.price }}", 9.5),
        ("{{ input.customer }}", {"name": "Ada", "tags": ["vip", "eu"]}),
        ("{{ input.customer.tags }}", ["vip", "eu"]),
        ("{{ input.paid }}", False),
        ("{{ input.amount > 100 }}", True),
        ("{{ input.amount * 2 }}", 500),
        ("{{ nodes.fetch.output.items | map(attribute='sku') | list }}", ["a", "b"]),
        ("  {{ input.amount }}\n", 250),
        ("{{ none }}", None),
    ],
)
def test_a_single_expression_keeps_its_native_type(template: str, expected: Any) -> None:
    result = render(template, CONTEXT)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("total: {{ input.amount }}", "total: 250"),
        ("{{ input.amount }}{{ input.amount }}", "250250"),
        ("{{ input.customer.name }} ({{ input.customer.tags | join(',') }})", "Ada (vip,eu)"),
        ("{% if input.amount > 100 %}big{% else %}small{% endif %}", "big"),
        ("no template here", "no template here"),
        ("{ not a template }", "{ not a template }"),
    ],
)
def test_mixed_text_renders_a_string(template: str, expected: str) -> None:
    assert render(template, CONTEXT) == expected


@pytest.mark.parametrize(
    "template",
    [
        "{{ input.amont }}",  # a typo in a single expression must not become null
        "{{ nodes.missing.output }}",
        "{{ undefined_name }}",
        "total: {{ input.amont }}",
        "{{ input.amont + 1 }}",
    ],
)
def test_undefined_names_raise_naming_the_template(template: str) -> None:
    with pytest.raises(TemplateProblem) as raised:
        render(template, CONTEXT)
    assert raised.value.template == template
    assert template in str(raised.value)
    assert "undefined" in raised.value.cause.lower()


def test_undefined_inside_a_nested_value_names_that_template() -> None:
    with pytest.raises(TemplateProblem) as raised:
        render({"ok": "{{ input.amount }}", "rows": ["x", {"bad": "{{ input.nope }}"}]}, CONTEXT)
    assert raised.value.template == "{{ input.nope }}"


def test_the_default_filter_is_the_way_to_allow_a_missing_value() -> None:
    assert render("{{ input.coupon | default('none') }}", CONTEXT) == "none"
    assert render("{{ input.coupon is defined }}", CONTEXT) is False


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__ }}",
        "{{ input.__class__ }}",
        "{{ input.amount.__class__.__subclasses__() }}",
        "x {{ input.__class__ }}",
        "{{ input.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ cycler.__init__.__globals__['os'] }}",
        "{{ input.customer.tags.append('admin') }}",
        "{{ input.update({'amount': 0}) }}",
        "{{ range(10 ** 9) | list }}",
    ],
)
def test_the_sandbox_blocks_internals_and_mutation(template: str) -> None:
    before = repr(CONTEXT)
    with pytest.raises(TemplateProblem) as raised:
        render(template, CONTEXT)
    assert raised.value.template == template
    assert repr(CONTEXT) == before


def test_render_walks_nested_dicts_and_lists() -> None:
    config = {
        "url": "https://shop.test/customers/{{ input.customer.name }}",
        "body": {
            "amount": "{{ input.amount }}",
            "lines": [{"sku": "{{ nodes.fetch.output.items[0].sku }}"}, "{{ input.paid }}", 3],
            "literal": None,
        },
        "{{ keys are not templates }}": 1.5,
    }
    assert render(config, CONTEXT) == {
        "url": "https://shop.test/customers/Ada",
        "body": {
            "amount": 250,
            "lines": [{"sku": "a"}, False, 3],
            "literal": None,
        },
        "{{ keys are not templates }}": 1.5,
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("input.amount > 100", True),
        ("input.amount > 1000", False),
        ("input.paid or input.customer.name == 'Ada'", True),
        ("'vip' in input.customer.tags", True),
        ("nodes.fetch.output.items | length", 2),
        ("input.coupon is defined", False),
    ],
)
def test_evaluate_a_condition_expression(expression: str, expected: Any) -> None:
    assert evaluate(expression, CONTEXT) == expected


@pytest.mark.parametrize(
    "expression", ["input.amont", "input.amont > 100", "nothing", "input.__class__"]
)
def test_evaluate_raises_instead_of_treating_a_typo_as_false(expression: str) -> None:
    with pytest.raises(TemplateProblem) as raised:
        evaluate(expression, CONTEXT)
    assert raised.value.template == expression


def test_evaluate_reports_a_syntax_error_as_a_template_problem() -> None:
    with pytest.raises(TemplateProblem) as raised:
        evaluate("input.amount >", CONTEXT)
    assert raised.value.template == "input.amount >"


def test_check_syntax_finds_every_broken_template_in_a_value() -> None:
    problems = check_syntax(
        {"a": ["{{ ok }}", "{{ broken "], "b": {"c": "{% if %}"}, "d": 3, "e": "plain"}
    )
    assert sorted(problem.template for problem in problems) == ["{% if %}", "{{ broken "]


def test_check_syntax_does_not_evaluate() -> None:
    # Names are only known at run time; saving must not need them.
    assert check_syntax("{{ nodes.later.output.x }}") == []


def test_check_expression() -> None:
    assert check_expression("input.amount > 100") is None
    problem = check_expression("input.amount >")
    assert problem is not None
    assert problem.template == "input.amount >"


@pytest.mark.parametrize("key", ["items", "keys", "values", "get", "update", "pop"])
def test_dots_read_json_keys_that_share_a_dict_method_name(key: str) -> None:
    # HTTP APIs often return {"items": [...]}: the data, not the dict method, is meant.
    context = {"nodes": {"fetch": {"output": {"json": {key: [1, 2]}}}}}
    assert render(f"{{{{ nodes.fetch.output.json.{key} }}}}", context) == [1, 2]
    assert render(f"n={{{{ nodes.fetch.output.json.{key} | length }}}}", context) == "n=2"
    assert evaluate(f"nodes.fetch.output.json.{key} | length > 1", context) is True


def test_a_data_key_named_like_an_internal_is_only_data() -> None:
    context = {"input": {"__class__": "plain text"}}
    assert render("{{ input.__class__ }}", context) == "plain text"
    with pytest.raises(TemplateProblem):
        render("{{ input.__class__.__class__ }}", context)
