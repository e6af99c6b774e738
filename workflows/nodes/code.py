"""`code`: the user's Python or JavaScript `main(input)`, run in a jail (never in the worker).

`input` is what the node's templates see: `{"input": <execution input>, "nodes": {<id>:
{"output": ...}}}` for every ancestor that ran. The JSON return value is the output; stdout and
stderr go to the node's logs. Runs on the `sandbox` queue so slow user code never starves the
engine; the sandbox package caps concurrent jails per host.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from workflows.nodes.base import NodeContext, NodeError, NodeType, RetryableNodeError

MAX_TIMEOUT_SECONDS = 300


def run(context: NodeContext) -> Any:
    from sandbox import Limits, SandboxError, run_code  # the engine imports node types eagerly

    config = context.config
    limits = Limits.from_env()
    if "timeout_seconds" in config:
        limits = dataclasses.replace(limits, wall_timeout_seconds=float(config["timeout_seconds"]))
    try:
        result = run_code(
            language=config["language"],
            code=config["code"],
            input=context.template_context,
            limits=limits,
        )
    except SandboxError as error:  # no jail could be had: try again later, never run unjailed
        raise RetryableNodeError(f"sandbox unavailable: {error}") from error
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        if text:
            context.log(f"[{stream}] {text}")
    failure = result.error
    if failure is not None:
        # The user's own traceback (the jail strips its frames), or a limit's clear message.
        detail = getattr(failure, "traceback", "") or f"{failure.kind}: {failure.message}"
        raise NodeError(detail.rstrip(), retryable=failure.retryable)
    return result.output


CODE = NodeType(
    name="code",
    description="Runs the user's main(input) in Python or JavaScript inside a jail.",
    config_schema={
        "type": "object",
        "properties": {
            "language": {"enum": ["python", "javascript"]},
            "code": {"type": "string", "minLength": 1},
            "timeout_seconds": {
                "type": "number",
                "exclusiveMinimum": 0,
                "maximum": MAX_TIMEOUT_SECONDS,
            },
        },
        "required": ["language", "code"],
        "additionalProperties": False,
    },
    run=run,
    queue="sandbox",
    # User code is not pre-rendered: `{{` in a program is code, not a template.
    verbatim_fields=frozenset({"code"}),
)
