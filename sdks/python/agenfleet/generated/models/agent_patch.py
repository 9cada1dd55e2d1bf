from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.agent_config_patch import AgentConfigPatch


T = TypeVar("T", bound="AgentPatch")


@_attrs_define
class AgentPatch:
    """A merge patch of an agent. Fields that may not be cleared are plain options; nullable ones
    are `Patch`. Unknown fields are refused so that typos do not pass silently.

        Attributes:
            config (AgentConfigPatch | None | Unset):
            description (None | str | Unset): No control characters but tab, line feed and carriage return; 0 to 500
                characters.
            name (str | Unset): One line: no control characters; 1 to 100 characters, not only white space.
            role (None | str | Unset): One line: no control characters; 0 to 100 characters.
    """

    config: AgentConfigPatch | None | Unset = UNSET
    description: None | str | Unset = UNSET
    name: str | Unset = UNSET
    role: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.agent_config_patch import AgentConfigPatch

        config: dict[str, Any] | None | Unset
        if isinstance(self.config, Unset):
            config = UNSET
        elif isinstance(self.config, AgentConfigPatch):
            config = self.config.to_dict()
        else:
            config = self.config

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        name = self.name

        role: None | str | Unset
        if isinstance(self.role, Unset):
            role = UNSET
        else:
            role = self.role

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if config is not UNSET:
            field_dict["config"] = config
        if description is not UNSET:
            field_dict["description"] = description
        if name is not UNSET:
            field_dict["name"] = name
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.agent_config_patch import AgentConfigPatch

        d = dict(src_dict)

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

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        name = d.pop("name", UNSET)

        def _parse_role(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        role = _parse_role(d.pop("role", UNSET))

        agent_patch = cls(
            config=config,
            description=description,
            name=name,
            role=role,
        )

        return agent_patch
