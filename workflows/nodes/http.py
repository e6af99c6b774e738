"""`http`: one HTTP request with an idempotency key that is stable across attempts.

5xx, 429 and connection errors are retryable; any other 4xx is the request's fault and is not.
The request runs on the `io` queue so slow endpoints never starve the engine.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx

from workflows.nodes.base import (
    NodeCancelled,
    NodeContext,
    NodeError,
    NodeType,
    RetryableNodeError,
)
from workflows.retry import RetryPolicy

DEFAULT_TIMEOUT_SECONDS = 30.0
MAX_TEXT_CHARACTERS = 1_000_000
# How often an in-flight request checks whether its execution was cancelled.
CANCEL_CHECK_SECONDS = 0.1
HEADERS = {"User-Agent": "zzyra-http-node/1"}


def run(context: NodeContext) -> dict[str, Any]:
    config = context.config
    method = config.get("method", "GET").upper()
    url = config["url"]
    headers = {str(key): str(value) for key, value in (config.get("headers") or {}).items()}
    headers.setdefault("Idempotency-Key", context.idempotency_key)
    started = time.monotonic()
    try:
        response = asyncio.run(
            _request_unless_cancelled(
                context.cancelled,
                method=method,
                url=url,
                headers=headers,
                params=config.get("query") or None,
                json=config.get("body"),
                timeout=float(config.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)),
            )
        )
    except httpx.TimeoutException as error:
        raise RetryableNodeError(f"{method} {url} timed out: {error}") from error
    except httpx.TransportError as error:
        raise RetryableNodeError(f"{method} {url} failed: {error}") from error
    except httpx.HTTPError as error:  # e.g. an invalid URL: retrying cannot help
        raise NodeError(f"{method} {url} is not a valid request: {error}") from error
    elapsed_ms = int((time.monotonic() - started) * 1000)
    context.log(f"{method} {response.url} -> {response.status_code} in {elapsed_ms} ms")

    status = response.status_code
    if status >= 500 or status == 429:
        raise RetryableNodeError(f"{method} {url} returned {status}: {_excerpt(response)}")
    if status >= 400:
        raise NodeError(f"{method} {url} returned {status}: {_excerpt(response)}")
    return {"status": status, "headers": dict(response.headers), **_body(response)}


async def _request_unless_cancelled(cancelled: threading.Event, **request: Any) -> httpx.Response:
    """The request, aborted mid-flight when the execution is cancelled."""
    async with httpx.AsyncClient(follow_redirects=True, headers=HEADERS) as client:
        in_flight = asyncio.ensure_future(client.request(**request))
        while not in_flight.done():
            if cancelled.is_set():
                in_flight.cancel()
                method, url = request["method"], request["url"]
                raise NodeCancelled(f"{method} {url} aborted: execution cancelled")
            await asyncio.wait([in_flight], timeout=CANCEL_CHECK_SECONDS)
        return in_flight.result()


def _body(response: httpx.Response) -> dict[str, Any]:
    if "json" in response.headers.get("content-type", ""):
        try:
            return {"json": response.json()}
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
    return {"text": response.text[:MAX_TEXT_CHARACTERS]}


def _excerpt(response: httpx.Response) -> str:
    return response.text[:200]


HTTP = NodeType(
    name="http",
    description="Sends one HTTP request; the response status, headers and body are the output.",
    config_schema={
        "type": "object",
        "properties": {
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]},
            "url": {"type": "string", "minLength": 1},
            "headers": {"type": "object", "additionalProperties": {"type": ["string", "number"]}},
            "query": {"type": "object"},
            "body": {},
            "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
        },
        "required": ["url"],
        "additionalProperties": False,
    },
    run=run,
    queue="io",
    default_retry=RetryPolicy(max_attempts=3),
)
