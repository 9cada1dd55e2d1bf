from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.session_origin import SessionOrigin
from ..models.session_status import SessionStatus

T = TypeVar("T", bound="Session")


@_attrs_define
class Session:
    """A session.

    Attributes:
        agent_id (str):
        archived_at (datetime.datetime | None):
        created_at (datetime.datetime):
        cron_job_id (None | str):
        id (str):  Example: sess_01jq8abcdefghjkmnpqrstvwxy.
        last_activity_at (datetime.datetime):
        message_count (int):
        name (None | str):
        origin (SessionOrigin): Who opened a session: a caller of the API, or a cron run.
        status (SessionStatus): Whether a session still takes messages.
        token_count (int):
    """

    agent_id: str
    archived_at: datetime.datetime | None
    created_at: datetime.datetime
    cron_job_id: None | str
    id: str
    last_activity_at: datetime.datetime
    message_count: int
    name: None | str
    origin: SessionOrigin
    status: SessionStatus
    token_count: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        archived_at: None | str
        if isinstance(self.archived_at, datetime.datetime):
            archived_at = self.archived_at.isoformat()
        else:
            archived_at = self.archived_at

        created_at = self.created_at.isoformat()

        cron_job_id: None | str
        cron_job_id = self.cron_job_id

        id = self.id

        last_activity_at = self.last_activity_at.isoformat()

        message_count = self.message_count

        name: None | str
        name = self.name

        origin = self.origin.value

        status = self.status.value

        token_count = self.token_count

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "archivedAt": archived_at,
                "createdAt": created_at,
                "cronJobId": cron_job_id,
                "id": id,
                "lastActivityAt": last_activity_at,
                "messageCount": message_count,
                "name": name,
                "origin": origin,
                "status": status,
                "tokenCount": token_count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        agent_id = d.pop("agentId")

        def _parse_archived_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                archived_at_type_0 = datetime.datetime.fromisoformat(data)

                return archived_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        archived_at = _parse_archived_at(d.pop("archivedAt"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        def _parse_cron_job_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        cron_job_id = _parse_cron_job_id(d.pop("cronJobId"))

        id = d.pop("id")

        last_activity_at = datetime.datetime.fromisoformat(d.pop("lastActivityAt"))

        message_count = d.pop("messageCount")

        def _parse_name(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        name = _parse_name(d.pop("name"))

        origin = SessionOrigin(d.pop("origin"))

        status = SessionStatus(d.pop("status"))

        token_count = d.pop("tokenCount")

        session = cls(
            agent_id=agent_id,
            archived_at=archived_at,
            created_at=created_at,
            cron_job_id=cron_job_id,
            id=id,
            last_activity_at=last_activity_at,
            message_count=message_count,
            name=name,
            origin=origin,
            status=status,
            token_count=token_count,
        )

        session.additional_properties = d
        return session

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
