from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MetricsBucket")


@_attrs_define
class MetricsBucket:
    """One interval of a series.

    Attributes:
        cost_usd (float): USD, exact to the micro-dollar.
        input_tokens (int):
        latency_ms_p50 (int | None): `null` when no reply of the interval reported a latency.
        latency_ms_p95 (int | None):
        messages (int): User and assistant messages.
        output_tokens (int):
        start (datetime.datetime): The start of the hour, or of the UTC day.
        tool_calls (int):
        tool_failures (int):
    """

    cost_usd: float
    input_tokens: int
    latency_ms_p50: int | None
    latency_ms_p95: int | None
    messages: int
    output_tokens: int
    start: datetime.datetime
    tool_calls: int
    tool_failures: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost_usd = self.cost_usd

        input_tokens = self.input_tokens

        latency_ms_p50: int | None
        latency_ms_p50 = self.latency_ms_p50

        latency_ms_p95: int | None
        latency_ms_p95 = self.latency_ms_p95

        messages = self.messages

        output_tokens = self.output_tokens

        start = self.start.isoformat()

        tool_calls = self.tool_calls

        tool_failures = self.tool_failures

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "costUsd": cost_usd,
                "inputTokens": input_tokens,
                "latencyMsP50": latency_ms_p50,
                "latencyMsP95": latency_ms_p95,
                "messages": messages,
                "outputTokens": output_tokens,
                "start": start,
                "toolCalls": tool_calls,
                "toolFailures": tool_failures,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cost_usd = d.pop("costUsd")

        input_tokens = d.pop("inputTokens")

        def _parse_latency_ms_p50(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms_p50 = _parse_latency_ms_p50(d.pop("latencyMsP50"))

        def _parse_latency_ms_p95(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms_p95 = _parse_latency_ms_p95(d.pop("latencyMsP95"))

        messages = d.pop("messages")

        output_tokens = d.pop("outputTokens")

        start = datetime.datetime.fromisoformat(d.pop("start"))

        tool_calls = d.pop("toolCalls")

        tool_failures = d.pop("toolFailures")

        metrics_bucket = cls(
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            latency_ms_p50=latency_ms_p50,
            latency_ms_p95=latency_ms_p95,
            messages=messages,
            output_tokens=output_tokens,
            start=start,
            tool_calls=tool_calls,
            tool_failures=tool_failures,
        )

        metrics_bucket.additional_properties = d
        return metrics_bucket

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
