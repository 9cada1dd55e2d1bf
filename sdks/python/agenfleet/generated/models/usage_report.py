from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="UsageReport")


@_attrs_define
class UsageReport:
    """What an agent runtime reports with its reply (`usage` of a message request).

    Attributes:
        input_tokens (int): At most 10⁹ (`domain::validate::MAX_TOKENS_PER_MESSAGE`).
        model (str): A model id of the catalog, as listed by GET /v1/models. One line: no control characters; 1 to 100
            characters.
        output_tokens (int): At most 10⁹.
        latency_ms (int | None | Unset): At most 86,400,000 (24 h; `domain::validate::MAX_DURATION_MS`).
    """

    input_tokens: int
    model: str
    output_tokens: int
    latency_ms: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        input_tokens = self.input_tokens

        model = self.model

        output_tokens = self.output_tokens

        latency_ms: int | None | Unset
        if isinstance(self.latency_ms, Unset):
            latency_ms = UNSET
        else:
            latency_ms = self.latency_ms

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "inputTokens": input_tokens,
                "model": model,
                "outputTokens": output_tokens,
            }
        )
        if latency_ms is not UNSET:
            field_dict["latencyMs"] = latency_ms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        input_tokens = d.pop("inputTokens")

        model = d.pop("model")

        output_tokens = d.pop("outputTokens")

        def _parse_latency_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        latency_ms = _parse_latency_ms(d.pop("latencyMs", UNSET))

        usage_report = cls(
            input_tokens=input_tokens,
            model=model,
            output_tokens=output_tokens,
            latency_ms=latency_ms,
        )

        return usage_report
