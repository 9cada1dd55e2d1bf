from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.cron_delivery_type_4_type import CronDeliveryType4Type

T = TypeVar("T", bound="CronDeliveryType4")


@_attrs_define
class CronDeliveryType4:
    """One email address, through the operator's SMTP server.

    Attributes:
        to (str): One line: no control characters; 0 to 254 characters.
        type_ (CronDeliveryType4Type):
    """

    to: str
    type_: CronDeliveryType4Type

    def to_dict(self) -> dict[str, Any]:
        to = self.to

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "to": to,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        to = d.pop("to")

        type_ = CronDeliveryType4Type(d.pop("type"))

        cron_delivery_type_4 = cls(
            to=to,
            type_=type_,
        )

        return cron_delivery_type_4
