"""Whole workflows through real RabbitMQ, PostgreSQL and two Celery worker processes."""

from __future__ import annotations

import pytest

from tests.graphs import chain, condition, edge, graph, http, transform
from tests.integration.conftest import nodes_by_id

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_linear_workflow_passes_outputs_down_the_chain(run_graph):
    execution = run_graph(chain(5))

    assert execution.status == "succeeded"
    assert execution.output == {"n4": {"step": 4}}
    nodes = nodes_by_id(execution)
    assert [nodes[f"n{i}"].status for i in range(5)] == ["succeeded"] * 5
    assert all(node.attempt == 1 for node in nodes.values())
    assert execution.duration_ms is not None and execution.completed_at is not None


def test_root_nodes_receive_the_execution_input(run_graph):
    execution = run_graph(
        graph([transform("greet", "hello {{ input.name }}")]), input={"name": "Ada"}
    )

    assert execution.output == {"greet": "hello Ada"}


def test_diamond_joins_both_branches(run_graph):
    execution = run_graph(
        graph(
            [
                transform("a", {"value": "{{ input.x }}"}),
                transform("b", "{{ nodes.a.output.value * 2 }}"),
                transform("c", "{{ nodes.a.output.value + 1 }}"),
                transform("d", "{{ nodes.b.output + nodes.c.output }}"),
            ],
            [edge("a", "b"), edge("a", "c"), edge("b", "d"), edge("c", "d")],
        ),
        input={"x": 10},
    )

    assert execution.status == "succeeded"
    assert execution.output == {"d": 31}


def test_dag_that_is_not_series_parallel(run_graph):
    # A->C, A->D, B->D, B->E: Celery canvas cannot express this shape.
    execution = run_graph(
        graph(
            [
                transform("A", "a"),
                transform("B", "b"),
                transform("C", "{{ nodes.A.output }}c"),
                transform("D", "{{ nodes.A.output }}{{ nodes.B.output }}d"),
                transform("E", "{{ nodes.B.output }}e"),
            ],
            [edge("A", "C"), edge("A", "D"), edge("B", "D"), edge("B", "E")],
        )
    )

    assert execution.status == "succeeded"
    assert execution.output == {"C": "ac", "D": "abd", "E": "be"}
    nodes = nodes_by_id(execution)
    # D starts no earlier than both parents finished; a worker that finishes the last parent
    # claims D in that same transaction, so the two times may be equal.
    assert nodes["D"].started_at >= max(nodes["A"].completed_at, nodes["B"].completed_at)


@pytest.mark.parametrize(
    ("amount", "taken", "skipped"), [(500, "big", "small"), (5, "small", "big")]
)
def test_condition_skips_the_untaken_branch_and_both_join_modes_proceed(
    run_graph, amount, taken, skipped
):
    execution = run_graph(
        graph(
            [
                condition("check", "input.amount > 100"),
                transform("big", "big"),
                transform("small", "small"),
                transform("after_big", "after {{ nodes.big.output }}"),
                transform("join_all", 'all: {{ nodes["' + taken + '"].output }}'),
                transform("join_any", 'any: {{ nodes["' + taken + '"].output }}', join="any"),
            ],
            [
                edge("check", "big", "true"),
                edge("check", "small", "false"),
                edge("big", "after_big"),
                edge("big", "join_all"),
                edge("small", "join_all"),
                edge("big", "join_any"),
                edge("small", "join_any"),
            ],
        ),
        input={"amount": amount},
    )

    nodes = nodes_by_id(execution)
    assert execution.status == "succeeded"
    assert nodes["check"].status == "succeeded"
    assert nodes[taken].status == "succeeded"
    assert nodes[skipped].status == "skipped"
    # A node reachable only through the untaken branch is skipped too, transitively.
    assert nodes["after_big"].status == ("succeeded" if taken == "big" else "skipped")
    assert nodes["join_all"].status == "succeeded"
    assert nodes["join_any"].status == "succeeded"
    assert execution.output["join_all"] == f"all: {taken}"
    assert execution.output["join_any"] == f"any: {taken}"


def test_join_all_is_skipped_when_no_path_to_it_fired(run_graph):
    execution = run_graph(
        graph(
            [condition("check", "false"), transform("yes", 1), transform("join", 2)],
            [edge("check", "yes", "true"), edge("yes", "join")],
        )
    )

    nodes = nodes_by_id(execution)
    assert execution.status == "succeeded"
    assert nodes["yes"].status == "skipped"
    assert nodes["join"].status == "skipped"


def test_any_join_runs_once_on_the_first_parent(run_graph):
    execution = run_graph(
        graph(
            [
                transform("a", "a"),
                transform("b", "b"),
                transform("c", "c"),
                transform("first", "ran", join="any"),
            ],
            [edge("a", "first"), edge("b", "first"), edge("c", "first")],
        )
    )

    nodes = nodes_by_id(execution)
    assert execution.status == "succeeded"
    assert nodes["first"].status == "succeeded"
    assert nodes["first"].attempt == 1
    assert nodes["first"].inputs.count() == 1


def test_fifty_way_fan_out_and_fan_in(run_graph):
    width = 50
    nodes = [transform("start", {"n": "{{ input.n }}"})]
    nodes += [transform(f"w{i}", f"{{{{ nodes.start.output.n + {i} }}}}") for i in range(width)]
    total = " + ".join(f"nodes.w{i}.output" for i in range(width))
    nodes.append(transform("sum", "{{ " + total + " }}"))
    edges = [edge("start", f"w{i}") for i in range(width)] + [
        edge(f"w{i}", "sum") for i in range(width)
    ]

    execution = run_graph(graph(nodes, edges), input={"n": 1000}, timeout_seconds=120)

    assert execution.status == "succeeded"
    assert execution.output == {"sum": 1000 * width + sum(range(width))}
    sum_node = nodes_by_id(execution)["sum"]
    assert sum_node.inputs.count() == 1
    assert len(sum_node.inputs.get().parents) == width


def test_work_spreads_over_both_worker_processes(run_graph, workers):
    width = 20
    nodes = [transform("start", 0)] + [transform(f"w{i}", i) for i in range(width)]
    execution = run_graph(graph(nodes, [edge("start", f"w{i}") for i in range(width)]))

    assert execution.status == "succeeded"
    worker_processes = {node.worker for node in execution.nodes.all()}
    assert len(worker_processes) >= 2, worker_processes


def test_failing_branch_fails_the_execution_and_names_the_node(run_graph, http_sink):
    execution = run_graph(
        graph(
            [
                transform("start", 1),
                # `broken` fails a second in, while `fine` (three seconds) is surely running.
                http("wait", f"{http_sink.url}/slow?seconds=1"),
                transform("broken", "{{ nodes.start.output.missing_field }}"),
                http("fine", f"{http_sink.url}/slow?seconds=3"),
                transform("after_broken", "never"),
                transform("after_fine", "never"),
            ],
            [
                edge("start", "wait"),
                edge("wait", "broken"),
                edge("start", "fine"),
                edge("broken", "after_broken"),
                edge("fine", "after_fine"),
            ],
        )
    )

    nodes = nodes_by_id(execution)
    assert execution.status == "failed"
    assert "'broken'" in execution.error and "missing_field" in execution.error
    assert nodes["broken"].status == "failed"
    assert nodes["fine"].status == "succeeded"  # the branch already running finished, recorded
    assert nodes["after_broken"].status == "cancelled"  # nothing new starts
    assert nodes["after_fine"].status == "cancelled"
    assert execution.output is None
    assert execution.completed_at is not None
