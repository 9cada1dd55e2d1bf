"""The official Python SDK of the AgenFleet API.

Types and operations are generated from the OpenAPI document into ``agenfleet.generated``
(``agenfleet.generated.api.<tag>.<operation>`` and ``agenfleet.models``); this package adds the
client (auth, Idempotency-Key, retries), typed errors, pagination, the activity stream and
webhook verification.
"""

from .client import DEFAULT_BASE_URL, AgenFleet, iterate, unwrap
from .errors import (
    AgenFleetError,
    ApiError,
    AuthenticationError,
    CommandTimeoutError,
    ConflictError,
    IdempotencyKeyReusedError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ResponseParseError,
    ServiceUnavailableError,
    UnexpectedResponseError,
    ValidationError,
)
from .stream import ActivityStream
from .transport import AsyncRetryTransport, RetryPolicy, RetryTransport
from .webhooks import WebhookVerificationError, verify_webhook

__version__ = "1.2.0"

__all__ = [
    "DEFAULT_BASE_URL",
    "ActivityStream",
    "AgenFleet",
    "AgenFleetError",
    "ApiError",
    "AsyncRetryTransport",
    "AuthenticationError",
    "CommandTimeoutError",
    "ConflictError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ResponseParseError",
    "RetryPolicy",
    "RetryTransport",
    "ServiceUnavailableError",
    "UnexpectedResponseError",
    "ValidationError",
    "WebhookVerificationError",
    "iterate",
    "unwrap",
    "verify_webhook",
]
