from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="LimitsConfig")


@_attrs_define
class LimitsConfig:
    """
    Attributes:
        alert_threshold (float):
        daily_token_budget (int | None | Unset):
        monthly_token_budget (int | None | Unset):
    """

    alert_threshold: float
    daily_token_budget: int | None | Unset = UNSET
    monthly_token_budget: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        alert_threshold = self.alert_threshold

        daily_token_budget: int | None | Unset
        if isinstance(self.daily_token_budget, Unset):
            daily_token_budget = UNSET
        else:
            daily_token_budget = self.daily_token_budget

        monthly_token_budget: int | None | Unset
        if isinstance(self.monthly_token_budget, Unset):
            monthly_token_budget = UNSET
        else:
            monthly_token_budget = self.monthly_token_budget

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "alertThreshold": alert_threshold,
            }
        )
        if daily_token_budget is not UNSET:
            field_dict["dailyTokenBudget"] = daily_token_budget
        if monthly_token_budget is not UNSET:
            field_dict["monthlyTokenBudget"] = monthly_token_budget

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        alert_threshold = d.pop("alertThreshold")

        def _parse_daily_token_budget(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        daily_token_budget = _parse_daily_token_budget(d.pop("dailyTokenBudget", UNSET))

        def _parse_monthly_token_budget(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        monthly_token_budget = _parse_monthly_token_budget(
            d.pop("monthlyTokenBudget", UNSET)
        )

        limits_config = cls(
            alert_threshold=alert_threshold,
            daily_token_budget=daily_token_budget,
            monthly_token_budget=monthly_token_budget,
        )

        limits_config.additional_properties = d
        return limits_config

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
