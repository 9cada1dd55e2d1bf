from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.cron_delivery_type_0_type import CronDeliveryType0Type

T = TypeVar("T", bound="CronDeliveryType0")


@_attrs_define
class CronDeliveryType0:
    """No delivery (the default).

    Attributes:
        type_ (CronDeliveryType0Type):
    """

    type_: CronDeliveryType0Type

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = CronDeliveryType0Type(d.pop("type"))

        cron_delivery_type_0 = cls(
            type_=type_,
        )

        return cron_delivery_type_0
