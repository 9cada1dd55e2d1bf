from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.agent_status_counts import AgentStatusCounts
    from ..models.latency_percentiles import LatencyPercentiles
    from ..models.message_counts import MessageCounts
    from ..models.model_cost import ModelCost
    from ..models.provider_cost import ProviderCost
    from ..models.session_counts import SessionCounts
    from ..models.token_counts import TokenCounts


T = TypeVar("T", bound="MetricsSummary")


@_attrs_define
class MetricsSummary:
    """The tenant's usage, cost and latency over a range.

    Attributes:
        agents (AgentStatusCounts): The tenant's current agents.
        by_model (list[ModelCost]): By cost, highest first (then by model id).
        by_provider (list[ProviderCost]): By cost, highest first (then by provider).
        cost_usd (float): USD, exact to the micro-dollar. Example: 0.488718.
        from_ (datetime.datetime): The effective start: `from` rounded down to the hour.
        latency_ms (LatencyPercentiles): Percentiles of the replies' reported latency (within 2 %), `null` without data.
        messages (MessageCounts):
        sessions (SessionCounts):
        to (datetime.datetime): The effective end (exclusive): `to` rounded up to the hour.
        tokens (TokenCounts):
    """

    agents: AgentStatusCounts
    by_model: list[ModelCost]
    by_provider: list[ProviderCost]
    cost_usd: float
    from_: datetime.datetime
    latency_ms: LatencyPercentiles
    messages: MessageCounts
    sessions: SessionCounts
    to: datetime.datetime
    tokens: TokenCounts
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agents = self.agents.to_dict()

        by_model = []
        for by_model_item_data in self.by_model:
            by_model_item = by_model_item_data.to_dict()
            by_model.append(by_model_item)

        by_provider = []
        for by_provider_item_data in self.by_provider:
            by_provider_item = by_provider_item_data.to_dict()
            by_provider.append(by_provider_item)

        cost_usd = self.cost_usd

        from_ = self.from_.isoformat()

        latency_ms = self.latency_ms.to_dict()

        messages = self.messages.to_dict()

        sessions = self.sessions.to_dict()

        to = self.to.isoformat()

        tokens = self.tokens.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agents": agents,
                "byModel": by_model,
                "byProvider": by_provider,
                "costUsd": cost_usd,
                "from": from_,
                "latencyMs": latency_ms,
                "messages": messages,
                "sessions": sessions,
                "to": to,
                "tokens": tokens,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.agent_status_counts import AgentStatusCounts
        from ..models.latency_percentiles import LatencyPercentiles
        from ..models.message_counts import MessageCounts
        from ..models.model_cost import ModelCost
        from ..models.provider_cost import ProviderCost
        from ..models.session_counts import SessionCounts
        from ..models.token_counts import TokenCounts

        d = dict(src_dict)
        agents = AgentStatusCounts.from_dict(d.pop("agents"))

        by_model = []
        _by_model = d.pop("byModel")
        for by_model_item_data in _by_model:
            by_model_item = ModelCost.from_dict(by_model_item_data)

            by_model.append(by_model_item)

        by_provider = []
        _by_provider = d.pop("byProvider")
        for by_provider_item_data in _by_provider:
            by_provider_item = ProviderCost.from_dict(by_provider_item_data)

            by_provider.append(by_provider_item)

        cost_usd = d.pop("costUsd")

        from_ = datetime.datetime.fromisoformat(d.pop("from"))

        latency_ms = LatencyPercentiles.from_dict(d.pop("latencyMs"))

        messages = MessageCounts.from_dict(d.pop("messages"))

        sessions = SessionCounts.from_dict(d.pop("sessions"))

        to = datetime.datetime.fromisoformat(d.pop("to"))

        tokens = TokenCounts.from_dict(d.pop("tokens"))

        metrics_summary = cls(
            agents=agents,
            by_model=by_model,
            by_provider=by_provider,
            cost_usd=cost_usd,
            from_=from_,
            latency_ms=latency_ms,
            messages=messages,
            sessions=sessions,
            to=to,
            tokens=tokens,
        )

        metrics_summary.additional_properties = d
        return metrics_summary

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
