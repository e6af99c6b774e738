"""Templates over a run's data, evaluated in Jinja's sandbox (never `eval`).

A config string that is exactly one `{{ expression }}` yields the expression's native value
(so `{{ nodes.fetch.output.price }}` stays a number); any other string with `{{` renders to a
string. Undefined names are errors, not empty strings: a typo must fail the node loudly.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment


class _DataEnvironment(ImmutableSandboxedEnvironment):
    """Dots read JSON data first: `output.items` is the key "items", not the dict method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


_environment = _DataEnvironment(undefined=StrictUndefined, autoescape=False)
_single_expression = re.compile(r"^\s*\{\{(?P<expression>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.S)


class TemplateProblem(Exception):
    """A template that cannot be compiled or evaluated; the message names the expression."""

    def __init__(self, template: str, cause: str) -> None:
        super().__init__(f"template {template!r}: {cause}")
        self.template = template
        self.cause = cause


def is_template(value: str) -> bool:
    return "{{" in value or "{%" in value


@lru_cache(maxsize=4096)
def _compiled(template: str) -> Any:
    match = _single_expression.match(template)
    try:
        if match:
            return ("expression", _compile_expression(match["expression"]))
        return ("string", _environment.from_string(template))
    except TemplateError as error:
        raise TemplateProblem(template, error.message or type(error).__name__) from error


@lru_cache(maxsize=1024)
def _compiled_expression(expression: str) -> Any:
    try:
        return _compile_expression(expression)
    except TemplateError as error:
        raise TemplateProblem(expression, error.message or type(error).__name__) from error


def _compile_expression(expression: str) -> Any:
    # Jinja turns an undefined result into None by default, which would let `{{ input.typo }}`
    # (or a sandbox-blocked attribute) pass as null; keep it undefined so `_defined` raises.
    return _environment.compile_expression(expression, undefined_to_none=False)


def _defined(value: Any) -> Any:
    if isinstance(value, Undefined):
        # StrictUndefined raises on any use: UndefinedError naming the missing name, or
        # SecurityError for an attribute the sandbox blocked.
        str(value)
    return value


def check_syntax(value: Any) -> list[TemplateProblem]:
    """Every template in `value` (walked recursively) that does not compile."""
    problems: list[TemplateProblem] = []
    for text in _strings(value):
        if is_template(text):
            try:
                _compiled(text)
            except TemplateProblem as problem:
                problems.append(problem)
    return problems


def check_expression(expression: str) -> TemplateProblem | None:
    try:
        _compiled_expression(expression)
    except TemplateProblem as problem:
        return problem
    return None


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render every template inside a JSON value; raises TemplateProblem on the first error."""
    if isinstance(value, str):
        return _render_string(value, context) if is_template(value) else value
    if isinstance(value, dict):
        return {key: render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """Evaluate a bare expression such as `input.amount > 100`."""
    compiled = _compiled_expression(expression)
    try:
        return _defined(compiled(**context))
    except Exception as error:  # any failure inside user expressions is the user's error
        raise TemplateProblem(expression, _describe(error)) from error


def _render_string(template: str, context: dict[str, Any]) -> Any:
    kind, compiled = _compiled(template)
    try:
        if kind == "expression":
            return _defined(compiled(**context))
        return compiled.render(**context)
    except Exception as error:
        raise TemplateProblem(template, _describe(error)) from error


def _describe(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
