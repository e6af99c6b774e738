"""`code` nodes through the real engine: user code runs in a jail on the sandbox queue."""

from __future__ import annotations

import pytest

from executions.models import NodeLog
from tests.graphs import edge, graph, transform
from tests.integration.conftest import nodes_by_id

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def code(node_id: str, language: str, source: str, **config: object) -> dict[str, object]:
    return {
        "id": node_id,
        "type": "code",
        "data": {"config": {"language": language, "code": source, **config}},
    }


PYTHON_TOTAL = """
def main(input):
    prices = input["nodes"]["cart"]["output"]["prices"]
    print("summing", len(prices), "prices")
    return {"total": sum(prices), "currency": input["input"]["currency"]}
"""

JAVASCRIPT_LABEL = """
module.exports.main = async (input) => {
  const total = input.nodes.total.output.total;
  await new Promise((resolve) => setTimeout(resolve, 10));
  return {label: `${total} ${input.nodes.total.output.currency}`};
};
"""


def test_python_and_javascript_nodes_compute_from_their_inputs(run_graph):
    execution = run_graph(
        graph(
            [
                transform("cart", {"prices": "{{ input.prices }}"}),
                code("total", "python", PYTHON_TOTAL),
                code("label", "javascript", JAVASCRIPT_LABEL),
            ],
            [edge("cart", "total"), edge("total", "label")],
        ),
        input={"prices": [2, 3, 5], "currency": "EUR"},
        timeout_seconds=120,
    )

    assert execution.status == "succeeded", execution.error
    assert execution.output == {"label": {"label": "10 EUR"}}
    logs = NodeLog.objects.filter(execution=execution, node_id="total").values_list(
        "message", flat=True
    )
    assert any("summing 3 prices" in line for line in logs)


def test_an_exception_fails_the_node_with_the_users_traceback(run_graph):
    source = (
        "def main(input):\n    return helper()\n\ndef helper():\n    raise ValueError('no price')\n"
    )

    execution = run_graph(graph([code("broken", "python", source)]), timeout_seconds=120)

    broken = nodes_by_id(execution)["broken"]
    assert execution.status == "failed"
    assert "ValueError: no price" in broken.error
    assert "helper" in broken.error  # the user's own frames, not the jail's
    assert broken.attempt == 1  # a bug in user code is not retried


def test_user_code_cannot_reach_the_ledger(run_graph):
    source = (
        "import socket\n"
        "def main(input):\n"
        "    socket.create_connection(('127.0.0.1', 5432), timeout=2)\n"
        "    return 'connected'\n"
    )

    execution = run_graph(graph([code("sneaky", "python", source)]), timeout_seconds=120)

    assert execution.status == "failed"
    assert "connected" not in str(execution.output)
    # The jail has no route to the host: no network at all (nsjail), or a loopback of its own
    # where nothing listens (docker). Not some other failure, and not retried.
    node = nodes_by_id(execution)["sneaky"]
    assert "Network is unreachable" in node.error or "Connection refused" in node.error, node.error
    assert node.attempt == 1
