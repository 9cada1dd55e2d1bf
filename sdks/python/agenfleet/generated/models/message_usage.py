from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MessageUsage")


@_attrs_define
class MessageUsage:
    """What a reply cost.

    Attributes:
        cost_usd (float): USD, exact to the micro-dollar. Example: 0.488718.
        input_tokens (int):
        latency_ms (int | None):
        model (str):
        output_tokens (int):
    """

    cost_usd: float
    input_tokens: int
    latency_ms: int | None
    model: str
    output_tokens: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost_usd = self.cost_usd

        input_tokens = self.input_tokens

        latency_ms: int | None
        latency_ms = self.latency_ms

        model = self.model

        output_tokens = self.output_tokens

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "costUsd": cost_usd,
                "inputTokens": input_tokens,
                "latencyMs": latency_ms,
                "model": model,
                "outputTokens": output_tokens,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cost_usd = d.pop("costUsd")

        input_tokens = d.pop("inputTokens")

        def _parse_latency_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        latency_ms = _parse_latency_ms(d.pop("latencyMs"))

        model = d.pop("model")

        output_tokens = d.pop("outputTokens")

        message_usage = cls(
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            latency_ms=latency_ms,
            model=model,
            output_tokens=output_tokens,
        )

        message_usage.additional_properties = d
        return message_usage

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
