from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="AgentStatusCounts")


@_attrs_define
class AgentStatusCounts:
    """The tenant's current agents.

    Attributes:
        active_in_period (int): Current agents with at least one message (user or assistant) in the range.
        degraded (int):
        offline (int):
        online (int):
        provisioning (int):
        total (int): Current agents, whatever the range.
    """

    active_in_period: int
    degraded: int
    offline: int
    online: int
    provisioning: int
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        active_in_period = self.active_in_period

        degraded = self.degraded

        offline = self.offline

        online = self.online

        provisioning = self.provisioning

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "activeInPeriod": active_in_period,
                "degraded": degraded,
                "offline": offline,
                "online": online,
                "provisioning": provisioning,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        active_in_period = d.pop("activeInPeriod")

        degraded = d.pop("degraded")

        offline = d.pop("offline")

        online = d.pop("online")

        provisioning = d.pop("provisioning")

        total = d.pop("total")

        agent_status_counts = cls(
            active_in_period=active_in_period,
            degraded=degraded,
            offline=offline,
            online=online,
            provisioning=provisioning,
            total=total,
        )

        agent_status_counts.additional_properties = d
        return agent_status_counts

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
