from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.user_message_request_role import UserMessageRequestRole
from ..types import UNSET, Unset

T = TypeVar("T", bound="UserMessageRequest")


@_attrs_define
class UserMessageRequest:
    """A user's message (`role` may be left out).

    Attributes:
        content (str): Any text but U+0000; 1 to 100000 characters.
        role (UserMessageRequestRole | Unset):
    """

    content: str
    role: UserMessageRequestRole | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        content = self.content

        role: str | Unset = UNSET
        if not isinstance(self.role, Unset):
            role = self.role.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "content": content,
            }
        )
        if role is not UNSET:
            field_dict["role"] = role

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        content = d.pop("content")

        _role = d.pop("role", UNSET)
        role: UserMessageRequestRole | Unset
        if isinstance(_role, Unset):
            role = UNSET
        else:
            role = UserMessageRequestRole(_role)

        user_message_request = cls(
            content=content,
            role=role,
        )

        return user_message_request
