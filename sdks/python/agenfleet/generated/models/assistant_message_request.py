from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.assistant_message_request_role import AssistantMessageRequestRole
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.tool_call import ToolCall
    from ..models.usage_report import UsageReport


T = TypeVar("T", bound="AssistantMessageRequest")


@_attrs_define
class AssistantMessageRequest:
    """The agent runtime reporting its reply, with what it cost (priced from the model catalog) and the tools it called.

    Attributes:
        content (str): Any text but U+0000; 1 to 100000 characters.
        role (AssistantMessageRequestRole):
        tool_calls (list[ToolCall] | None | Unset):
        usage (None | Unset | UsageReport):
    """

    content: str
    role: AssistantMessageRequestRole
    tool_calls: list[ToolCall] | None | Unset = UNSET
    usage: None | Unset | UsageReport = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.usage_report import UsageReport

        content = self.content

        role = self.role.value

        tool_calls: list[dict[str, Any]] | None | Unset
        if isinstance(self.tool_calls, Unset):
            tool_calls = UNSET
        elif isinstance(self.tool_calls, list):
            tool_calls = []
            for tool_calls_type_0_item_data in self.tool_calls:
                tool_calls_type_0_item = tool_calls_type_0_item_data.to_dict()
                tool_calls.append(tool_calls_type_0_item)

        else:
            tool_calls = self.tool_calls

        usage: dict[str, Any] | None | Unset
        if isinstance(self.usage, Unset):
            usage = UNSET
        elif isinstance(self.usage, UsageReport):
            usage = self.usage.to_dict()
        else:
            usage = self.usage

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "content": content,
                "role": role,
            }
        )
        if tool_calls is not UNSET:
            field_dict["toolCalls"] = tool_calls
        if usage is not UNSET:
            field_dict["usage"] = usage

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.tool_call import ToolCall
        from ..models.usage_report import UsageReport

        d = dict(src_dict)
        content = d.pop("content")

        role = AssistantMessageRequestRole(d.pop("role"))

        def _parse_tool_calls(data: object) -> list[ToolCall] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                tool_calls_type_0 = []
                _tool_calls_type_0 = data
                for tool_calls_type_0_item_data in _tool_calls_type_0:
                    tool_calls_type_0_item = ToolCall.from_dict(
                        tool_calls_type_0_item_data
                    )

                    tool_calls_type_0.append(tool_calls_type_0_item)

                return tool_calls_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[ToolCall] | None | Unset, data)

        tool_calls = _parse_tool_calls(d.pop("toolCalls", UNSET))

        def _parse_usage(data: object) -> None | Unset | UsageReport:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                usage_type_1 = UsageReport.from_dict(data)

                return usage_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UsageReport, data)

        usage = _parse_usage(d.pop("usage", UNSET))

        assistant_message_request = cls(
            content=content,
            role=role,
            tool_calls=tool_calls,
            usage=usage,
        )

        return assistant_message_request
