from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agent_config_patch import AgentConfigPatch


T = TypeVar("T", bound="CreateAgentRequest")


@_attrs_define
class CreateAgentRequest:
    """
    Attributes:
        name (str): One line: no control characters; 1 to 100 characters, not only white space.
        config (AgentConfigPatch | None | Unset):
        description (str | Unset): No control characters but tab, line feed and carriage return; 0 to 500 characters.
        role (str | Unset): One line: no control characters; 0 to 100 characters.
        soul (str | Unset): Any text but U+0000; 0 to 65536 bytes of UTF-8.
    """

    name: str
    config: AgentConfigPatch | None | Unset = UNSET
    description: str | Unset = UNSET
    role: str | Unset = UNSET
    soul: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.agent_config_patch import AgentConfigPatch

        name = self.name

        config: dict[str, Any] | None | Unset
        if isinstance(self.config, Unset):
            config = UNSET
        elif isinstance(self.config, AgentConfigPatch):
            config = self.config.to_dict()
        else:
            config = self.config

        description = self.description

        role = self.role

        soul = self.soul

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if config is not UNSET:
            field_dict["config"] = config
        if description is not UNSET:
            field_dict["description"] = description
        if role is not UNSET:
            field_dict["role"] = role
        if soul is not UNSET:
            field_dict["soul"] = soul

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.agent_config_patch import AgentConfigPatch

        d = dict(src_dict)
        name = d.pop("name")

        def _parse_config(data: object) -> AgentConfigPatch | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                config_type_1 = AgentConfigPatch.from_dict(data)

                return config_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AgentConfigPatch | None | Unset, data)

        config = _parse_config(d.pop("config", UNSET))

        description = d.pop("description", UNSET)

        role = d.pop("role", UNSET)

        soul = d.pop("soul", UNSET)

        create_agent_request = cls(
            name=name,
            config=config,
            description=description,
            role=role,
            soul=soul,
        )

        return create_agent_request
