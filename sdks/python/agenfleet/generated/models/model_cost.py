from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ModelCost")


@_attrs_define
class ModelCost:
    """A model's share of the range.

    Attributes:
        cost_usd (float): USD, exact to the micro-dollar. Example: 0.488718.
        input_tokens (int):
        model (str):  Example: claude-sonnet-4-20250514.
        output_tokens (int):
        pct_of_total (float): Percent of the tenant's cost in the range, to 2 decimals (0 when that cost is 0). Example:
            42.5.
        provider (str):  Example: anthropic.
    """

    cost_usd: float
    input_tokens: int
    model: str
    output_tokens: int
    pct_of_total: float
    provider: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cost_usd = self.cost_usd

        input_tokens = self.input_tokens

        model = self.model

        output_tokens = self.output_tokens

        pct_of_total = self.pct_of_total

        provider = self.provider

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "costUsd": cost_usd,
                "inputTokens": input_tokens,
                "model": model,
                "outputTokens": output_tokens,
                "pctOfTotal": pct_of_total,
                "provider": provider,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cost_usd = d.pop("costUsd")

        input_tokens = d.pop("inputTokens")

        model = d.pop("model")

        output_tokens = d.pop("outputTokens")

        pct_of_total = d.pop("pctOfTotal")

        provider = d.pop("provider")

        model_cost = cls(
            cost_usd=cost_usd,
            input_tokens=input_tokens,
            model=model,
            output_tokens=output_tokens,
            pct_of_total=pct_of_total,
            provider=provider,
        )

        model_cost.additional_properties = d
        return model_cost

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
