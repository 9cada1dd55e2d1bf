from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SoulRequest")


@_attrs_define
class SoulRequest:
    """
    Attributes:
        soul (str): Any text but U+0000; 0 to 65536 bytes of UTF-8.
    """

    soul: str

    def to_dict(self) -> dict[str, Any]:
        soul = self.soul

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "soul": soul,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        soul = d.pop("soul")

        soul_request = cls(
            soul=soul,
        )

        return soul_request
