from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.agent_status import AgentStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agent_config import AgentConfig


T = TypeVar("T", bound="Agent")


@_attrs_define
class Agent:
    """An agent.

    Attributes:
        config (AgentConfig): `config` of an agent, with every default filled in.
        created_at (datetime.datetime):
        description (None | str):
        id (str):  Example: agent_01jq8abcdefghjkmnpqrstvwxy.
        last_active_at (datetime.datetime | None):
        last_heartbeat_at (datetime.datetime | None):
        model (str):
        name (str):
        open_session_count (int):
        role (None | str):
        soul_sha_256 (None | str):
        status (AgentStatus): Lifecycle of an agent as seen through its heartbeats.
        tokens_today_input (int):
        tokens_today_output (int):
        updated_at (datetime.datetime):
        gateway_secret (None | str | Unset): The gateway's signing secret (`whsec_…`): only in the response of the
            request that set
            `config.gateway.url`.
    """

    config: AgentConfig
    created_at: datetime.datetime
    description: None | str
    id: str
    last_active_at: datetime.datetime | None
    last_heartbeat_at: datetime.datetime | None
    model: str
    name: str
    open_session_count: int
    role: None | str
    soul_sha_256: None | str
    status: AgentStatus
    tokens_today_input: int
    tokens_today_output: int
    updated_at: datetime.datetime
    gateway_secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        config = self.config.to_dict()

        created_at = self.created_at.isoformat()

        description: None | str
        description = self.description

        id = self.id

        last_active_at: None | str
        if isinstance(self.last_active_at, datetime.datetime):
            last_active_at = self.last_active_at.isoformat()
        else:
            last_active_at = self.last_active_at

        last_heartbeat_at: None | str
        if isinstance(self.last_heartbeat_at, datetime.datetime):
            last_heartbeat_at = self.last_heartbeat_at.isoformat()
        else:
            last_heartbeat_at = self.last_heartbeat_at

        model = self.model

        name = self.name

        open_session_count = self.open_session_count

        role: None | str
        role = self.role

        soul_sha_256: None | str
        soul_sha_256 = self.soul_sha_256

        status = self.status.value

        tokens_today_input = self.tokens_today_input

        tokens_today_output = self.tokens_today_output

        updated_at = self.updated_at.isoformat()

        gateway_secret: None | str | Unset
        if isinstance(self.gateway_secret, Unset):
            gateway_secret = UNSET
        else:
            gateway_secret = self.gateway_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "config": config,
                "createdAt": created_at,
                "description": description,
                "id": id,
                "lastActiveAt": last_active_at,
                "lastHeartbeatAt": last_heartbeat_at,
                "model": model,
                "name": name,
                "openSessionCount": open_session_count,
                "role": role,
                "soulSha256": soul_sha_256,
                "status": status,
                "tokensTodayInput": tokens_today_input,
                "tokensTodayOutput": tokens_today_output,
                "updatedAt": updated_at,
            }
        )
        if gateway_secret is not UNSET:
            field_dict["gatewaySecret"] = gateway_secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.agent_config import AgentConfig

        d = dict(src_dict)
        config = AgentConfig.from_dict(d.pop("config"))

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        def _parse_description(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        description = _parse_description(d.pop("description"))

        id = d.pop("id")

        def _parse_last_active_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_active_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_active_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_active_at = _parse_last_active_at(d.pop("lastActiveAt"))

        def _parse_last_heartbeat_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_heartbeat_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_heartbeat_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_heartbeat_at = _parse_last_heartbeat_at(d.pop("lastHeartbeatAt"))

        model = d.pop("model")

        name = d.pop("name")

        open_session_count = d.pop("openSessionCount")

        def _parse_role(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        role = _parse_role(d.pop("role"))

        def _parse_soul_sha_256(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        soul_sha_256 = _parse_soul_sha_256(d.pop("soulSha256"))

        status = AgentStatus(d.pop("status"))

        tokens_today_input = d.pop("tokensTodayInput")

        tokens_today_output = d.pop("tokensTodayOutput")

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        def _parse_gateway_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        gateway_secret = _parse_gateway_secret(d.pop("gatewaySecret", UNSET))

        agent = cls(
            config=config,
            created_at=created_at,
            description=description,
            id=id,
            last_active_at=last_active_at,
            last_heartbeat_at=last_heartbeat_at,
            model=model,
            name=name,
            open_session_count=open_session_count,
            role=role,
            soul_sha_256=soul_sha_256,
            status=status,
            tokens_today_input=tokens_today_input,
            tokens_today_output=tokens_today_output,
            updated_at=updated_at,
            gateway_secret=gateway_secret,
        )

        agent.additional_properties = d
        return agent

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
