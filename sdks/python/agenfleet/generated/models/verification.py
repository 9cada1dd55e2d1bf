from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Verification")


@_attrs_define
class Verification:
    """`{valid, entries, firstBrokenSequence}`.

    Attributes:
        entries (int): How many entries the tenant's chain has.
        first_broken_sequence (int | None): The first entry that does not hold, `null` when the chain is intact.
        valid (bool): Every entry's hash matches its content and links to the entry before, without gaps.
    """

    entries: int
    first_broken_sequence: int | None
    valid: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        entries = self.entries

        first_broken_sequence: int | None
        first_broken_sequence = self.first_broken_sequence

        valid = self.valid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "entries": entries,
                "firstBrokenSequence": first_broken_sequence,
                "valid": valid,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        entries = d.pop("entries")

        def _parse_first_broken_sequence(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        first_broken_sequence = _parse_first_broken_sequence(
            d.pop("firstBrokenSequence")
        )

        valid = d.pop("valid")

        verification = cls(
            entries=entries,
            first_broken_sequence=first_broken_sequence,
            valid=valid,
        )

        verification.additional_properties = d
        return verification

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
