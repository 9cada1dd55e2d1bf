"""A user's first hour with the SDK, against a live server (``scripts/with-dev-server``).

The steps run in order and hand what they made to the next through the ``state`` fixture.
Every answer goes through ``api`` (conftest.Api), which checks it against the document.
"""

from __future__ import annotations

import datetime
import http.server
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import Api, check_model, now_utc, record

from agenfleet import (
    AgenFleet,
    AuthenticationError,
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ValidationError,
    WebhookVerificationError,
    verify_webhook,
)
from agenfleet.generated.api.activity import get_activity, list_activity, verify_activity
from agenfleet.generated.api.agents import (
    create_agent,
    delete_agent,
    get_agent,
    get_agent_soul,
    list_agents,
    put_agent_soul,
    record_heartbeat,
    update_agent,
)
from agenfleet.generated.api.api_keys import create_api_key, get_api_key, list_api_keys, revoke_api_key
from agenfleet.generated.api.cron import (
    create_cron_job,
    delete_cron_job,
    get_cron_job,
    get_cron_run,
    list_cron_jobs,
    list_cron_runs,
    run_cron_job,
    update_cron_job,
)
from agenfleet.generated.api.metrics import get_agent_metrics, get_metrics_summary, list_agent_metrics
from agenfleet.generated.api.models import list_models
from agenfleet.generated.api.sessions import (
    archive_session,
    create_session,
    get_session,
    list_messages,
    list_sessions,
    post_message,
    prune_sessions,
)
from agenfleet.generated.api.webhooks import (
    create_webhook,
    delete_webhook,
    get_webhook_delivery,
    get_webhook,
    list_webhook_deliveries,
    list_webhooks,
    replay_webhook_events,
    retry_webhook_delivery,
    rotate_webhook_secret,
    test_webhook,
    update_webhook,
)
from agenfleet.generated.models import (
    ActorType,
    DeliveryStatus,
    Granularity,
    WebhookEventFilter,
    SortOrder,
    ActivityEntry,
    Agent,
    AgentConfigPatch,
    AgentPatch,
    AgentStatus,
    CreateAgentRequest,
    CreateCronJobRequest,
    CreateKeyRequest,
    CreateSessionRequest,
    CreateWebhookRequest,
    CronDeliveryType1,
    CronDeliveryType1Type,
    CronJob,
    CronJobPatch,
    CronRun,
    GatewayPatch,
    Message,
    PruneSessionsRequest,
    ReplayRequest,
    Session,
    SessionOrigin,
    SessionStatus,
    WebhookPatch,
    HeartbeatRequest,
    HeartbeatState,
    LimitsPatch,
    MessageRole,
    ModelPatch,
    AssistantMessageRequest,
    AssistantMessageRequestRole,
    UserMessageRequest,
    Scope,
    SoulRequest,
    ToolCall,
    ToolCallStatus,
    ToolsPatch,
    UsageReport,
)

RUN = uuid.uuid4().hex[:8]


def wait_for(what: str, probe: Callable[[], Any], timeout: float = 30.0, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def check_webhook_data(event_type: str, model: Any, data: dict[str, Any], raw: Any = None) -> None:
    """The contract: a delivery's ``data`` is the resource after the change, so it must fit
    the resource's generated model (the document has no schema of webhook payloads)."""
    where = f"webhook {event_type} data (as {model.__name__})"
    try:
        parsed = model.from_dict(data)
    except (KeyError, ValueError, TypeError) as error:
        record(where, None, f"does not parse: {type(error).__name__}: {error}", raw or data)
        return
    check_model(where, None, parsed, data)


# -- a local webhook receiver ---------------------------------------------------------------
class Receiver:
    """An HTTP server on 127.0.0.1 in a thread, queueing every request it receives."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/agenfleet"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def next(self, match: Callable[[dict[str, str], bytes], bool], timeout: float = 30.0) -> tuple[dict[str, str], bytes]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail("no matching webhook delivery arrived")
            try:
                headers, body = self.received.get(timeout=remaining)
            except queue.Empty:
                continue
            if match(headers, body):
                return headers, body

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def catch_all() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def test_a_catch_all_webhook(api: Api, catch_all: Receiver, state: dict[str, Any]) -> None:
    """Registered first, it receives every event of the scenario; the last step checks them."""
    hook = api(create_webhook, body=CreateWebhookRequest(url=catch_all.url, events=[WebhookEventFilter("*")]))
    assert hook.events == ["*"] and hook.secret
    state["catch_all"] = hook


# -- 1. API keys ---------------------------------------------------------------------------
def test_api_keys(api: Api, fleet: AgenFleet, base_url: str, state: dict[str, Any]) -> None:
    created = api(create_api_key, body=CreateKeyRequest(name=f"dashboard {RUN}", scope=Scope.READ))
    assert created.key and created.key.startswith("afk_") and created.scope == Scope.READ
    assert created.prefix == created.key[:8]
    state["read_key"] = created

    listed = api.iterate(list_api_keys)
    assert created.id in {k.id for k in listed}
    assert all(not k.key for k in listed), "a listed key shows its secret"

    fetched = api(get_api_key, id=created.id)
    assert fetched.id == created.id and not fetched.key

    # The read key reads, and may not write.
    reader = Api(AgenFleet(created.key, base_url))
    reader.iterate(list_agents)
    reader.error(PermissionDeniedError, "FORBIDDEN", create_agent, body=CreateAgentRequest(name=f"nope {RUN}"))
    api.error(NotFoundError, "API_KEY_NOT_FOUND", get_api_key, id="key_01jq8abcdefghjkmnpqrstvwxy")


# -- 2. agents -----------------------------------------------------------------------------
def test_agents(api: Api, state: dict[str, Any]) -> None:
    soul = f"# Scout {RUN}\n\nYou watch the fleet.\n"
    scout = api(
        create_agent,
        body=CreateAgentRequest(
            name=f"Scout {RUN}",
            role="researcher",
            description="Finds things out",
            soul=soul,
            config=AgentConfigPatch(
                model=ModelPatch(default="gpt-4o", fallbacks=["gpt-4o-mini"]),
                tools=ToolsPatch(allowed=["web_search", "calculator"]),
                limits=LimitsPatch(daily_token_budget=1_000_000, alert_threshold=0.9),
            ),
        ),
    )
    assert isinstance(scout, Agent)
    assert scout.status == AgentStatus.PROVISIONING and scout.model == "gpt-4o"
    assert scout.config.model.fallbacks == ["gpt-4o-mini"] and scout.config.limits.alert_threshold == 0.9
    assert scout.soul_sha_256
    state["agent"] = scout

    # The same name, another case: a typed 409.
    conflict = api.error(ConflictError, "CONFLICT", create_agent, body=CreateAgentRequest(name=f"scout {RUN}".upper()))
    assert conflict.status == 409 and conflict.request_id
    # A bad request names the field.
    invalid = api.error(ValidationError, "VALIDATION_ERROR", create_agent, body=CreateAgentRequest(name="x" * 101))
    assert invalid.details and any("name" in d.get("field", "") for d in invalid.details)
    api.error(NotFoundError, "AGENT_NOT_FOUND", get_agent, id="agent_01jq8abcdefghjkmnpqrstvwxy")

    # Enough agents for several pages, all listed through the iterator.
    helpers = [api(create_agent, body=CreateAgentRequest(name=f"helper {RUN} {n:02d}")).id for n in range(23)]
    pages = api.pages(list_agents, page_size=10)
    assert len(pages) >= 3 and not pages[-1].pagination.has_more
    assert all(p.pagination.has_more for p in pages[:-1]) and pages[0].pagination.limit == 10
    everyone = api.iterate(list_agents, page_size=10)
    ids = [a.id for a in everyone]
    assert len(ids) == len(set(ids)) == pages[0].pagination.total
    assert set(helpers) | {scout.id} <= set(ids)
    oldest_first = [a.id for a in api.iterate(list_agents, page_size=7, order=SortOrder.ASC)]
    assert oldest_first == list(reversed(ids))
    provisioning = api.iterate(list_agents, status=AgentStatus.PROVISIONING)
    assert scout.id in {a.id for a in provisioning}

    # Patch: a merge patch, nested objects merge.
    patched = api(
        update_agent,
        id=scout.id,
        body=AgentPatch(description="Finds things out, fast", config=AgentConfigPatch(limits=LimitsPatch(alert_threshold=0.75))),
    )
    assert patched.description == "Finds things out, fast" and patched.config.limits.alert_threshold == 0.75
    assert patched.config.limits.daily_token_budget == 1_000_000 and patched.role == "researcher"

    # SOUL: read it, replace it.
    assert api(get_agent_soul, id=scout.id) == soul
    new_soul = soul + "\nBe brief.\n"
    resouled = api(put_agent_soul, id=scout.id, body=SoulRequest(soul=new_soul))
    assert resouled.soul_sha_256 and resouled.soul_sha_256 != scout.soul_sha_256
    assert api(get_agent_soul, id=scout.id) == new_soul

    # The runtime's heartbeat: 204, and the agent comes online.
    assert api(record_heartbeat, id=scout.id, body=HeartbeatRequest(state=HeartbeatState.OK, latency_ms=42)) is None
    online = api(get_agent, id=scout.id)
    assert online.status == AgentStatus.ONLINE and online.last_heartbeat_at

    # Deleting one frees its name; it is gone after.
    assert api(delete_agent, id=helpers[0]) is None
    api.error(NotFoundError, "AGENT_NOT_FOUND", get_agent, id=helpers[0])


# -- 3. sessions and messages ----------------------------------------------------------------
def test_sessions_and_messages(api: Api, state: dict[str, Any]) -> None:
    agent = state["agent"]
    session = api(create_session, body=CreateSessionRequest(agent_id=agent.id, name="first chat"))
    assert session.agent_id == agent.id and session.message_count == 0
    state["session"] = session

    question = api(post_message, id=session.id, body=UserMessageRequest(content="What changed overnight?"))
    assert question.role == MessageRole.USER and question.sequence == 1 and question.tool_calls == []

    reply = api(
        post_message,
        id=session.id,
        body=AssistantMessageRequest(
            role=AssistantMessageRequestRole.ASSISTANT,
            content="Two agents went offline; one came back.",
            usage=UsageReport(model="gpt-4o", input_tokens=1200, output_tokens=300, latency_ms=850),
            tool_calls=[
                ToolCall(name="web_search", status=ToolCallStatus.SUCCESS, duration_ms=120),
                ToolCall(name="calculator", status=ToolCallStatus.FAILURE, duration_ms=5),
            ],
        ),
    )
    assert reply.sequence == 2 and reply.usage and reply.usage.input_tokens == 1200
    assert [t.name for t in reply.tool_calls] == ["web_search", "calculator"]

    messages = api.iterate(list_messages, id=session.id)
    assert [m.sequence for m in messages] == [1, 2]  # oldest first
    newest_first = api.iterate(list_messages, id=session.id, order=SortOrder.DESC)
    assert [m.sequence for m in newest_first] == [2, 1]

    fetched = api(get_session, id=session.id)
    assert fetched.message_count == 2 and fetched.token_count == 1500
    assert session.id in {s.id for s in api.iterate(list_sessions, agent_id=agent.id)}

    other = api(create_session, body=CreateSessionRequest(agent_id=agent.id))
    archived = api(archive_session, id=other.id)
    assert archived.status.value == "archived" and archived.archived_at
    api.error(ConflictError, "SESSION_ARCHIVED", post_message, id=other.id, body=UserMessageRequest(content="hello?"))
    api.error(NotFoundError, "SESSION_NOT_FOUND", get_session, id="sess_01jq8abcdefghjkmnpqrstvwxy")


# -- 4. metrics ------------------------------------------------------------------------------
def test_metrics(api: Api, state: dict[str, Any]) -> None:
    agent = state["agent"]
    summary = api(get_metrics_summary)
    assert summary.messages.user >= 1 and summary.messages.assistant >= 1
    assert summary.tokens.input_ >= 1200 and summary.tokens.output >= 300
    assert summary.cost_usd > 0
    assert any(m.model == "gpt-4o" for m in summary.by_model)

    per_agent = api.iterate(list_agent_metrics)
    mine = next(m for m in per_agent if m.agent_id == agent.id)
    assert mine.cost_usd > 0 and mine.messages >= 2

    series = api(get_agent_metrics, id=agent.id, granularity=Granularity.HOUR)
    assert series.agent_id == agent.id and series.series
    assert sum(b.messages for b in series.series) >= 2
    now = now_utc()
    daily = api(get_agent_metrics, id=agent.id, granularity=Granularity.DAY, from_=now - datetime.timedelta(days=3), to=now)
    assert len(daily.series) >= 3
    api.error(
        ValidationError,
        "VALIDATION_ERROR",
        get_metrics_summary,
        from_=now,
        to=now - datetime.timedelta(days=1),
    )

    catalog = api(list_models)
    assert "gpt-4o" in {m.id for m in catalog.data}


# -- 5. webhooks -----------------------------------------------------------------------------
def test_webhooks(api: Api, receiver: Receiver, state: dict[str, Any]) -> None:
    hook = api(
        create_webhook,
        body=CreateWebhookRequest(url=receiver.url, events=[WebhookEventFilter("webhook.test"), WebhookEventFilter("agent.created")], description="local receiver"),
    )
    assert hook.secret and hook.secret.startswith("whsec_") and hook.enabled
    secret = hook.secret
    assert not api(get_webhook, id=hook.id).secret
    assert hook.id in {w.id for w in api.iterate(list_webhooks)}
    api.error(ConflictError, "CONFLICT", create_webhook, body=CreateWebhookRequest(url=receiver.url, events=[WebhookEventFilter("agent.created"), WebhookEventFilter("webhook.test")]))

    sent = api(test_webhook, id=hook.id)
    headers, body = receiver.next(lambda h, b: h.get("webhook-id") == sent.event_id)
    payload = verify_webhook(secret, body, headers)
    assert payload["event"] == "webhook.test" and payload["id"] == sent.event_id
    assert headers["user-agent"].startswith("AgenFleet-Webhooks/") and headers["content-type"].startswith("application/json")
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secret, body.replace(b"webhook.test", b"webhook.tost"), headers)

    # A real event: its data is the resource, so it must fit the generated model.
    agent = api(create_agent, body=CreateAgentRequest(name=f"hooked {RUN}"))
    headers, body = receiver.next(lambda h, b: json.loads(b).get("data", {}).get("id") == agent.id)
    event = verify_webhook(secret, body, headers)
    assert event["event"] == "agent.created"
    assert set(event["data"]) == AGENT_PAYLOAD_KEYS["agent.created"]  # the known gap, see below

    # Deliveries: the test delivery succeeded, with its attempt log.
    def delivered() -> Any:
        items = api.iterate(list_webhook_deliveries, id=hook.id)
        return next((d for d in items if d.id == sent.delivery_id and d.status == "succeeded"), None)

    delivery = wait_for("the test delivery to succeed", delivered)
    assert delivery.event_type == "webhook.test" and delivery.attempts == 1
    detail = api(get_webhook_delivery, id=hook.id, delivery_id=delivery.id)
    assert detail.attempt_log and detail.attempt_log[0].status_code == 204
    succeeded = api.iterate(list_webhook_deliveries, id=hook.id, status=DeliveryStatus.SUCCEEDED)
    assert delivery.id in {d.id for d in succeeded}

    # Rotation: both secrets verify for a while.
    rotated = api(rotate_webhook_secret, id=hook.id)
    assert rotated.secret and rotated.secret != secret
    again = api(test_webhook, id=hook.id)
    headers, body = receiver.next(lambda h, b: h.get("webhook-id") == again.event_id)
    assert verify_webhook(rotated.secret, body, headers)["id"] == again.event_id
    assert verify_webhook(secret, body, headers)["id"] == again.event_id
    state["webhook"] = hook


# -- 6. cron jobs ----------------------------------------------------------------------------
def test_cron_jobs(api: Api, state: dict[str, Any]) -> None:
    agent = state["agent"]
    job = api(
        create_cron_job,
        body=CreateCronJobRequest(
            agent_id=agent.id,
            name="morning digest",
            prompt="Summarize what happened overnight.",
            schedule="0 9 * * MON-FRI",
            timezone="Europe/Paris",
        ),
    )
    assert job.enabled and job.next_run_at and job.timezone == "Europe/Paris"
    assert job.id in {j.id for j in api.iterate(list_cron_jobs, agent_id=agent.id)}
    api.error(
        ValidationError,
        "VALIDATION_ERROR",
        create_cron_job,
        body=CreateCronJobRequest(agent_id=agent.id, name="bad", prompt="x", schedule="61 * * * *"),
    )

    run = api(run_cron_job, id=job.id)
    assert run.cron_job_id == job.id
    runs = api.iterate(list_cron_runs, id=job.id)
    assert run.id in {r.id for r in runs}

    # The run opened a session with the prompt; the agent's reply completes it.
    started = wait_for("the run's session", lambda: api(get_cron_run, id=job.id, run_id=run.id).session_id)
    session = api(get_session, id=started)
    assert session.origin.value == "cron" and session.cron_job_id == job.id
    prompt = api.iterate(list_messages, id=started)
    assert prompt and prompt[0].content == "Summarize what happened overnight."
    api(
        post_message,
        id=started,
        body=AssistantMessageRequest(
            role=AssistantMessageRequestRole.ASSISTANT,
            content="Quiet night.",
            usage=UsageReport(model="gpt-4o", input_tokens=10, output_tokens=3),
        ),
    )
    done = wait_for(
        "the run to succeed",
        lambda: (r := api(get_cron_run, id=job.id, run_id=run.id)).status.value == "succeeded" and r,
    )
    assert done.finished_at and done.output_tokens == 3
    assert api(get_cron_job, id=job.id).last_run_status
    api.error(NotFoundError, "CRON_RUN_NOT_FOUND", get_cron_run, id=job.id, run_id="run_01jq8abcdefghjkmnpqrstvwxy")


# -- 7. activity -----------------------------------------------------------------------------
def test_activity(api: Api, fleet: AgenFleet, state: dict[str, Any]) -> None:
    agent = state["agent"]
    mine = api.iterate(list_activity, agent_id=agent.id, type_="agent.*")
    types = {e.type_ for e in mine}
    assert {"agent.created", "agent.updated", "agent.soul_updated", "agent.status_changed"} <= types
    assert all(e.agent_id == agent.id and e.type_.startswith("agent.") for e in mine)
    by_keys = api.iterate(list_activity, actor_type=ActorType.API_KEY, type_="api_key.created,webhook.created")
    assert by_keys and {e.type_ for e in by_keys} <= {"api_key.created", "webhook.created"}
    one = api(get_activity, id=mine[0].id)
    assert one.id == mine[0].id and one.hash_ == mine[0].hash_

    # The chain: every entry links to the one before, and the server agrees it is intact.
    history = api.iterate(list_activity, after=0)
    assert [e.sequence for e in history] == list(range(1, len(history) + 1))
    assert history[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash_ for a, b in zip(history, history[1:]))
    verification = api(verify_activity)
    assert verification.valid and verification.entries >= len(history)

    # The live stream: from the current head, an event made now arrives.
    head = history[-1].sequence
    with fleet.stream_activity(last_event_id=head) as stream:
        api(update_agent, id=agent.id, body=AgentPatch(role="lead researcher"))
        seen: list[ActivityEntry] = []
        for entry in stream:
            seen.append(entry)
            check_model("stream_activity", 200, entry, entry.to_dict())
            if entry.type_ == "agent.updated" and entry.agent_id == agent.id:
                break
        assert seen[0].sequence == head + 1 and stream.last_event_id == seen[-1].sequence
    # Resuming replays from a position.
    with fleet.stream_activity(last_event_id=head) as resumed:
        assert next(resumed).id == seen[0].id


# -- 6b. an agent with a gateway and a token budget ------------------------------------------
def test_gateway_and_budget(api: Api, fleet: AgenFleet, base_url: str, receiver: Receiver) -> None:
    agent = api(
        create_agent,
        body=CreateAgentRequest(
            name=f"Budgeted {RUN}",
            config=AgentConfigPatch(
                gateway=GatewayPatch(url=receiver.url), limits=LimitsPatch(daily_token_budget=1000)
            ),
        ),
    )
    assert agent.config.gateway and agent.config.gateway.url == receiver.url
    assert agent.gateway_secret and agent.gateway_secret.startswith("whsec_")
    assert not api(get_agent, id=agent.id).gateway_secret
    session = api(create_session, body=CreateSessionRequest(agent_id=agent.id))

    # A user message reaches the gateway, signed with the gateway's secret.
    question = api(post_message, id=session.id, body=UserMessageRequest(content="ping"))
    headers, body = receiver.next(lambda h, b: json.loads(b).get("data", {}).get("id") == question.id)
    event = verify_webhook(agent.gateway_secret, body, headers)
    assert event["event"] == "message.created"
    check_webhook_data("message.created (gateway)", Message, event["data"])

    # The runtime's reply spends the budget; the next user message is refused with Retry-After.
    api(
        post_message,
        id=session.id,
        body=AssistantMessageRequest(
            role=AssistantMessageRequestRole.ASSISTANT,
            content="pong",
            usage=UsageReport(model="claude-haiku-3.5", input_tokens=900, output_tokens=200),
        ),
    )
    strict = Api(AgenFleet(fleet.client.token, base_url, max_retries=0))
    exhausted = strict.error(
        RateLimitedError, "BUDGET_EXHAUSTED", post_message, id=session.id, body=UserMessageRequest(content="again?")
    )
    if exhausted.retry_after is None:
        record("post_message", 429, "BUDGET_EXHAUSTED without a Retry-After header (the contract requires it)",
               {"headers": exhausted.headers, "body": exhausted.body.decode()})
    else:
        assert 0 < exhausted.retry_after <= 86400
    types = {e.type_ for e in api.iterate(list_activity, agent_id=agent.id, type_="agent.budget_alert,agent.budget_exhausted")}
    assert {"agent.budget_alert", "agent.budget_exhausted"} <= types

    # Degraded, by its own heartbeat.
    api(record_heartbeat, id=agent.id, body=HeartbeatRequest(state=HeartbeatState.DEGRADED, detail="slow tools"))
    assert api(get_agent, id=agent.id).status == AgentStatus.DEGRADED

    # Pruning archives what went quiet.
    pruned = api(prune_sessions, body=PruneSessionsRequest(before=now_utc() + datetime.timedelta(seconds=1), agent_id=agent.id))
    assert pruned.archived >= 1
    assert api(get_session, id=session.id).status == SessionStatus.ARCHIVED
    archived = api.iterate(list_sessions, agent_id=agent.id, status=SessionStatus.ARCHIVED, origin=SessionOrigin.API)
    assert session.id in {s.id for s in archived}


# -- 6c. a cron job that delivers to a webhook, and the rest of the webhook and cron surface -
def test_cron_delivery_and_cleanup(api: Api, receiver: Receiver, state: dict[str, Any]) -> None:
    agent = state["agent"]
    job = api(
        create_cron_job,
        body=CreateCronJobRequest(
            agent_id=agent.id,
            name="hourly ping",
            prompt="ping",
            schedule="*/15 * * * *",
            delivery=CronDeliveryType1(type_=CronDeliveryType1Type.WEBHOOK, url=receiver.url),
        ),
    )
    assert isinstance(job.delivery, CronDeliveryType1) and job.delivery.url == receiver.url
    run = api(run_cron_job, id=job.id)
    session_id = wait_for("the run's session", lambda: api(get_cron_run, id=job.id, run_id=run.id).session_id)
    api(post_message, id=session_id, body=AssistantMessageRequest(role=AssistantMessageRequestRole.ASSISTANT, content="pong"))
    receiver.next(lambda h, b: b"pong" in b)
    delivered = wait_for(
        "the run's delivery",
        lambda: (r := api(get_cron_run, id=job.id, run_id=run.id)).delivery_status.value == "delivered" and r,
    )
    assert delivered.status.value == "succeeded"

    paused = api(update_cron_job, id=job.id, body=CronJobPatch(enabled=False, schedule="0 * * * *"))
    assert not paused.enabled and paused.schedule == "0 * * * *"
    assert job.id not in {j.id for j in api.iterate(list_cron_jobs, enabled=True)}
    assert api(delete_cron_job, id=job.id) is None
    api.error(NotFoundError, "CRON_JOB_NOT_FOUND", get_cron_job, id=job.id)

    hook = state["webhook"]
    replayed = api(replay_webhook_events, id=hook.id, body=ReplayRequest(since=now_utc() - datetime.timedelta(hours=1)))
    assert replayed.scheduled >= 1
    first = api.iterate(list_webhook_deliveries, id=hook.id)[0]
    api(retry_webhook_delivery, id=hook.id, delivery_id=first.id)
    disabled = api(update_webhook, id=hook.id, body=WebhookPatch(enabled=False, description="paused"))
    assert not disabled.enabled and disabled.description == "paused"
    api.error(ConflictError, "CONFLICT", replay_webhook_events, id=hook.id, body=ReplayRequest(since=now_utc()))
    assert api(delete_webhook, id=hook.id) is None
    api.error(NotFoundError, "WEBHOOK_NOT_FOUND", get_webhook, id=hook.id)
    api.error(NotFoundError, "ACTIVITY_NOT_FOUND", get_activity, id="evt_01jq8abcdefghjkmnpqrstvwxy")


# -- 8. idempotency --------------------------------------------------------------------------
def test_idempotent_retry(api: Api) -> None:
    key = f"create-archivist-{RUN}"
    body = CreateAgentRequest(name=f"Archivist {RUN}")
    first = api(create_agent, body=body, idempotency_key=key)
    assert "idempotent-replayed" not in api.last_response().headers
    second = api(create_agent, body=body, idempotency_key=key)
    assert second.id == first.id and api.last_response().headers.get("idempotent-replayed") == "true"
    assert api.last_response().request.headers["idempotency-key"] == key
    api.error(
        IdempotencyKeyReusedError,
        "IDEMPOTENCY_KEY_REUSED",
        create_agent,
        body=CreateAgentRequest(name=f"Someone else {RUN}"),
        idempotency_key=key,
    )
    # Without a key, the SDK adds a fresh one to every write.
    api(update_agent, id=first.id, body=AgentPatch(role="keeper"))
    assert api.last_response().request.headers.get("idempotency-key")


# -- 9. revoking the read key ----------------------------------------------------------------
def test_revoke_key(api: Api, base_url: str, state: dict[str, Any]) -> None:
    key = state["read_key"]
    assert api(revoke_api_key, id=key.id) is None
    reader = Api(AgenFleet(key.key, base_url))
    error = reader.error(AuthenticationError, "UNAUTHORIZED", list_agents)
    assert error.status == 401


def test_raw_errors_have_the_contract_shape(base_url: str) -> None:
    """An unknown route and a bad key answer the documented error body (no generated op)."""
    answer = httpx.get(f"{base_url}/v1/nowhere", headers={"Authorization": "Bearer afk_" + "x" * 32})
    assert answer.status_code in (401, 404)
    error = answer.json()["error"]
    assert {"code", "message", "statusCode", "requestId"} <= set(error)
    if set(error) - {"code", "message", "statusCode", "requestId", "details"}:
        record("(raw) GET /v1/nowhere", answer.status_code, f"extra error fields {sorted(error)}", error)


# The contract: `data` is the resource after the change, plus `from`/`to` for status changes
# and `period`/`used`/`budget` for budget events.
#
# Known gap (noted on the SDK issue, not yet fixed): the `agent.*` payloads are the stored
# agent without its derived fields (`model`, `tokensToday*`, `openSessionCount`, …) or, for
# status, deletion and budget events, only `agentId` and the event's own fields. They are held
# to what they are today by AGENT_PAYLOAD_KEYS below, so a change to them shows here.
AGENT_PAYLOAD_KEYS: dict[str, set[str]] = {
    "agent.created": {"id", "name", "role", "description", "status", "config", "soulSha256", "createdAt", "updatedAt"},
    "agent.updated": {"id", "name", "role", "description", "status", "config", "soulSha256", "createdAt", "updatedAt"},
    "agent.deleted": {"agentId", "name"},
    "agent.status_changed": {"agentId", "from", "to"},
    "agent.budget_alert": {"agentId", "period", "used", "budget", "threshold"},
    "agent.budget_exhausted": {"agentId", "period", "used", "budget"},
}
PAYLOAD_MODELS: dict[str, tuple[Any, set[str]]] = {
    "session.created": (Session, set()),
    "session.archived": (Session, set()),
    "message.created": (Message, set()),
    "cron.completed": (CronRun, set()),
    "cron.delivered": (CronRun, set()),
    "cron.failed": (CronRun, {"reason"}),
}


def test_every_webhook_payload_fits_the_document(catch_all: Receiver, state: dict[str, Any]) -> None:
    secret = state["catch_all"].secret
    time.sleep(2)  # the last events of the scenario
    seen: dict[str, int] = {}
    while not catch_all.received.empty():
        headers, body = catch_all.received.get()
        event = verify_webhook(secret, body, headers)
        kind = event["event"]
        seen[kind] = seen.get(kind, 0) + 1
        if seen[kind] > 1:
            continue  # one of each type is enough
        if kind in AGENT_PAYLOAD_KEYS:
            assert set(event["data"]) == AGENT_PAYLOAD_KEYS[kind], (kind, event["data"])
            continue
        if kind not in PAYLOAD_MODELS:
            continue
        model, allowed = PAYLOAD_MODELS[kind]
        data = {k: v for k, v in event["data"].items() if k not in allowed}
        check_webhook_data(kind, model, data, event["data"])
    # Every webhook event type the scenario causes arrived (webhook.test goes only to the
    # webhook tested).
    expected = {
        "agent.created", "agent.updated", "agent.deleted", "agent.status_changed", "agent.budget_alert",
        "agent.budget_exhausted", "session.created", "session.archived", "message.created",
        "cron.completed", "cron.delivered",
    }
    assert expected <= set(seen), (expected - set(seen), seen)
