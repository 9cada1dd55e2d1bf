from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PruneSessionsRequest")


@_attrs_define
class PruneSessionsRequest:
    """
    Attributes:
        before (datetime.datetime): Archive active sessions whose last activity is before this time (RFC 3339).
        agent_id (None | str | Unset):
    """

    before: datetime.datetime
    agent_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        before = self.before.isoformat()

        agent_id: None | str | Unset
        if isinstance(self.agent_id, Unset):
            agent_id = UNSET
        else:
            agent_id = self.agent_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "before": before,
            }
        )
        if agent_id is not UNSET:
            field_dict["agentId"] = agent_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        before = datetime.datetime.fromisoformat(d.pop("before"))

        def _parse_agent_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        agent_id = _parse_agent_id(d.pop("agentId", UNSET))

        prune_sessions_request = cls(
            before=before,
            agent_id=agent_id,
        )

        return prune_sessions_request
