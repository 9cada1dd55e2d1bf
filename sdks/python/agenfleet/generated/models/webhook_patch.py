from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.webhook_event_filter import WebhookEventFilter
from ..types import UNSET, Unset

T = TypeVar("T", bound="WebhookPatch")


@_attrs_define
class WebhookPatch:
    """A merge patch of an endpoint. Unknown fields are refused.

    Attributes:
        description (None | str | Unset): No control characters but tab, line feed and carriage return; 0 to 500
            characters.
        enabled (bool | None | Unset):
        events (list[WebhookEventFilter] | Unset): Event types, or `*` for all of them.
        url (str | Unset): An absolute http or https URL of a public address. One line: no control characters; 1 to 2048
            characters.
    """

    description: None | str | Unset = UNSET
    enabled: bool | None | Unset = UNSET
    events: list[WebhookEventFilter] | Unset = UNSET
    url: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        events: list[str] | Unset = UNSET
        if not isinstance(self.events, Unset):
            events = []
            for events_item_data in self.events:
                events_item = events_item_data.value
                events.append(events_item)

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if description is not UNSET:
            field_dict["description"] = description
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if events is not UNSET:
            field_dict["events"] = events
        if url is not UNSET:
            field_dict["url"] = url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        _events = d.pop("events", UNSET)
        events: list[WebhookEventFilter] | Unset = UNSET
        if _events is not UNSET:
            events = []
            for events_item_data in _events:
                events_item = WebhookEventFilter(events_item_data)

                events.append(events_item)

        url = d.pop("url", UNSET)

        webhook_patch = cls(
            description=description,
            enabled=enabled,
            events=events,
            url=url,
        )

        return webhook_patch
