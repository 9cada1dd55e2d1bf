from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.metrics_bucket import MetricsBucket


T = TypeVar("T", bound="AgentMetricsSeries")


@_attrs_define
class AgentMetricsSeries:
    """An agent's series: one bucket per hour or UTC day of the range, empty ones included.

    Attributes:
        agent_id (str):  Example: agent_01jq8abcdefghjkmnpqrstvwxy.
        granularity (str): `hour` or `day`. Example: hour.
        series (list[MetricsBucket]): Oldest first.
    """

    agent_id: str
    granularity: str
    series: list[MetricsBucket]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        granularity = self.granularity

        series = []
        for series_item_data in self.series:
            series_item = series_item_data.to_dict()
            series.append(series_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "granularity": granularity,
                "series": series,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.metrics_bucket import MetricsBucket

        d = dict(src_dict)
        agent_id = d.pop("agentId")

        granularity = d.pop("granularity")

        series = []
        _series = d.pop("series")
        for series_item_data in _series:
            series_item = MetricsBucket.from_dict(series_item_data)

            series.append(series_item)

        agent_metrics_series = cls(
            agent_id=agent_id,
            granularity=granularity,
            series=series,
        )

        agent_metrics_series.additional_properties = d
        return agent_metrics_series

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
