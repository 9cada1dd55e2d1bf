from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.message_role import MessageRole

if TYPE_CHECKING:
    from ..models.message_usage import MessageUsage
    from ..models.tool_call import ToolCall


T = TypeVar("T", bound="Message")


@_attrs_define
class Message:
    """A message.

    Attributes:
        agent_id (str):
        content (str):
        created_at (datetime.datetime):
        id (str):  Example: msg_01jq8abcdefghjkmnpqrstvwxy.
        role (MessageRole): Who wrote a message: the person (or system) talking to the agent, or the agent.
        sequence (int): 1, 2, 3… per session, without gaps.
        session_id (str):
        tool_calls (list[ToolCall]):
        usage (MessageUsage | None):
    """

    agent_id: str
    content: str
    created_at: datetime.datetime
    id: str
    role: MessageRole
    sequence: int
    session_id: str
    tool_calls: list[ToolCall]
    usage: MessageUsage | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.message_usage import MessageUsage

        agent_id = self.agent_id

        content = self.content

        created_at = self.created_at.isoformat()

        id = self.id

        role = self.role.value

        sequence = self.sequence

        session_id = self.session_id

        tool_calls = []
        for tool_calls_item_data in self.tool_calls:
            tool_calls_item = tool_calls_item_data.to_dict()
            tool_calls.append(tool_calls_item)

        usage: dict[str, Any] | None
        if isinstance(self.usage, MessageUsage):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "content": content,
                "createdAt": created_at,
                "id": id,
                "role": role,
                "sequence": sequence,
                "sessionId": session_id,
                "toolCalls": tool_calls,
                "usage": usage,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.message_usage import MessageUsage
        from ..models.tool_call import ToolCall

        d = dict(src_dict)
        agent_id = d.pop("agentId")

        content = d.pop("content")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        id = d.pop("id")

        role = MessageRole(d.pop("role"))

        sequence = d.pop("sequence")

        session_id = d.pop("sessionId")

        tool_calls = []
        _tool_calls = d.pop("toolCalls")
        for tool_calls_item_data in _tool_calls:
            tool_calls_item = ToolCall.from_dict(tool_calls_item_data)

            tool_calls.append(tool_calls_item)

        def _parse_usage(data: object) -> MessageUsage | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_1 = MessageUsage.from_dict(data)

                return usage_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageUsage | None, data)

        usage = _parse_usage(d.pop("usage"))

        message = cls(
            agent_id=agent_id,
            content=content,
            created_at=created_at,
            id=id,
            role=role,
            sequence=sequence,
            session_id=session_id,
            tool_calls=tool_calls,
            usage=usage,
        )

        message.additional_properties = d
        return message

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
