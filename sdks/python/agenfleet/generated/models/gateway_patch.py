from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="GatewayPatch")


@_attrs_define
class GatewayPatch:
    """
    Attributes:
        url (str | Unset): An absolute http or https URL of a public address. One line: no control characters; 1 to 2048
            characters.
    """

    url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if url is not UNSET:
            field_dict["url"] = url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        url = d.pop("url", UNSET)

        gateway_patch = cls(
            url=url,
        )

        return gateway_patch
