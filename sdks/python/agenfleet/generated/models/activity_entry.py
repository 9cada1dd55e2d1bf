from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.activity_ref import ActivityRef


T = TypeVar("T", bound="ActivityEntry")


@_attrs_define
class ActivityEntry:
    """An activity entry (schema of `domain::activity::ActivityEntry`).

    Attributes:
        actor (ActivityRef):
        agent_id (None | str): The agent the entry is about; `null` when none (an API key's creation, say).
        data (Any): The resource after the change (no message content, no secrets).
        hash_ (str): Lowercase hex SHA-256 of `prevHash` followed by the RFC 8785 canonical JSON of this
            object without `hash`.
        id (str):  Example: evt_01jq8abcdefghjkmnpqrstvwxy.
        prev_hash (str): The previous entry's hash; 64 zeros for the first entry.
        sequence (int): 1, 2, 3… per tenant, without gaps.
        subject (ActivityRef):
        timestamp (datetime.datetime): RFC 3339 UTC with milliseconds. Example: 2026-01-15T09:00:00.000Z.
        type_ (str):  Example: agent.created.
    """

    actor: ActivityRef
    agent_id: None | str
    data: Any
    hash_: str
    id: str
    prev_hash: str
    sequence: int
    subject: ActivityRef
    timestamp: datetime.datetime
    type_: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        actor = self.actor.to_dict()

        agent_id: None | str
        agent_id = self.agent_id

        data = self.data

        hash_ = self.hash_

        id = self.id

        prev_hash = self.prev_hash

        sequence = self.sequence

        subject = self.subject.to_dict()

        timestamp = self.timestamp.isoformat()

        type_ = self.type_

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "actor": actor,
                "agentId": agent_id,
                "data": data,
                "hash": hash_,
                "id": id,
                "prevHash": prev_hash,
                "sequence": sequence,
                "subject": subject,
                "timestamp": timestamp,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.activity_ref import ActivityRef

        d = dict(src_dict)
        actor = ActivityRef.from_dict(d.pop("actor"))

        def _parse_agent_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        agent_id = _parse_agent_id(d.pop("agentId"))

        data = d.pop("data")

        hash_ = d.pop("hash")

        id = d.pop("id")

        prev_hash = d.pop("prevHash")

        sequence = d.pop("sequence")

        subject = ActivityRef.from_dict(d.pop("subject"))

        timestamp = datetime.datetime.fromisoformat(d.pop("timestamp"))

        type_ = d.pop("type")

        activity_entry = cls(
            actor=actor,
            agent_id=agent_id,
            data=data,
            hash_=hash_,
            id=id,
            prev_hash=prev_hash,
            sequence=sequence,
            subject=subject,
            timestamp=timestamp,
            type_=type_,
        )

        activity_entry.additional_properties = d
        return activity_entry

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
