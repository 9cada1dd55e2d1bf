"""Verifying the webhooks AgenFleet sends (Standard Webhooks scheme).

AgenFleet signs each delivery with ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` (``v1,<base64 HMAC-SHA256>``, several space-separated while a rotated
secret is still valid). :func:`verify_webhook` checks them with the ``standardwebhooks``
package, including the 5-minute timestamp tolerance, and returns the parsed payload
``{"id": "evt_…", "event": "<type>", "timestamp": "…", "data": {…}}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import standardwebhooks

from .errors import AgenFleetError

__all__ = ["WebhookVerificationError", "verify_webhook"]


class WebhookVerificationError(AgenFleetError):
    """The delivery is not authentic: a header is missing, the timestamp is more than 5 minutes
    away, or no signature matches the secret. Answer it with a 4xx and do not act on it."""


def _as_dict(headers: Mapping[str, str] | Iterable[tuple[str, str]] | Any) -> dict[str, str]:
    items = headers.items() if hasattr(headers, "items") else headers
    return {str(key).lower(): str(value) for key, value in items}


def verify_webhook(
    secret: str | bytes,
    body: bytes | str,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | Any,
) -> dict[str, Any]:
    """Verifies one delivery and returns its JSON payload.

    Args:
        secret: the webhook's ``whsec_…`` secret (from the create or rotate-secret answer).
        body: the raw request body, exactly as received (not re-serialized JSON).
        headers: the request headers (a dict, ``httpx.Headers``, ``http.server`` headers, a
            list of pairs…); names are matched case-insensitively.

    Raises:
        WebhookVerificationError: when the delivery does not verify.
    """
    try:
        payload = standardwebhooks.Webhook(secret).verify(body, _as_dict(headers))
    except standardwebhooks.WebhookVerificationError as error:
        raise WebhookVerificationError(str(error)) from error
    except (ValueError, UnicodeDecodeError) as error:  # a malformed signature or body
        raise WebhookVerificationError(f"malformed delivery: {error}") from error
    if not isinstance(payload, dict):
        raise WebhookVerificationError("the payload is not a JSON object")
    return payload
