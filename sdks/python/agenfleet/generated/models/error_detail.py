from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorDetail")


@_attrs_define
class ErrorDetail:
    """
    Attributes:
        code (str): A stable code, e.g. `AGENT_NOT_FOUND`, `VALIDATION_ERROR`, `RATE_LIMITED`. Example: AGENT_NOT_FOUND.
        message (str): What went wrong and what to fix, for people.
        request_id (str):  Example: req_01jq8abcdefghjkmnpqrstvwxy.
        status_code (int): The HTTP status, repeated.
        details (list[Any] | Unset): `VALIDATION_ERROR`: `[{field, message}]`; `COMMAND_TIMEOUT` and `INTERNAL_ERROR` of
            a
            command: `[{commandId}]`. Absent when there is nothing to add.
    """

    code: str
    message: str
    request_id: str
    status_code: int
    details: list[Any] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        request_id = self.request_id

        status_code = self.status_code

        details: list[Any] | Unset = UNSET
        if not isinstance(self.details, Unset):
            details = self.details

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
                "requestId": request_id,
                "statusCode": status_code,
            }
        )
        if details is not UNSET:
            field_dict["details"] = details

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        request_id = d.pop("requestId")

        status_code = d.pop("statusCode")

        details = cast(list[Any], d.pop("details", UNSET))

        error_detail = cls(
            code=code,
            message=message,
            request_id=request_id,
            status_code=status_code,
            details=details,
        )

        error_detail.additional_properties = d
        return error_detail

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
