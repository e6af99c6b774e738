"""The engine as a load target: start through the REST API, read completion from the ledger.

Starts go through gunicorn exactly as a client's would (token auth, serializer, service,
publish after commit). Completion is read in bulk straight from `workflow_executions`, never
per execution through the API, so watching the runs costs the system under test almost nothing.

Latency is `completed_at` minus the scheduled send time. `completed_at` is PostgreSQL's
`clock_timestamp()` when the finalizing statement ran, a millisecond or so before its commit.
`recorded_start_latency_ms` is `completed_at - created_at`: the engine alone, without the
HTTP request.
"""

from __future__ import annotations

import http.client
import json
import threading
import uuid
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg

from benchmarks.load import Finished
from benchmarks.shapes import Shape
from executions.models import EXECUTION_TERMINAL

BENCH_USERNAME = "zzyra-bench"

FINISHED_SQL = """
SELECT id::text, status, extract(epoch FROM completed_at), extract(epoch FROM created_at)
FROM workflow_executions
WHERE id = ANY(%(ids)s::uuid[]) AND status = ANY(%(terminal)s)
"""

# Where a node hop's time goes, from the ledger alone. In a sequence each node's parent is the
# node that finished before it started, so `lag()` over started_at pairs them up. Times are the
# clock when each statement ran: a "hop" runs from the parent's completion to the child's claim.
# Pure nodes run one after another in one transaction, so their hops are the engine's own work;
# a hop to a node with external work also covers a commit and a new transaction.
BREAKDOWN_SQL = """
WITH nodes AS (
    SELECT n.execution_id, n.started_at, n.completed_at,
           lag(n.completed_at) OVER (PARTITION BY n.execution_id ORDER BY n.started_at)
               AS parent_completed_at
    FROM node_executions n
    WHERE n.execution_id = ANY(%(ids)s::uuid[]) AND n.status = 'succeeded'
),
executions AS (
    SELECT e.id, e.created_at, e.completed_at,
           min(n.started_at) AS first_started_at, max(n.completed_at) AS last_completed_at
    FROM workflow_executions e JOIN nodes n ON n.execution_id = e.id
    WHERE e.status = 'succeeded'
    GROUP BY e.id
)
SELECT
    (SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
         ORDER BY extract(epoch FROM started_at - parent_completed_at) * 1000)
     FROM nodes WHERE parent_completed_at IS NOT NULL) AS hop_ms,
    (SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
         ORDER BY extract(epoch FROM completed_at - started_at) * 1000)
     FROM nodes) AS claim_to_outcome_ms,
    (SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
         ORDER BY extract(epoch FROM first_started_at - created_at) * 1000)
     FROM executions) AS start_to_first_claim_ms,
    (SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
         ORDER BY extract(epoch FROM completed_at - last_completed_at) * 1000)
     FROM executions) AS last_outcome_to_completed_ms
"""


def bench_credentials() -> str:
    """The bench user's DRF token, creating the user and token on first use."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, created = get_user_model().objects.get_or_create(username=BENCH_USERNAME)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    token, _ = Token.objects.get_or_create(user=user)
    return str(token.key)


def bench_workflow(api_url: str, token: str, shape: Shape) -> str:
    """The shape's workflow id: created through the API, or updated if it already exists."""
    headers = {"Authorization": f"Token {token}"}
    body = {"name": shape.workflow_name, "graph": shape.graph()}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30) as client:
        response = client.post("/api/workflows/", json=body)
        if response.status_code == httpx.codes.CONFLICT:
            existing = next(
                item
                for item in client.get("/api/workflows/").raise_for_status().json()
                if item["name"] == shape.workflow_name
            )
            response = client.patch(f"/api/workflows/{existing['id']}/", json=body)
        response.raise_for_status()
        return str(response.json()["id"])


class EngineTarget:
    def __init__(self, *, api_url: str, token: str, workflow_id: str, database_url: str) -> None:
        self.name = "engine"
        self.url = f"{api_url}/api/workflows/{workflow_id}/executions/"
        self.headers = {"Authorization": f"Token {token}"}
        address = urlsplit(self.url)
        self._host, self._port, self._path = (
            address.hostname or "127.0.0.1",
            address.port,
            address.path,
        )
        self._request_headers = {**self.headers, "Content-Type": "application/json"}
        self.database_url = database_url
        self._local = threading.local()
        self._clients: list[http.client.HTTPConnection] = []
        self._clients_lock = threading.Lock()
        self._poll_connection: psycopg.Connection[Any] | None = None

    def _client(self) -> http.client.HTTPConnection:
        # The standard library's client, lighter than httpx: the load generator shares the
        # machine's CPUs with the system under test.
        client = getattr(self._local, "client", None)
        if client is None:
            client = http.client.HTTPConnection(self._host, self._port, timeout=60)
            self._local.client = client
            with self._clients_lock:
                self._clients.append(client)
        return client

    def send(self, index: int) -> str:
        body = json.dumps({"input": {"index": index}})
        # A connection the server closed between requests fails at once; the request is sent
        # again on a new one. A key of its own per start makes that safe: a start the server
        # did receive is returned, not made twice (200 instead of 201).
        headers = {**self._request_headers, "Idempotency-Key": uuid.uuid4().hex}
        for attempt in (1, 2):
            client = self._client()
            try:
                client.request("POST", self._path, body, headers)
                response = client.getresponse()
                payload = response.read()
                break
            except (OSError, http.client.HTTPException):
                client.close()  # reconnects on the next request
                if attempt == 2:
                    raise
        if response.will_close:
            client.close()
        if response.status not in (HTTPStatus.CREATED, HTTPStatus.OK):
            raise RuntimeError(f"HTTP {response.status}: {payload[:200]!r}")
        return str(json.loads(payload)["id"])

    def _connection(self) -> psycopg.Connection[Any]:
        if self._poll_connection is None or self._poll_connection.closed:
            self._poll_connection = psycopg.connect(self.database_url, autocommit=True)
        return self._poll_connection

    def poll(self, run_ids: Sequence[str]) -> dict[str, Finished]:
        rows = self._connection().execute(
            FINISHED_SQL, {"ids": list(run_ids), "terminal": sorted(EXECUTION_TERMINAL)}
        )
        return {
            run_id: Finished(status == "succeeded", float(completed), float(created))
            for run_id, status, completed, created in rows
        }

    def breakdown(self, run_ids: Sequence[str]) -> dict[str, Any]:
        row = self._connection().execute(BREAKDOWN_SQL, {"ids": list(run_ids)}).fetchone()
        names = ("hop_ms", "claim_to_outcome_ms", "start_to_first_claim_ms",
                 "last_outcome_to_completed_ms")  # fmt: skip
        found: dict[str, Any] = {}
        for name, values in zip(names, row or (None,) * len(names), strict=True):
            found[name] = (
                {"p50": round(values[0], 1), "p95": round(values[1], 1)} if values else None
            )
        return found

    def close(self) -> None:
        with self._clients_lock:
            for client in self._clients:
                client.close()
        if self._poll_connection is not None:
            self._poll_connection.close()
