from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AgentMetrics")


@_attrs_define
class AgentMetrics:
    """An agent's totals over a range.

    Attributes:
        agent_id (str):  Example: agent_01jq8abcdefghjkmnpqrstvwxy.
        cost_usd (float): USD, exact to the micro-dollar.
        daily_budget_utilization (float | None): Today's (UTC) tokens over `dailyTokenBudget`, whatever the range, to 4
            decimals (1 =
            used up); `null` without a budget.
        input_tokens (int):
        messages (int): User and assistant messages.
        model (str): The agent's default model now.
        monthly_budget_utilization (float | None): This UTC month's tokens over `monthlyTokenBudget`, likewise.
        name (str):
        output_tokens (int):
        sessions (int): Sessions opened.
    """

    agent_id: str
    cost_usd: float
    daily_budget_utilization: float | None
    input_tokens: int
    messages: int
    model: str
    monthly_budget_utilization: float | None
    name: str
    output_tokens: int
    sessions: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        cost_usd = self.cost_usd

        daily_budget_utilization: float | None
        daily_budget_utilization = self.daily_budget_utilization

        input_tokens = self.input_tokens

        messages = self.messages

        model = self.model

        monthly_budget_utilization: float | None
        monthly_budget_utilization = self.monthly_budget_utilization

        name = self.name

        output_tokens = self.output_tokens

        sessions = self.sessions

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "costUsd": cost_usd,
                "dailyBudgetUtilization": daily_budget_utilization,
                "inputTokens": input_tokens,
                "messages": messages,
                "model": model,
                "monthlyBudgetUtilization": monthly_budget_utilization,
                "name": name,
                "outputTokens": output_tokens,
                "sessions": sessions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        agent_id = d.pop("agentId")

        cost_usd = d.pop("costUsd")

        def _parse_daily_budget_utilization(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        daily_budget_utilization = _parse_daily_budget_utilization(
            d.pop("dailyBudgetUtilization")
        )

        input_tokens = d.pop("inputTokens")

        messages = d.pop("messages")

        model = d.pop("model")

        def _parse_monthly_budget_utilization(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        monthly_budget_utilization = _parse_monthly_budget_utilization(
            d.pop("monthlyBudgetUtilization")
        )

        name = d.pop("name")

        output_tokens = d.pop("outputTokens")

        sessions = d.pop("sessions")

        agent_metrics = cls(
            agent_id=agent_id,
            cost_usd=cost_usd,
            daily_budget_utilization=daily_budget_utilization,
            input_tokens=input_tokens,
            messages=messages,
            model=model,
            monthly_budget_utilization=monthly_budget_utilization,
            name=name,
            output_tokens=output_tokens,
            sessions=sessions,
        )

        agent_metrics.additional_properties = d
        return agent_metrics

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
