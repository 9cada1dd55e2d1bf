"""httpx transports that add an ``Idempotency-Key`` to writes and retry what is safe to retry.

* Every POST, PATCH, PUT and DELETE without an ``Idempotency-Key`` gets a random one (a UUID4)
  before its first attempt, so every retry of it carries the same key and the API answers a
  retry of a write that went through with the original outcome instead of doing it twice.
* 429, 503 and 504 answers, and connection errors / timeouts, are retried up to ``max_retries``
  times. The wait is the answer's ``Retry-After`` (seconds) when it has one, else an exponential
  backoff with jitter, capped at ``backoff_cap``. An answer whose ``Retry-After`` is longer than
  ``max_retry_after`` (a token budget that resets at midnight) is returned at once, not waited on.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx

from .errors import parse_retry_after

__all__ = [
    "IDEMPOTENT_WRITE_METHODS",
    "RETRY_STATUSES",
    "AsyncRetryTransport",
    "RetryPolicy",
    "RetryTransport",
]

IDEMPOTENT_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 503, 504})
_RETRY_EXCEPTIONS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class RetryPolicy:
    """When and how long to wait before the next attempt."""

    def __init__(
        self,
        max_retries: int = 3,
        *,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_after: float = 60.0,
        statuses: frozenset[int] = RETRY_STATUSES,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_after = max_retry_after
        self.statuses = statuses

    def backoff(self, retry: int) -> float:
        """The wait before retry number ``retry`` (0-based) when the server said nothing."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2**retry))
        return random.uniform(ceiling / 2, ceiling)

    def delay_for(self, response: httpx.Response, retry: int) -> float | None:
        """Seconds to wait before retrying ``response``, or ``None`` not to retry it."""
        if response.status_code not in self.statuses or retry >= self.max_retries:
            return None
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is None:
            return self.backoff(retry)
        if retry_after > self.max_retry_after:
            return None
        return retry_after


def _prepare(request: httpx.Request) -> None:
    if request.method.upper() in IDEMPOTENT_WRITE_METHODS and "idempotency-key" not in request.headers:
        request.headers["Idempotency-Key"] = str(uuid.uuid4())


class RetryTransport(httpx.BaseTransport):
    """Wraps a transport (``httpx.HTTPTransport()`` by default) with the retry policy."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport or httpx.HTTPTransport()
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _prepare(request)
        request.read()  # buffered, so it can be sent again
        retry = 0
        while True:
            try:
                response = self.transport.handle_request(request)
            except _RETRY_EXCEPTIONS:
                if retry >= self.policy.max_retries:
                    raise
                self.sleep(self.policy.backoff(retry))
                retry += 1
                continue
            delay = self.policy.delay_for(response, retry)
            if delay is None:
                return response
            response.read()
            response.close()
            self.sleep(delay)
            retry += 1

    def close(self) -> None:
        self.transport.close()


class AsyncRetryTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`RetryTransport`."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.transport = transport or httpx.AsyncHTTPTransport()
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _prepare(request)
        await request.aread()
        retry = 0
        while True:
            try:
                response = await self.transport.handle_async_request(request)
            except _RETRY_EXCEPTIONS:
                if retry >= self.policy.max_retries:
                    raise
                await self.sleep(self.policy.backoff(retry))
                retry += 1
                continue
            delay = self.policy.delay_for(response, retry)
            if delay is None:
                return response
            await response.aread()
            await response.aclose()
            await self.sleep(delay)
            retry += 1

    async def aclose(self) -> None:
        await self.transport.aclose()
