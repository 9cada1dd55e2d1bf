"""Typed errors raised by the hand-written layer.

Every error answer of the API has the body
``{"error": {"code", "message", "statusCode", "requestId", "details"?}}``; :class:`ApiError`
carries those fields, and a subclass per common status lets callers ``except`` what they handle.
The ``code`` attribute tells the cases of one status apart (``SESSION_ARCHIVED`` and
``IDEMPOTENCY_KEY_IN_USE`` are both 409s, for example).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = [
    "AgenFleetError",
    "ApiError",
    "AuthenticationError",
    "CommandTimeoutError",
    "ConflictError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ResponseParseError",
    "ServiceUnavailableError",
    "UnexpectedResponseError",
    "ValidationError",
    "parse_retry_after",
]


class AgenFleetError(Exception):
    """Base class of every error this SDK raises."""


class ApiError(AgenFleetError):
    """An error answer of the API (status >= 400).

    Attributes:
        status: the HTTP status.
        code: the machine-readable code (``AGENT_NOT_FOUND``, ``CONFLICT``…), or ``None`` when
            the body was not the documented error body.
        message: the human-readable message.
        details: for ``VALIDATION_ERROR`` the list of ``{"field", "message"}``; for
            ``COMMAND_TIMEOUT`` what the server put there; else ``[]``.
        request_id: the ``X-Request-Id`` of the answer (or the body's ``requestId``).
        headers: the response headers.
        body: the raw response body.
        parsed: the generated ``ErrorBody`` model when the generated function parsed one
            (``None`` when the status is not documented for that operation).
    """

    def __init__(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        details: list[Any] | None = None,
        request_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        parsed: Any = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.request_id = request_id
        self.headers = dict(headers or {})
        self.body = body
        self.parsed = parsed
        super().__init__(f"{status} {code or 'HTTP_ERROR'}: {message}" + (f" [{request_id}]" if request_id else ""))

    @staticmethod
    def from_response(
        status: int,
        content: bytes,
        headers: Mapping[str, str] | None = None,
        parsed: Any = None,
    ) -> ApiError:
        """Builds the right subclass from a raw answer."""
        headers = headers or {}
        code: str | None = None
        message = ""
        details: list[Any] = []
        request_id = _header(headers, "x-request-id")
        try:
            error = json.loads(content)["error"]
            code = error.get("code")
            message = error.get("message") or ""
            details = error.get("details") or []
            request_id = request_id or error.get("requestId")
        except (ValueError, KeyError, TypeError, AttributeError):
            message = content[:500].decode(errors="replace")
        cls = _class_for(status, code)
        kwargs: dict[str, Any] = {
            "details": details,
            "request_id": request_id,
            "headers": headers,
            "body": content,
            "parsed": parsed,
        }
        if cls is RateLimitedError:
            return RateLimitedError(
                status, code, message, retry_after=parse_retry_after(_header(headers, "retry-after")), **kwargs
            )
        if cls is ServiceUnavailableError:
            return ServiceUnavailableError(
                status, code, message, retry_after=parse_retry_after(_header(headers, "retry-after")), **kwargs
            )
        return cls(status, code, message, **kwargs)


class ValidationError(ApiError):
    """400 ``VALIDATION_ERROR``: ``details`` names the fields."""


class AuthenticationError(ApiError):
    """401 ``UNAUTHORIZED``: missing, unknown, revoked or expired key."""


class PermissionDeniedError(ApiError):
    """403 ``FORBIDDEN``: a ``read`` key on a write."""


class NotFoundError(ApiError):
    """404: ``AGENT_NOT_FOUND``, ``SESSION_NOT_FOUND``… or ``NOT_FOUND`` for a route."""


class ConflictError(ApiError):
    """409: ``CONFLICT``, ``SESSION_ARCHIVED`` or ``IDEMPOTENCY_KEY_IN_USE``."""


class IdempotencyKeyReusedError(ApiError):
    """422 ``IDEMPOTENCY_KEY_REUSED``: the key was used for another request."""


class RateLimitedError(ApiError):
    """429 ``RATE_LIMITED`` or ``BUDGET_EXHAUSTED``; ``retry_after`` in seconds."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class InternalServerError(ApiError):
    """500 ``INTERNAL_ERROR`` (and any other 5xx without a class of its own)."""


class ServiceUnavailableError(InternalServerError):
    """503 ``SERVICE_UNAVAILABLE``; ``retry_after`` in seconds."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class CommandTimeoutError(InternalServerError):
    """504 ``COMMAND_TIMEOUT``: retry with the same Idempotency-Key for the final outcome."""


class UnexpectedResponseError(AgenFleetError):
    """A success answer the generated code could not turn into its model (a status the
    document does not list): the document and the server disagree."""

    def __init__(self, status: int, content: bytes) -> None:
        self.status = status
        self.content = content
        super().__init__(f"undocumented status {status}: {content[:500].decode(errors='replace')}")


class ResponseParseError(AgenFleetError):
    """An answer that does not fit the generated model of its operation (a missing field, an
    unknown enum value…): the document and the server disagree."""

    def __init__(self, operation: str, status: int | None, content: bytes, cause: Exception) -> None:
        self.operation = operation
        self.status = status
        self.content = content
        self.cause = cause
        super().__init__(
            f"{operation}: the {status} answer does not fit the document's model "
            f"({type(cause).__name__}: {cause}): {content[:1000].decode(errors='replace')}"
        )


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: IdempotencyKeyReusedError,
    429: RateLimitedError,
    503: ServiceUnavailableError,
    504: CommandTimeoutError,
}


def _class_for(status: int, code: str | None) -> type[ApiError]:
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return InternalServerError
    return ApiError


def _header(headers: Mapping[str, str], name: str) -> str | None:
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (the API sends delta-seconds; an HTTP date is accepted too)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime
        import datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    return max(0.0, seconds)
