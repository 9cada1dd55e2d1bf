from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="MessageUsage")


@_attrs_define
class MessageUsage:
    """What a reply cost.

    Attributes:
        cost_usd (float): USD, exact to the micro-dollar. Example: 0.488718.
        input_tokens (int):
        model (str):
        output_tokens (int):
        latency_ms (int | None | Unset):
    """

    cost_usd: float
    input_tokens: int
    model: str
    output_tokens: int
    latency_ms: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost_usd = self.cost_usd

        input_tokens = self.input_tokens

        model = self.model

        output_tokens = self.output_tokens

        latency_ms: int | None | Unset
        if isinstance(self.latency_ms, Unset):
            latency_ms = UNSET
        else:
            latency_ms = self.latency_ms

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "costUsd": cost_usd,
                "inputTokens": input_tokens,
                "model": model,
                "outputTokens": output_tokens,
            }
        )
        if latency_ms is not UNSET:
            field_dict["latencyMs"] = latency_ms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cost_usd = d.pop("costUsd")

        input_tokens = d.pop("inputTokens")

        model = d.pop("model")

        output_tokens = d.pop("outputTokens")

        def _parse_latency_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        latency_ms = _parse_latency_ms(d.pop("latencyMs", UNSET))

        message_usage = cls(
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            model=model,
            output_tokens=output_tokens,
            latency_ms=latency_ms,
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
