import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.agent_metrics_series import AgentMetricsSeries
from ...models.error_body import ErrorBody
from ...models.granularity import Granularity
from ...types import UNSET, Response, Unset


def _get_kwargs(
    id: str,
    *,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    granularity: Granularity | Unset = UNSET,
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

    json_granularity: str | Unset = UNSET
    if not isinstance(granularity, Unset):
        json_granularity = granularity.value

    params["granularity"] = json_granularity

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/agents/{id}/metrics".format(
            id=quote(str(id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> AgentMetricsSeries | ErrorBody | None:
    if response.status_code == 200:
        response_200 = AgentMetricsSeries.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())

        return response_404

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
) -> Response[AgentMetricsSeries | ErrorBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    granularity: Granularity | Unset = UNSET,
) -> Response[AgentMetricsSeries | ErrorBody]:
    """The agent's usage over `[from, to)`, one bucket per hour or UTC day, empty ones included (zeros,
    latency `null`). `granularity=hour` (the default) rounds `from` down and `to` up to whole hours and
    defaults to the current UTC day; `granularity=day` rounds them to UTC midnights and defaults to the
    30 days ending at the end of the current UTC day. At most 92 days.

    Args:
        id (str):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        granularity (Granularity | Unset): The size of a bucket of a metrics series: `hour` or
            `day`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AgentMetricsSeries | ErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        from_=from_,
        to=to,
        granularity=granularity,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    granularity: Granularity | Unset = UNSET,
) -> AgentMetricsSeries | ErrorBody | None:
    """The agent's usage over `[from, to)`, one bucket per hour or UTC day, empty ones included (zeros,
    latency `null`). `granularity=hour` (the default) rounds `from` down and `to` up to whole hours and
    defaults to the current UTC day; `granularity=day` rounds them to UTC midnights and defaults to the
    30 days ending at the end of the current UTC day. At most 92 days.

    Args:
        id (str):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        granularity (Granularity | Unset): The size of a bucket of a metrics series: `hour` or
            `day`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AgentMetricsSeries | ErrorBody
    """

    return sync_detailed(
        id=id,
        client=client,
        from_=from_,
        to=to,
        granularity=granularity,
    ).parsed


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    granularity: Granularity | Unset = UNSET,
) -> Response[AgentMetricsSeries | ErrorBody]:
    """The agent's usage over `[from, to)`, one bucket per hour or UTC day, empty ones included (zeros,
    latency `null`). `granularity=hour` (the default) rounds `from` down and `to` up to whole hours and
    defaults to the current UTC day; `granularity=day` rounds them to UTC midnights and defaults to the
    30 days ending at the end of the current UTC day. At most 92 days.

    Args:
        id (str):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        granularity (Granularity | Unset): The size of a bucket of a metrics series: `hour` or
            `day`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[AgentMetricsSeries | ErrorBody]
    """

    kwargs = _get_kwargs(
        id=id,
        from_=from_,
        to=to,
        granularity=granularity,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    from_: datetime.datetime | Unset = UNSET,
    to: datetime.datetime | Unset = UNSET,
    granularity: Granularity | Unset = UNSET,
) -> AgentMetricsSeries | ErrorBody | None:
    """The agent's usage over `[from, to)`, one bucket per hour or UTC day, empty ones included (zeros,
    latency `null`). `granularity=hour` (the default) rounds `from` down and `to` up to whole hours and
    defaults to the current UTC day; `granularity=day` rounds them to UTC midnights and defaults to the
    30 days ending at the end of the current UTC day. At most 92 days.

    Args:
        id (str):
        from_ (datetime.datetime | Unset):
        to (datetime.datetime | Unset):
        granularity (Granularity | Unset): The size of a bucket of a metrics series: `hour` or
            `day`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        AgentMetricsSeries | ErrorBody
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
            from_=from_,
            to=to,
            granularity=granularity,
        )
    ).parsed
