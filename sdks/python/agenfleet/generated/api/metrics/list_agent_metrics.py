import datetime
from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_body import ErrorBody
from ...models.metrics_agent_list import MetricsAgentList
from ...models.sort_order import SortOrder
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    order: SortOrder | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_from_: str | Unset = UNSET
    if not isinstance(from_, Unset):
        json_from_ = from_.isoformat()
    params["from"] = json_from_

    json_to: str | Unset = UNSET
    if not isinstance(to, Unset):
        json_to = to.isoformat()
    params["to"] = json_to

    params["limit"] = limit

    params["offset"] = offset

    json_order: str | Unset = UNSET
    if not isinstance(order, Unset):
        json_order = order.value

    params["order"] = json_order

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/metrics/agents",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorBody | MetricsAgentList | None:
    if response.status_code == 200:
        response_200 = MetricsAgentList.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 429:
        response_429 = ErrorBody.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorBody.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorBody | MetricsAgentList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    order: SortOrder | Unset = UNSET,
) -> Response[ErrorBody | MetricsAgentList]:
    """Every current agent of the tenant with its usage over `[from, to)` (zeros without activity), by
    cost, highest first (`order=asc` for lowest first; ties by agent id in the same direction). Range
    defaults and rounding as in `/v1/metrics/summary`. The budget utilizations are today's and this
    month's, whatever the range.

    Args:
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        limit (int | Unset):
        offset (int | Unset):
        order (SortOrder | Unset): `asc` or `desc`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | MetricsAgentList]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        limit=limit,
        offset=offset,
        order=order,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    order: SortOrder | Unset = UNSET,
) -> ErrorBody | MetricsAgentList | None:
    """Every current agent of the tenant with its usage over `[from, to)` (zeros without activity), by
    cost, highest first (`order=asc` for lowest first; ties by agent id in the same direction). Range
    defaults and rounding as in `/v1/metrics/summary`. The budget utilizations are today's and this
    month's, whatever the range.

    Args:
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        limit (int | Unset):
        offset (int | Unset):
        order (SortOrder | Unset): `asc` or `desc`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | MetricsAgentList
    """

    return sync_detailed(
        client=client,
        from_=from_,
        to=to,
        limit=limit,
        offset=offset,
        order=order,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    order: SortOrder | Unset = UNSET,
) -> Response[ErrorBody | MetricsAgentList]:
    """Every current agent of the tenant with its usage over `[from, to)` (zeros without activity), by
    cost, highest first (`order=asc` for lowest first; ties by agent id in the same direction). Range
    defaults and rounding as in `/v1/metrics/summary`. The budget utilizations are today's and this
    month's, whatever the range.

    Args:
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        limit (int | Unset):
        offset (int | Unset):
        order (SortOrder | Unset): `asc` or `desc`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | MetricsAgentList]
    """

    kwargs = _get_kwargs(
        from_=from_,
        to=to,
        limit=limit,
        offset=offset,
        order=order,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    limit: int | Unset = UNSET,
    offset: int | Unset = UNSET,
    order: SortOrder | Unset = UNSET,
) -> ErrorBody | MetricsAgentList | None:
    """Every current agent of the tenant with its usage over `[from, to)` (zeros without activity), by
    cost, highest first (`order=asc` for lowest first; ties by agent id in the same direction). Range
    defaults and rounding as in `/v1/metrics/summary`. The budget utilizations are today's and this
    month's, whatever the range.

    Args:
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        limit (int | Unset):
        offset (int | Unset):
        order (SortOrder | Unset): `asc` or `desc`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | MetricsAgentList
    """

    return (
        await asyncio_detailed(
            client=client,
            from_=from_,
            to=to,
            limit=limit,
            offset=offset,
            order=order,
        )
    ).parsed
