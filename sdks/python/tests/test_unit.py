"""Unit tests of the hand-written layer that need no server: the retry transport (an
``httpx.MockTransport`` plays the server), typed errors, SSE parsing, webhook verification."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx
import pytest

import agenfleet
from agenfleet import (
    AgenFleet,
    ApiError,
    ConflictError,
    NotFoundError,
    RateLimitedError,
    RetryPolicy,
    ServiceUnavailableError,
    ValidationError,
    WebhookVerificationError,
    verify_webhook,
)
from agenfleet.generated.api.agents import create_agent, delete_agent, get_agent, list_agents
from agenfleet.generated.models import CreateAgentRequest, SortOrder
from agenfleet.stream import parse_sse


def test_the_installed_package_is_tested():
    """./test installs the SDK like a user would: the tests must not import the source tree."""
    here = Path(__file__).resolve().parent.parent
    assert here not in Path(agenfleet.__file__).resolve().parents, agenfleet.__file__
    assert (Path(agenfleet.__file__).parent / "py.typed").exists()


def error_body(status: int, code: str, message: str = "nope", **extra: object) -> dict:
    return {"error": {"code": code, "message": message, "statusCode": status, "requestId": "req_1", **extra}}


AGENT = {
    "id": "agent_01jq8abcdefghjkmnpqrstvwxy",
    "name": "a",
    "role": None,
    "description": None,
    "status": "provisioning",
    "model": "claude-haiku-3.5",
    "config": {
        "model": {"default": "claude-haiku-3.5", "fallbacks": []},
        "tools": {"allowed": []},
        "limits": {"dailyTokenBudget": None, "monthlyTokenBudget": None, "alertThreshold": 0.8},
        "gateway": None,
    },
    "soulSha256": None,
    "createdAt": "2026-01-15T09:00:00Z",
    "updatedAt": "2026-01-15T09:00:00Z",
    "lastActiveAt": None,
    "lastHeartbeatAt": None,
    "tokensTodayInput": 0,
    "tokensTodayOutput": 0,
    "openSessionCount": 0,
}


class Server:
    """A scripted server: answers the queued responses in order, records every request."""

    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        response = self.responses.pop(0)
        if isinstance(response, Exception):
            raise response
        return response


def fleet_with(server: Server, sleeps: list[float], **kwargs: object) -> AgenFleet:
    fleet = AgenFleet("afk_test", "http://api.test", transport=httpx.MockTransport(server), **kwargs)
    fleet.http._transport.sleep = sleeps.append  # type: ignore[attr-defined]
    return fleet


def test_retries_503_then_succeeds_with_the_same_idempotency_key():
    server = Server(
        httpx.Response(503, json=error_body(503, "SERVICE_UNAVAILABLE"), headers={"Retry-After": "2"}),
        httpx.Response(429, json=error_body(429, "RATE_LIMITED"), headers={"Retry-After": "1"}),
        httpx.Response(201, json=AGENT),
    )
    sleeps: list[float] = []
    fleet = fleet_with(server, sleeps)
    agent = fleet.call(create_agent, body=CreateAgentRequest(name="a"))
    assert agent.id == AGENT["id"]
    assert sleeps == [2.0, 1.0]  # Retry-After honoured
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert len(server.requests) == 3 and len(keys) == 1 and next(iter(keys))
    assert len({r.content for r in server.requests}) == 1 and json.loads(server.requests[0].content) == {"name": "a"}
    assert all(r.headers["Authorization"] == "Bearer afk_test" for r in server.requests)


def test_a_caller_key_is_kept_and_gets_reused():
    server = Server(
        httpx.Response(504, json=error_body(504, "COMMAND_TIMEOUT", details=[{"commandId": "cmd_1"}])),
        httpx.Response(201, json=AGENT),
    )
    sleeps: list[float] = []
    fleet = fleet_with(server, sleeps)
    fleet.call(create_agent, body=CreateAgentRequest(name="a"), idempotency_key="mine-1")
    assert [r.headers["Idempotency-Key"] for r in server.requests] == ["mine-1", "mine-1"]
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 8  # no Retry-After: capped backoff


def test_every_write_gets_a_fresh_key_and_reads_get_none():
    server = Server(
        httpx.Response(201, json=AGENT),
        httpx.Response(201, json=AGENT),
        httpx.Response(204),
        httpx.Response(200, json=AGENT),
    )
    fleet = fleet_with(server, [])
    fleet.call(create_agent, body=CreateAgentRequest(name="a"))
    fleet.call(create_agent.sync, body=CreateAgentRequest(name="a"))
    assert fleet.call(delete_agent.sync_detailed, id=AGENT["id"]) is None
    fleet.call(get_agent, id=AGENT["id"])
    keys = [r.headers.get("Idempotency-Key") for r in server.requests]
    assert keys[0] and keys[1] and keys[2] and len(set(keys[:3])) == 3
    assert keys[3] is None


def test_gives_up_after_max_retries_and_raises_the_typed_error():
    server = Server(*[
        httpx.Response(429, json=error_body(429, "RATE_LIMITED"), headers={"Retry-After": "1", "X-Request-Id": "req_9"})
        for _ in range(3)
    ])
    sleeps: list[float] = []
    fleet = fleet_with(server, sleeps, max_retries=2)
    with pytest.raises(RateLimitedError) as raised:
        fleet.call(list_agents)
    assert len(server.requests) == 3 and sleeps == [1.0, 1.0]
    error = raised.value
    assert (error.status, error.code, error.retry_after, error.request_id) == (429, "RATE_LIMITED", 1.0, "req_9")


def test_a_long_retry_after_is_not_waited_on():
    server = Server(
        httpx.Response(429, json=error_body(429, "BUDGET_EXHAUSTED"), headers={"Retry-After": "36000"}),
    )
    sleeps: list[float] = []
    fleet = fleet_with(server, sleeps)
    with pytest.raises(RateLimitedError) as raised:
        fleet.call(list_agents)
    assert raised.value.code == "BUDGET_EXHAUSTED" and raised.value.retry_after == 36000
    assert sleeps == [] and len(server.requests) == 1


def test_connection_errors_are_retried():
    server = Server(httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(201, json=AGENT))  # type: ignore[arg-type]
    sleeps: list[float] = []
    fleet = fleet_with(server, sleeps)
    fleet.call(create_agent, body=CreateAgentRequest(name="a"))
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert len({r.headers["Idempotency-Key"] for r in server.requests}) == 1


def test_connection_errors_surface_after_max_retries():
    server = Server(*[httpx.ConnectError("refused") for _ in range(2)])  # type: ignore[arg-type]
    fleet = fleet_with(server, [], max_retries=1)
    with pytest.raises(httpx.ConnectError):
        fleet.call(list_agents)


def test_other_errors_are_not_retried_and_are_typed():
    cases = [
        (400, "VALIDATION_ERROR", ValidationError),
        (404, "AGENT_NOT_FOUND", NotFoundError),
        (409, "CONFLICT", ConflictError),
        (500, "INTERNAL_ERROR", agenfleet.InternalServerError),
    ]
    for status, code, cls in cases:
        details = [{"field": "name", "message": "too long"}] if status == 400 else None
        body = error_body(status, code, **({"details": details} if details else {}))
        server = Server(httpx.Response(status, json=body, headers={"X-Request-Id": "req_x"}))
        fleet = fleet_with(server, [])
        with pytest.raises(cls) as raised:
            fleet.call(create_agent, body=CreateAgentRequest(name="a"))
        assert raised.value.code == code and raised.value.status == status
        assert raised.value.request_id == "req_x" and raised.value.message == "nope"
        assert len(server.requests) == 1
        if details:
            assert raised.value.details == details


def test_retry_policy_can_be_turned_off():
    server = Server(httpx.Response(503, json=error_body(503, "SERVICE_UNAVAILABLE"), headers={"Retry-After": "1"}))
    fleet = fleet_with(server, [], max_retries=0)
    with pytest.raises(ServiceUnavailableError) as raised:
        fleet.call(list_agents)
    assert raised.value.retry_after == 1.0


def test_backoff_is_capped():
    policy = RetryPolicy(10, backoff_base=1, backoff_cap=5)
    assert all(2.5 <= policy.backoff(n) <= 5 for n in range(3, 10))


def test_an_error_status_the_document_does_not_list_is_still_an_api_error():
    # create_agent documents no 404: the generated code raises UnexpectedStatus, call() turns
    # it into the typed error.
    server = Server(httpx.Response(418, json=error_body(418, "TEAPOT"), headers={"X-Request-Id": "req_t"}))
    fleet = fleet_with(server, [])
    with pytest.raises(ApiError) as raised:
        fleet.call(create_agent, body=CreateAgentRequest(name="a"))
    assert (raised.value.status, raised.value.code, raised.value.request_id) == (418, "TEAPOT", "req_t")
    assert raised.value.parsed is None


def test_a_body_that_does_not_fit_the_model_is_reported():
    broken = {k: v for k, v in AGENT.items() if k != "name"}
    fleet = fleet_with(Server(httpx.Response(200, json=broken)), [])
    with pytest.raises(agenfleet.ResponseParseError) as raised:
        fleet.call(get_agent, id=AGENT["id"])
    assert raised.value.operation == "get_agent" and raised.value.status == 200
    assert b"agent_01jq8" in raised.value.content


def test_iterate_walks_every_page():
    items = [dict(AGENT, id=f"agent_{n:026d}") for n in range(5)]

    def answer(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        data = items[offset : offset + limit]
        pagination = {"total": 5, "limit": limit, "offset": offset, "hasMore": offset + len(data) < 5}
        return httpx.Response(200, json={"data": data, "pagination": pagination})

    fleet = AgenFleet("afk_test", "http://api.test", transport=httpx.MockTransport(answer))
    assert [a.id for a in fleet.iterate(list_agents, page_size=2)] == [i["id"] for i in items]
    assert [len(p.data) for p in fleet.pages(list_agents, page_size=2)] == [2, 2, 1]
    assert [a.id for a in agenfleet.iterate(fleet, list_agents, page_size=3, order=SortOrder.ASC)] == [i["id"] for i in items]


def test_async_twins():
    server = Server(
        httpx.Response(503, json=error_body(503, "SERVICE_UNAVAILABLE"), headers={"Retry-After": "0"}),
        httpx.Response(201, json=AGENT),
    )

    async def main() -> None:
        async def no_sleep(_: float) -> None:
            return None

        fleet = AgenFleet("afk_test", "http://api.test", async_transport=httpx.MockTransport(server))
        fleet.async_http._transport.sleep = no_sleep  # type: ignore[attr-defined]
        agent = await fleet.acall(create_agent, body=CreateAgentRequest(name="a"))
        assert agent.id == AGENT["id"]
        await fleet.aclose()

    asyncio.run(main())
    assert len({r.headers["Idempotency-Key"] for r in server.requests}) == 1 and len(server.requests) == 2


def test_sse_parsing():
    lines = [
        ": connected",
        "",
        "id: 7",
        "event: agent.created",
        'data: {"a":',
        "data: 1}",
        "",
        ": keep-alive",
        "",
        "id: 8",
        "data:x",
        "",
    ]
    events = list(parse_sse(lines))
    assert [(e.id, e.event, e.data) for e in events] == [("7", "agent.created", '{"a":\n1}'), ("8", "message", "x")]


SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def test_verify_webhook():
    body = json.dumps({"id": "evt_1", "event": "webhook.test", "timestamp": "2026-01-15T09:00:00Z", "data": {}}).encode()
    now = int(time.time())
    headers = {
        "Webhook-Id": "evt_1",
        "Webhook-Timestamp": str(now),
        "Webhook-Signature": "v1,AAAA " + sign(SECRET, "evt_1", now, body),  # rotated: two signatures
    }
    assert verify_webhook(SECRET, body, headers)["event"] == "webhook.test"
    assert verify_webhook(SECRET, body.decode(), httpx.Headers(headers))["id"] == "evt_1"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, body + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        verify_webhook("whsec_" + base64.b64encode(b"x" * 32).decode(), body, headers)
    old = now - 600
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, body, dict(headers, **{"Webhook-Timestamp": str(old), "Webhook-Signature": sign(SECRET, "evt_1", old, body)}))
    with pytest.raises(WebhookVerificationError):
        verify_webhook(SECRET, body, {"webhook-id": "evt_1"})


def test_the_document_checks_catch_what_they_must():
    """The scenario's conformance checks (conftest) find extra fields, wrong types and drops."""
    from conftest import dropped_keys, model_problems

    from agenfleet.generated.models import Agent, Message

    clean = Agent.from_dict(AGENT)
    assert model_problems(clean) == [] and dropped_keys(AGENT, clean.to_dict()) == []
    nested_extra = dict(AGENT, config=dict(AGENT["config"], limits={**AGENT["config"]["limits"], "hourly": 5}))
    assert any("config.limits" in p and "hourly" in p for p in model_problems(Agent.from_dict(nested_extra)))
    assert any(".name" in p for p in model_problems(Agent.from_dict(dict(AGENT, name=None))))
    assert any("tokens_today_input" in p for p in model_problems(Agent.from_dict(dict(AGENT, tokensTodayInput="3"))))
    message = {
        "id": "msg_1", "sessionId": "sess_1", "agentId": "agent_1", "sequence": 1, "role": "assistant",
        "content": "hi", "usage": None, "createdAt": "2026-01-15T09:00:00Z",
        "toolCalls": [{"name": "t", "status": "success", "durationMs": 1, "surprise": True}],
    }
    parsed = Message.from_dict(message)
    problems = model_problems(parsed) + dropped_keys(message, parsed.to_dict())
    assert any("surprise" in p for p in problems), problems
