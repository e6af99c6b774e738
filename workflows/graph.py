"""Workflow graphs: validation on save, and the compiled plan the engine runs.

The saved shape is React Flow's, so a UI can store its canvas directly:
`{"nodes": [{"id", "type", "position"?, "data": {"label"?, "config", "retry"?, "join"?}}],
  "edges": [{"id"?, "source", "target", "sourceHandle"?}]}`.
Validation reports every problem at once, each naming the node or edge and the field, so an
editor can mark them all in one round trip.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from jsonschema import Draft202012Validator

from workflows import templating
from workflows.nodes import NODE_TYPES, NodeType
from workflows.retry import InvalidRetryPolicy, RetryPolicy

JOIN_MODES = ("all", "any")


@dataclass(frozen=True)
class GraphError:
    code: str
    message: str
    node: str | None = None
    edge: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __str__(self) -> str:
        where = (
            f"node {self.node!r}" if self.node else f"edge {self.edge!r}" if self.edge else "graph"
        )
        field = f" field {self.field!r}" if self.field else ""
        return f"{where}{field}: {self.message}"


class InvalidGraph(Exception):
    def __init__(self, errors: list[GraphError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class PlanNode:
    id: str
    type: NodeType
    config: dict[str, Any]
    retry: RetryPolicy
    join: str
    parents: tuple[str, ...]
    # child id -> the handles on the edges to it (None in the set: an edge without a handle).
    children: dict[str, frozenset[str | None]]
    ancestors: frozenset[str]


@dataclass(frozen=True)
class GraphPlan:
    nodes: dict[str, PlanNode]
    roots: tuple[str, ...]
    leaves: tuple[str, ...]
    # Nodes in a topological order, so listings read top to bottom.
    order: tuple[str, ...]


def validate(graph: Any) -> list[GraphError]:
    """Every problem in the graph; an empty list means it can be saved and run."""
    if not isinstance(graph, dict):
        return [GraphError("invalid_graph", "the graph must be an object with nodes and edges")]
    errors: list[GraphError] = []
    nodes = graph.get("nodes")
    edges = graph.get("edges", [])
    if not isinstance(nodes, list):
        return [GraphError("invalid_graph", "must be a list of nodes", field="nodes")]
    if not isinstance(edges, list):
        errors.append(GraphError("invalid_graph", "must be a list of edges", field="edges"))
        edges = []
    if not nodes:
        errors.append(
            GraphError("empty_graph", "a workflow needs at least one node", field="nodes")
        )

    node_types: dict[str, NodeType | None] = {}
    for index, node in enumerate(nodes):
        errors.extend(_node_errors(node, index, node_types))
    edge_pairs: list[tuple[str, str]] = []
    seen_edges: set[str] = set()
    for index, edge in enumerate(edges):
        errors.extend(_edge_errors(edge, index, node_types, seen_edges, edge_pairs))
    errors.extend(_cycle_and_reachability_errors(list(node_types), edge_pairs))
    return errors


def _node_errors(node: Any, index: int, node_types: dict[str, NodeType | None]) -> list[GraphError]:
    if not isinstance(node, dict):
        return [GraphError("invalid_node", "each node must be an object", field=f"nodes[{index}]")]
    node_id = node.get("id")
    if not isinstance(node_id, str) or not node_id.strip():
        return [
            GraphError(
                "invalid_node", "a node needs a non-empty string id", field=f"nodes[{index}].id"
            )
        ]
    if node_id in node_types:
        return [
            GraphError(
                "duplicate_node_id",
                f"node id {node_id!r} is used more than once",
                node=node_id,
                field="id",
            )
        ]
    type_name = node.get("type")
    node_type = NODE_TYPES.get(type_name) if isinstance(type_name, str) else None
    # A node of unknown type still exists: its edges are not reported as dangling too.
    node_types[node_id] = node_type
    if node_type is None:
        known = ", ".join(sorted(NODE_TYPES))
        return [
            GraphError(
                "unknown_node_type",
                f"unknown node type {type_name!r} (known: {known})",
                node=node_id,
                field="type",
            )
        ]

    data = node.get("data", {})
    if not isinstance(data, dict):
        return [GraphError("invalid_node", "must be an object", node=node_id, field="data")]
    errors: list[GraphError] = []
    config = data.get("config", {})
    for problem in Draft202012Validator(node_type.config_schema).iter_errors(config):
        path = ".".join(str(part) for part in problem.absolute_path)
        field = f"data.config.{path}" if path else "data.config"
        errors.append(GraphError("invalid_config", problem.message, node=node_id, field=field))
    if isinstance(config, dict):
        for key, value in config.items():
            field = f"data.config.{key}"
            if key in node_type.expression_fields and isinstance(value, str):
                problem = templating.check_expression(value)
                if problem:
                    errors.append(
                        GraphError("invalid_config", str(problem), node=node_id, field=field)
                    )
            elif key not in node_type.expression_fields | node_type.verbatim_fields:
                for problem in templating.check_syntax(value):
                    errors.append(
                        GraphError("invalid_config", str(problem), node=node_id, field=field)
                    )
    try:
        RetryPolicy.from_config(data.get("retry"), node_type.default_retry)
    except InvalidRetryPolicy as error:
        # The policy names its own settings ("max_attempts"); the graph field is data.retry.*.
        setting = error.field if error.field.split(".")[0] == "retry" else f"retry.{error.field}"
        errors.append(
            GraphError("invalid_retry", str(error), node=node_id, field=f"data.{setting}")
        )
    if data.get("join", "all") not in JOIN_MODES:
        errors.append(
            GraphError(
                "invalid_join",
                f"must be one of {', '.join(JOIN_MODES)}",
                node=node_id,
                field="data.join",
            )
        )
    return errors


def _edge_errors(
    edge: Any,
    index: int,
    node_types: dict[str, NodeType | None],
    seen_edges: set[str],
    edge_pairs: list[tuple[str, str]],
) -> list[GraphError]:
    if not isinstance(edge, dict):
        return [GraphError("invalid_edge", "each edge must be an object", field=f"edges[{index}]")]
    edge_id = str(edge.get("id") or f"edges[{index}]")
    errors: list[GraphError] = []
    if edge.get("id") is not None:
        if edge_id in seen_edges:
            errors.append(
                GraphError(
                    "duplicate_edge_id",
                    f"edge id {edge_id!r} is used more than once",
                    edge=edge_id,
                    field="id",
                )
            )
        seen_edges.add(edge_id)
    source, target = edge.get("source"), edge.get("target")
    dangling = [
        GraphError(
            "dangling_edge",
            f"{field} {end!r} is not a node of this graph",
            edge=edge_id,
            field=field,
        )
        for field, end in (("source", source), ("target", target))
        if not isinstance(end, str) or end not in node_types
    ]
    # Only a dangling end stops the checks: a duplicate id must not hide a bad handle or a cycle.
    if dangling:
        return errors + dangling
    handle = edge.get("sourceHandle")
    source_type = node_types[str(source)]
    if source_type is not None and handle is not None:
        if not source_type.handles:
            errors.append(
                GraphError(
                    "bad_source_handle",
                    f"{source_type.name} node {source!r} has no output handles, got {handle!r}",
                    edge=edge_id,
                    field="sourceHandle",
                )
            )
        elif handle not in source_type.handles:
            allowed = ", ".join(sorted(source_type.handles))
            errors.append(
                GraphError(
                    "bad_source_handle",
                    f"{handle!r} is not an output of {source_type.name} node {source!r} "
                    f"(allowed: {allowed})",
                    edge=edge_id,
                    field="sourceHandle",
                )
            )
    edge_pairs.append((str(source), str(target)))
    return errors


def _cycle_and_reachability_errors(
    node_ids: list[str], edge_pairs: list[tuple[str, str]]
) -> list[GraphError]:
    children: dict[str, set[str]] = {node_id: set() for node_id in node_ids}
    has_parent: set[str] = set()
    for source, target in edge_pairs:
        children[source].add(target)
        has_parent.add(target)
    errors: list[GraphError] = []
    on_cycle: set[str] = set()
    for component in _strongly_connected_components(node_ids, children):
        if len(component) > 1 or component[0] in children[component[0]]:
            names = " -> ".join([*component, component[0]])
            errors.append(GraphError("cycle", f"the graph has a cycle: {names}", node=component[0]))
            on_cycle.update(component)
    # The walk stops at cycle nodes: they can never run, so neither can what lies behind them.
    reachable: set[str] = set()
    stack = [node_id for node_id in node_ids if node_id not in has_parent]
    while stack:
        node_id = stack.pop()
        if node_id not in reachable and node_id not in on_cycle:
            reachable.add(node_id)
            stack.extend(children[node_id])
    for node_id in node_ids:
        if node_id not in reachable and node_id not in on_cycle:
            errors.append(
                GraphError(
                    "unreachable_node",
                    "is only reachable through a cycle, so it can never run",
                    node=node_id,
                )
            )
    return errors


def _strongly_connected_components(
    node_ids: list[str], children: dict[str, set[str]]
) -> list[list[str]]:
    """Tarjan's algorithm, iterative so deep graphs cannot overflow the stack."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0
    for start in node_ids:
        if start in index_of:
            continue
        work = [(start, iter(sorted(children[start])))]
        index_of[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node_id, pending = work[-1]
            advanced = False
            for child in pending:
                if child not in index_of:
                    index_of[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(children[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node_id] = min(low[node_id], index_of[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node_id])
            if low[node_id] == index_of[node_id]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node_id:
                        break
                components.append(list(reversed(component)))
    return components


def compile_plan(graph: dict[str, Any]) -> GraphPlan:
    """The run-time view of a valid graph; raises InvalidGraph with every problem otherwise."""
    errors = validate(graph)
    if errors:
        raise InvalidGraph(errors)
    parents: dict[str, list[str]] = {node["id"]: [] for node in graph["nodes"]}
    children: dict[str, dict[str, set[str | None]]] = {node["id"]: {} for node in graph["nodes"]}
    for edge in graph.get("edges", []):
        source, target = edge["source"], edge["target"]
        if target not in children[source]:
            children[source][target] = set()
            parents[target].append(source)
        children[source][target].add(edge.get("sourceHandle"))

    order = _topological_order(list(parents), parents, children)
    ancestors: dict[str, frozenset[str]] = {}
    for node_id in order:
        found: set[str] = set()
        for parent in parents[node_id]:
            found.add(parent)
            found.update(ancestors[parent])
        ancestors[node_id] = frozenset(found)

    nodes: dict[str, PlanNode] = {}
    for node in graph["nodes"]:
        node_type = NODE_TYPES[node["type"]]
        data = node.get("data") or {}
        nodes[node["id"]] = PlanNode(
            id=node["id"],
            type=node_type,
            config=data.get("config", {}),
            retry=RetryPolicy.from_config(data.get("retry"), node_type.default_retry),
            join=data.get("join", "all"),
            parents=tuple(parents[node["id"]]),
            children={child: frozenset(handles) for child, handles in children[node["id"]].items()},
            ancestors=ancestors[node["id"]],
        )
    return GraphPlan(
        nodes=nodes,
        roots=tuple(node_id for node_id in order if not parents[node_id]),
        leaves=tuple(node_id for node_id in order if not children[node_id]),
        order=tuple(order),
    )


def _topological_order(
    node_ids: list[str],
    parents: dict[str, list[str]],
    children: dict[str, dict[str, set[str | None]]],
) -> list[str]:
    waiting = {node_id: len(parents[node_id]) for node_id in node_ids}
    queue = [node_id for node_id in node_ids if waiting[node_id] == 0]
    order: list[str] = []
    while queue:
        node_id = queue.pop(0)
        order.append(node_id)
        for child in children[node_id]:
            waiting[child] -= 1
            if waiting[child] == 0:
                queue.append(child)
    return order
