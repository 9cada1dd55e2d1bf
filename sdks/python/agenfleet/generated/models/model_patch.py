from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ModelPatch")


@_attrs_define
class ModelPatch:
    """
    Attributes:
        default (str | Unset): A model id of the catalog, as listed by GET /v1/models. One line: no control characters;
            1 to 100 characters.
        fallbacks (list[str] | Unset):
    """

    default: str | Unset = UNSET
    fallbacks: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        default = self.default

        fallbacks: list[str] | Unset = UNSET
        if not isinstance(self.fallbacks, Unset):
            fallbacks = self.fallbacks

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if default is not UNSET:
            field_dict["default"] = default
        if fallbacks is not UNSET:
            field_dict["fallbacks"] = fallbacks

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        default = d.pop("default", UNSET)

        fallbacks = cast(list[str], d.pop("fallbacks", UNSET))

        model_patch = cls(
            default=default,
            fallbacks=fallbacks,
        )

        return model_patch
