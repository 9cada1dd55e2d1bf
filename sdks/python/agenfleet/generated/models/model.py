from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Model")


@_attrs_define
class Model:
    """
    Attributes:
        id (str):
        input_price_per_m_tok_usd (float):
        output_price_per_m_tok_usd (float):
        provider (str):
    """

    id: str
    input_price_per_m_tok_usd: float
    output_price_per_m_tok_usd: float
    provider: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        input_price_per_m_tok_usd = self.input_price_per_m_tok_usd

        output_price_per_m_tok_usd = self.output_price_per_m_tok_usd

        provider = self.provider

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "inputPricePerMTokUsd": input_price_per_m_tok_usd,
                "outputPricePerMTokUsd": output_price_per_m_tok_usd,
                "provider": provider,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        input_price_per_m_tok_usd = d.pop("inputPricePerMTokUsd")

        output_price_per_m_tok_usd = d.pop("outputPricePerMTokUsd")

        provider = d.pop("provider")

        model = cls(
            id=id,
            input_price_per_m_tok_usd=input_price_per_m_tok_usd,
            output_price_per_m_tok_usd=output_price_per_m_tok_usd,
            provider=provider,
        )

        model.additional_properties = d
        return model

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
