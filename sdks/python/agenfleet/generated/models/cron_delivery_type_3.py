from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.cron_delivery_type_3_type import CronDeliveryType3Type

T = TypeVar("T", bound="CronDeliveryType3")


@_attrs_define
class CronDeliveryType3:
    """A Telegram chat, through the operator's bot.

    Attributes:
        chat_id (int | str): A chat id (a number, sent as a number or as text; kept as text) or @channelname
        type_ (CronDeliveryType3Type):
    """

    chat_id: int | str
    type_: CronDeliveryType3Type

    def to_dict(self) -> dict[str, Any]:
        chat_id: int | str
        chat_id = self.chat_id

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "chatId": chat_id,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_chat_id(data: object) -> int | str:
            return cast(int | str, data)

        chat_id = _parse_chat_id(d.pop("chatId"))

        type_ = CronDeliveryType3Type(d.pop("type"))

        cron_delivery_type_3 = cls(
            chat_id=chat_id,
            type_=type_,
        )

        return cron_delivery_type_3
