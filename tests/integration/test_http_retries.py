"""HTTP nodes: retries scheduled in the ledger, one Idempotency-Key across every attempt."""

from __future__ import annotations

import pytest

from tests.graphs import edge, graph, http, transform
from tests.integration.conftest import nodes_by_id

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

FAST_RETRY = {"max_attempts": 3, "initial_interval_seconds": 0.2, "backoff_coefficient": 2}


def test_flaky_endpoint_is_retried_with_the_same_idempotency_key(run_graph, http_sink):
    execution = run_graph(
        graph(
            [
                http(
                    "charge",
                    f"{http_sink.url}/flaky/charge?fail=2",
                    method="POST",
                    body={"amount": 5},
                    retry=FAST_RETRY,
                ),
                transform("receipt", "paid on call {{ nodes.charge.output.json.call }}"),
            ],
            [edge("charge", "receipt")],
        )
    )

    assert execution.status == "succeeded", execution.error
    keys = http_sink.keys_for("/flaky/charge")
    assert len(keys) == 3  # two 503s, then success
    assert keys == [f"{execution.id}:charge"] * 3
    charge = nodes_by_id(execution)["charge"]
    assert (charge.attempt, charge.retry_count) == (3, 2)
    assert charge.inputs.count() == 3  # what each attempt ran with is on record
    assert execution.output == {"receipt": "paid on call 3"}
    assert execution.logs.filter(event="node_retry").count() == 2


def test_client_errors_are_not_retried(run_graph, http_sink):
    execution = run_graph(graph([http("lookup", f"{http_sink.url}/status/404", retry=FAST_RETRY)]))

    assert execution.status == "failed"
    assert len(http_sink.keys_for("/status/404")) == 1
    assert "'lookup'" in execution.error and "404" in execution.error


def test_server_errors_fail_the_node_once_retries_are_spent(run_graph, http_sink):
    execution = run_graph(
        graph(
            [
                http(
                    "flaky",
                    f"{http_sink.url}/flaky/down?fail=99",
                    retry={**FAST_RETRY, "max_attempts": 2},
                )
            ]
        )
    )

    assert execution.status == "failed"
    assert len(http_sink.keys_for("/flaky/down")) == 2
    assert "after 2 attempts" in execution.error and "503" in execution.error
    assert nodes_by_id(execution)["flaky"].status == "failed"


def test_rate_limited_requests_are_retried(run_graph, http_sink):
    # 429 is retryable: the same /status path keeps answering 429, so the node retries, then fails.
    execution = run_graph(
        graph(
            [
                http(
                    "limited",
                    f"{http_sink.url}/status/429",
                    retry={**FAST_RETRY, "max_attempts": 2},
                )
            ]
        )
    )

    assert execution.status == "failed"
    assert len(http_sink.keys_for("/status/429")) == 2


def test_connection_errors_are_retried(run_graph):
    execution = run_graph(
        graph(
            [
                http(
                    "nowhere",
                    "http://127.0.0.1:9/",
                    timeout_seconds=1,
                    retry={**FAST_RETRY, "max_attempts": 2},
                )
            ]
        )
    )

    node = nodes_by_id(execution)["nowhere"]
    assert execution.status == "failed"
    assert node.attempt == 2
    assert "failed" in node.error
