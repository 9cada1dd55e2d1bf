from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateSessionRequest")


@_attrs_define
class CreateSessionRequest:
    """
    Attributes:
        agent_id (str):  Example: agent_01jq8abcdefghjkmnpqrstvwxy.
        name (str | Unset): One line: no control characters; 1 to 200 characters, not only white space.
    """

    agent_id: str
    name: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        name = self.name

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "agentId": agent_id,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        agent_id = d.pop("agentId")

        name = d.pop("name", UNSET)

        create_session_request = cls(
            agent_id=agent_id,
            name=name,
        )

        return create_session_request
