from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.heartbeat_state import HeartbeatState
from ..types import UNSET, Unset

T = TypeVar("T", bound="HeartbeatRequest")


@_attrs_define
class HeartbeatRequest:
    """
    Attributes:
        detail (str | Unset): Any text but U+0000; 0 to 1000 characters.
        latency_ms (int | None | Unset): At most 86,400,000 (24 h).
        state (HeartbeatState | None | Unset):
    """

    detail: str | Unset = UNSET
    latency_ms: int | None | Unset = UNSET
    state: HeartbeatState | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        detail = self.detail

        latency_ms: int | None | Unset
        if isinstance(self.latency_ms, Unset):
            latency_ms = UNSET
        else:
            latency_ms = self.latency_ms

        state: None | str | Unset
        if isinstance(self.state, Unset):
            state = UNSET
        elif isinstance(self.state, HeartbeatState):
            state = self.state.value
        else:
            state = self.state

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if detail is not UNSET:
            field_dict["detail"] = detail
        if latency_ms is not UNSET:
            field_dict["latencyMs"] = latency_ms
        if state is not UNSET:
            field_dict["state"] = state

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        detail = d.pop("detail", UNSET)

        def _parse_latency_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        latency_ms = _parse_latency_ms(d.pop("latencyMs", UNSET))

        def _parse_state(data: object) -> HeartbeatState | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                state_type_1 = HeartbeatState(data)

                return state_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(HeartbeatState | None | Unset, data)

        state = _parse_state(d.pop("state", UNSET))

        heartbeat_request = cls(
            detail=detail,
            latency_ms=latency_ms,
            state=state,
        )

        return heartbeat_request
