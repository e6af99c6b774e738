"""The workflow API: token auth, per-user isolation, full error lists for bad graphs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.graphs import chain, condition, edge, graph, transform

pytestmark = pytest.mark.django_db


def client_for(username: str) -> APIClient:
    user = get_user_model().objects.create_user(username=username)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def alice() -> APIClient:
    return client_for("alice")


@pytest.fixture
def bob() -> APIClient:
    return client_for("bob")


def test_requests_without_a_token_are_refused() -> None:
    assert APIClient().get("/api/workflows/").status_code == 401


def test_create_read_list_and_update_make_versions(alice: APIClient) -> None:
    created = alice.post("/api/workflows/", {"name": "w", "graph": chain(2)}, format="json")
    assert created.status_code == 201, created.json()
    workflow_id = created.json()["id"]
    assert created.json()["version"] == 1

    updated = alice.patch(f"/api/workflows/{workflow_id}/", {"graph": chain(3)}, format="json")
    assert updated.status_code == 200
    assert updated.json()["version"] == 2
    assert len(updated.json()["graph"]["nodes"]) == 3

    same_again = alice.put(f"/api/workflows/{workflow_id}/", {"graph": chain(3)}, format="json")
    assert same_again.json()["version"] == 2  # an unchanged graph makes no new version

    listed = alice.get("/api/workflows/").json()
    assert [item["name"] for item in listed] == ["w"]


def test_a_bad_graph_is_rejected_with_every_error(alice: APIClient) -> None:
    bad = graph(
        [
            transform("a", 1),
            transform("a", 2),
            {"id": "mystery", "type": "teleport", "data": {"config": {}}},
            condition("check", "input.x >"),
            {"id": "http", "type": "http", "data": {"config": {"method": "YELL"}}},
            transform("loop1", 1),
            transform("loop2", 1),
        ],
        [
            edge("a", "ghost"),
            edge("a", "check", "true"),
            edge("check", "loop1", "maybe"),
            edge("loop1", "loop2"),
            edge("loop2", "loop1"),
        ],
    )

    response = alice.post("/api/workflows/", {"name": "bad", "graph": bad}, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    found = {(error["code"], error["node"] or error["edge"], error["field"]) for error in errors}
    assert ("duplicate_node_id", "a", "id") in found
    assert ("unknown_node_type", "mystery", "type") in found
    assert ("invalid_config", "check", "data.config.expression") in found
    assert ("invalid_config", "http", "data.config") in found  # url is required
    assert ("invalid_config", "http", "data.config.method") in found
    assert ("dangling_edge", "a->ghost", "target") in found
    assert ("bad_source_handle", "a->check:true", "sourceHandle") in found
    assert ("bad_source_handle", "check->loop1:maybe", "sourceHandle") in found
    assert any(code == "cycle" and "loop1" in message and "loop2" in message
               for code, message in ((e["code"], e["message"]) for e in errors))  # fmt: skip
    assert not alice.get("/api/workflows/").json()


def test_an_empty_graph_is_rejected(alice: APIClient) -> None:
    response = alice.post(
        "/api/workflows/", {"name": "empty", "graph": {"nodes": [], "edges": []}}, format="json"
    )
    assert response.status_code == 400
    assert [error["code"] for error in response.json()["errors"]] == ["empty_graph"]


def test_a_bad_graph_update_keeps_the_current_version(alice: APIClient) -> None:
    workflow_id = alice.post(
        "/api/workflows/", {"name": "w", "graph": chain(1)}, format="json"
    ).json()["id"]

    response = alice.patch(
        f"/api/workflows/{workflow_id}/", {"graph": {"nodes": "nope"}}, format="json"
    )

    assert response.status_code == 400
    assert alice.get(f"/api/workflows/{workflow_id}/").json()["version"] == 1


def test_duplicate_names_are_a_conflict(alice: APIClient, bob: APIClient) -> None:
    assert (
        alice.post(
            "/api/workflows/", {"name": "same", "graph": chain(1)}, format="json"
        ).status_code
        == 201
    )
    second = alice.post("/api/workflows/", {"name": "same", "graph": chain(1)}, format="json")
    assert second.status_code == 409
    # Names are unique per owner, not globally.
    assert (
        bob.post("/api/workflows/", {"name": "same", "graph": chain(1)}, format="json").status_code
        == 201
    )


def test_users_see_only_their_own_workflows_and_executions(
    alice: APIClient, bob: APIClient
) -> None:
    workflow_id = alice.post(
        "/api/workflows/", {"name": "private", "graph": chain(1)}, format="json"
    ).json()["id"]
    started = alice.post(f"/api/workflows/{workflow_id}/executions/", {"input": {}}, format="json")
    assert started.status_code == 201
    execution_id = started.json()["id"]

    assert bob.get("/api/workflows/").json() == []
    assert bob.get(f"/api/workflows/{workflow_id}/").status_code == 404
    assert (
        bob.patch(f"/api/workflows/{workflow_id}/", {"name": "mine"}, format="json").status_code
        == 404
    )
    assert (
        bob.post(f"/api/workflows/{workflow_id}/executions/", {}, format="json").status_code == 404
    )
    assert bob.get(f"/api/executions/{execution_id}/").status_code == 404
    assert bob.get("/api/executions/").json()["results"] == []
    assert alice.get(f"/api/executions/{execution_id}/").status_code == 200


def test_start_with_the_same_idempotency_key_returns_the_same_execution(alice: APIClient) -> None:
    workflow_id = alice.post(
        "/api/workflows/", {"name": "w", "graph": chain(1)}, format="json"
    ).json()["id"]
    url = f"/api/workflows/{workflow_id}/executions/"

    first = alice.post(url, {"input": {"a": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    second = alice.post(url, {"input": {"a": 1}}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    third = alice.post(url, {"input": {"a": 1}}, format="json")

    assert (first.status_code, second.status_code, third.status_code) == (201, 200, 201)
    assert first.json()["id"] == second.json()["id"] != third.json()["id"]


def test_execution_detail_lists_node_states(alice: APIClient) -> None:
    workflow_id = alice.post(
        "/api/workflows/", {"name": "w", "graph": chain(3)}, format="json"
    ).json()["id"]
    execution_id = alice.post(
        f"/api/workflows/{workflow_id}/executions/", {}, format="json"
    ).json()["id"]

    detail = alice.get(f"/api/executions/{execution_id}/").json()

    assert detail["status"] == "pending"
    states = {node["node_id"]: node["status"] for node in detail["nodes"]}
    assert states == {"n0": "ready", "n1": "pending", "n2": "pending"}
