"""The entry point: :class:`AgenFleet`, a configured generated client plus a few helpers.

The operations themselves are the generated functions (``agenfleet.generated.api.<tag>.<op>``),
usable directly with ``fleet.client``. :meth:`AgenFleet.call` runs one of them and returns its
parsed model or raises an :class:`~agenfleet.errors.ApiError`; :meth:`AgenFleet.iterate` walks
every page of a list operation; :meth:`AgenFleet.stream_activity` tails the activity log.
"""

from __future__ import annotations

import contextvars
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from types import ModuleType
from typing import Any, Protocol, TypeVar

import httpx

from .errors import ApiError, ResponseParseError, UnexpectedResponseError
from .generated.client import AuthenticatedClient
from .generated.errors import UnexpectedStatus
from .generated.types import Response
from .stream import ActivityStream
from .transport import AsyncRetryTransport, RetryPolicy, RetryTransport

__all__ = ["DEFAULT_BASE_URL", "AgenFleet", "iterate", "unwrap"]

__version__ = "1.2.0"
DEFAULT_BASE_URL = "http://127.0.0.1:8080"

T = TypeVar("T")
_last_response: contextvars.ContextVar[httpx.Response | None] = contextvars.ContextVar(
    "agenfleet_last_response", default=None
)


class _Page(Protocol):
    data: list[Any]
    pagination: Any


def _remember(response: httpx.Response) -> None:
    _last_response.set(response)


async def _aremember(response: httpx.Response) -> None:
    _last_response.set(response)


def _operation(op: Any, name: str) -> Callable[..., Any]:
    """``create_agent`` (the module), ``create_agent.sync`` or ``create_agent.sync_detailed``
    → the module's ``name`` function (``sync_detailed`` or ``asyncio_detailed``)."""
    if isinstance(op, ModuleType):
        module = op
    else:
        module = sys.modules.get(getattr(op, "__module__", ""), None)  # type: ignore[assignment]
        if module is None or not hasattr(module, "_parse_response"):
            raise TypeError(f"{op!r} is not a generated operation (a module of agenfleet.generated.api)")
    fn: Callable[..., Any] | None = getattr(module, name, None)
    if fn is None:
        raise TypeError(f"{module.__name__} has no {name}")
    return fn


def _operation_name(op: Any) -> str:
    module = op.__name__ if isinstance(op, ModuleType) else getattr(op, "__module__", repr(op))
    return module.rsplit(".", 1)[-1]


def unwrap(response: Response[Any]) -> Any:
    """The parsed model of a generated ``Response``, or the :class:`ApiError` it stands for."""
    status = int(response.status_code)
    if status >= 400:
        raise ApiError.from_response(status, response.content, response.headers, response.parsed)
    return response.parsed


class AgenFleet:
    """A client of the AgenFleet API.

    Args:
        api_key: an ``afk_…`` key (sent as ``Authorization: Bearer``).
        base_url: the server's origin (the API lives under ``/v1``).
        max_retries: retries of a 429/503/504 answer or a connection error (0 turns them off).
        timeout: seconds per request (connect, read, write, pool).
        retry_policy: a :class:`RetryPolicy` to tune the backoff (overrides ``max_retries``).
        transport / async_transport: the httpx transports under the retry layer (tests pass an
            ``httpx.MockTransport``).
        headers: extra headers sent on every request.

    ``fleet.client`` is the generated ``AuthenticatedClient``: every generated function takes
    it as ``client=``.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        max_retries: int = 3,
        timeout: float = 30.0,
        retry_policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retry_policy = retry_policy or RetryPolicy(max_retries)
        all_headers = {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"agenfleet-python/{__version__}",
            **(headers or {}),
        }
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=all_headers,
            timeout=httpx.Timeout(timeout),
            transport=RetryTransport(transport, self.retry_policy),
            event_hooks={"response": [_remember]},
        )
        self.async_http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=all_headers,
            timeout=httpx.Timeout(timeout),
            transport=AsyncRetryTransport(async_transport, self.retry_policy),
            event_hooks={"response": [_aremember]},
        )
        # raise_on_unexpected_status: a status the document does not list for an operation
        # surfaces (as an ApiError for >= 400, else UnexpectedResponseError) instead of None.
        self.client = AuthenticatedClient(base_url=self.base_url, token=api_key, raise_on_unexpected_status=True)
        self.client.set_httpx_client(self.http)
        self.client.set_async_httpx_client(self.async_http)

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.http.close()

    async def aclose(self) -> None:
        await self.async_http.aclose()

    def __enter__(self) -> AgenFleet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> AgenFleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- calling generated operations -----------------------------------------------------
    def call(self, op: Any, /, **kwargs: Any) -> Any:
        """Runs a generated operation and returns its parsed model (``None`` for a 204).

        ``op`` is the operation's module (``create_agent``) or one of its functions
        (``create_agent.sync_detailed``); ``kwargs`` are its arguments without ``client``.
        Raises an :class:`ApiError` subclass for an error answer.
        """
        fn = _operation(op, "sync_detailed")
        token = _last_response.set(None)
        try:
            try:
                response = fn(client=self.client, **kwargs)
            except UnexpectedStatus as error:
                raise self._unexpected(error) from None
            except (KeyError, ValueError, TypeError) as error:
                raise self._parse_error(op, error) from error
            return unwrap(response)
        finally:
            _last_response.reset(token)

    async def acall(self, op: Any, /, **kwargs: Any) -> Any:
        """The asyncio twin of :meth:`call` (runs the operation's ``asyncio_detailed``)."""
        fn = _operation(op, "asyncio_detailed")
        token = _last_response.set(None)
        try:
            try:
                response = await fn(client=self.client, **kwargs)
            except UnexpectedStatus as error:
                raise self._unexpected(error) from None
            except (KeyError, ValueError, TypeError) as error:
                raise self._parse_error(op, error) from error
            return unwrap(response)
        finally:
            _last_response.reset(token)

    def _unexpected(self, error: UnexpectedStatus) -> Exception:
        last = _last_response.get()
        headers = last.headers if last is not None else None
        if error.status_code >= 400:
            return ApiError.from_response(error.status_code, error.content, headers)
        return UnexpectedResponseError(error.status_code, error.content)

    def _parse_error(self, op: Any, error: Exception) -> ResponseParseError:
        last = _last_response.get()
        status = last.status_code if last is not None else None
        content = last.content if last is not None and last.is_stream_consumed else b""
        return ResponseParseError(_operation_name(op), status, content, error)

    # -- pagination -----------------------------------------------------------------------
    def pages(self, op: Any, /, *, page_size: int = 100, **params: Any) -> Iterator[Any]:
        """Every page of a list operation (``limit``/``offset``), until ``hasMore`` is false."""
        offset = params.pop("offset", 0)
        limit = params.pop("limit", page_size)
        while True:
            page: _Page = self.call(op, limit=limit, offset=offset, **params)
            yield page
            if not page.pagination.has_more or not page.data:
                return
            offset += len(page.data)

    def iterate(self, op: Any, /, *, page_size: int = 100, **params: Any) -> Iterator[Any]:
        """Every item of a list operation across its pages, e.g.
        ``for agent in fleet.iterate(list_agents, status=AgentStatus.ONLINE): ...``."""
        for page in self.pages(op, page_size=page_size, **params):
            yield from page.data

    async def aiterate(self, op: Any, /, *, page_size: int = 100, **params: Any) -> AsyncIterator[Any]:
        """The asyncio twin of :meth:`iterate`."""
        offset = params.pop("offset", 0)
        limit = params.pop("limit", page_size)
        while True:
            page: _Page = await self.acall(op, limit=limit, offset=offset, **params)
            for item in page.data:
                yield item
            if not page.pagination.has_more or not page.data:
                return
            offset += len(page.data)

    # -- activity stream ------------------------------------------------------------------
    def stream_activity(
        self,
        last_event_id: int | None = None,
        *,
        reconnect: bool = True,
        max_reconnects: int | None = None,
    ) -> ActivityStream:
        """A live tail of the activity log (``GET /v1/activity/stream``), yielding generated
        ``ActivityEntry`` models. Starts after ``last_event_id`` (an entry's ``sequence``) or
        at the current head; reconnects after a dropped connection with ``Last-Event-ID``.
        Use it as a context manager, or call ``close()``."""
        return ActivityStream(
            self.http,
            last_event_id=last_event_id,
            reconnect=reconnect,
            max_reconnects=max_reconnects,
            connect_timeout=self.timeout,
        )


def iterate(fleet: AgenFleet, op: Any, /, **params: Any) -> Iterator[Any]:
    """``fleet.iterate(op, **params)`` as a function: every item of a list operation."""
    return fleet.iterate(op, **params)
