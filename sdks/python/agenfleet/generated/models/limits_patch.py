from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="LimitsPatch")


@_attrs_define
class LimitsPatch:
    """
    Attributes:
        alert_threshold (float | None | Unset): Greater than 0 and at most 1.
        daily_token_budget (int | None | Unset): 1 to 10¹⁵ tokens, or null for no budget
            (`domain::validate::MAX_TOKEN_BUDGET`).
        monthly_token_budget (int | None | Unset): 1 to 10¹⁵ tokens, or null for no budget.
    """

    alert_threshold: float | None | Unset = UNSET
    daily_token_budget: int | None | Unset = UNSET
    monthly_token_budget: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        alert_threshold: float | None | Unset
        if isinstance(self.alert_threshold, Unset):
            alert_threshold = UNSET
        else:
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

        field_dict.update({})
        if alert_threshold is not UNSET:
            field_dict["alertThreshold"] = alert_threshold
        if daily_token_budget is not UNSET:
            field_dict["dailyTokenBudget"] = daily_token_budget
        if monthly_token_budget is not UNSET:
            field_dict["monthlyTokenBudget"] = monthly_token_budget

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_alert_threshold(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        alert_threshold = _parse_alert_threshold(d.pop("alertThreshold", UNSET))

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

        limits_patch = cls(
            alert_threshold=alert_threshold,
            daily_token_budget=daily_token_budget,
            monthly_token_budget=monthly_token_budget,
        )

        return limits_patch
