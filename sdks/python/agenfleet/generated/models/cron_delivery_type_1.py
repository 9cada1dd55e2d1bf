from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.cron_delivery_type_1_type import CronDeliveryType1Type

T = TypeVar("T", bound="CronDeliveryType1")


@_attrs_define
class CronDeliveryType1:
    """POST to a URL, signed like webhooks with the job's delivery secret.

    Attributes:
        type_ (CronDeliveryType1Type):
        url (str): An absolute http or https URL of a public address. One line: no control characters; 1 to 2048
            characters.
    """

    type_: CronDeliveryType1Type
    url: str

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = CronDeliveryType1Type(d.pop("type"))

        url = d.pop("url")

        cron_delivery_type_1 = cls(
            type_=type_,
            url=url,
        )

        return cron_delivery_type_1
