from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.cron_delivery_type_2_type import CronDeliveryType2Type

T = TypeVar("T", bound="CronDeliveryType2")


@_attrs_define
class CronDeliveryType2:
    """A Slack incoming webhook.

    Attributes:
        type_ (CronDeliveryType2Type):
        webhook_url (str): An absolute http or https URL of a public address. One line: no control characters; 1 to 2048
            characters.
    """

    type_: CronDeliveryType2Type
    webhook_url: str

    def to_dict(self) -> dict[str, Any]:
        type_ = self.type_.value

        webhook_url = self.webhook_url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "type": type_,
                "webhookUrl": webhook_url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        type_ = CronDeliveryType2Type(d.pop("type"))

        webhook_url = d.pop("webhookUrl")

        cron_delivery_type_2 = cls(
            type_=type_,
            webhook_url=webhook_url,
        )

        return cron_delivery_type_2
