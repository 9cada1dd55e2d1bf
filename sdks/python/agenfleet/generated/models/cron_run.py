from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_delivery_status import RunDeliveryStatus
from ..models.run_status import RunStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="CronRun")


@_attrs_define
class CronRun:
    """A run as stored after a change (the run object of the API).

    Attributes:
        agent_id (str):
        cron_job_id (str):
        delivery_status (RunDeliveryStatus): Where the delivery of a run's output is.
        id (str):  Example: run_01jq8abcdefghjkmnpqrstvwxy.
        input_tokens (int):
        output_tokens (int):
        scheduled_for (datetime.datetime):
        status (RunStatus): Where a run is.
        error (None | str | Unset):
        finished_at (datetime.datetime | None | Unset):
        session_id (None | str | Unset):
        started_at (datetime.datetime | None | Unset):
    """

    agent_id: str
    cron_job_id: str
    delivery_status: RunDeliveryStatus
    id: str
    input_tokens: int
    output_tokens: int
    scheduled_for: datetime.datetime
    status: RunStatus
    error: None | str | Unset = UNSET
    finished_at: datetime.datetime | None | Unset = UNSET
    session_id: None | str | Unset = UNSET
    started_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        cron_job_id = self.cron_job_id

        delivery_status = self.delivery_status.value

        id = self.id

        input_tokens = self.input_tokens

        output_tokens = self.output_tokens

        scheduled_for = self.scheduled_for.isoformat()

        status = self.status.value

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        elif isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        elif isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "cronJobId": cron_job_id,
                "deliveryStatus": delivery_status,
                "id": id,
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "scheduledFor": scheduled_for,
                "status": status,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if finished_at is not UNSET:
            field_dict["finishedAt"] = finished_at
        if session_id is not UNSET:
            field_dict["sessionId"] = session_id
        if started_at is not UNSET:
            field_dict["startedAt"] = started_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        agent_id = d.pop("agentId")

        cron_job_id = d.pop("cronJobId")

        delivery_status = RunDeliveryStatus(d.pop("deliveryStatus"))

        id = d.pop("id")

        input_tokens = d.pop("inputTokens")

        output_tokens = d.pop("outputTokens")

        scheduled_for = datetime.datetime.fromisoformat(d.pop("scheduledFor"))

        status = RunStatus(d.pop("status"))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_finished_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        finished_at = _parse_finished_at(d.pop("finishedAt", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("sessionId", UNSET))

        def _parse_started_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        started_at = _parse_started_at(d.pop("startedAt", UNSET))

        cron_run = cls(
            agent_id=agent_id,
            cron_job_id=cron_job_id,
            delivery_status=delivery_status,
            id=id,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            scheduled_for=scheduled_for,
            status=status,
            error=error,
            finished_at=finished_at,
            session_id=session_id,
            started_at=started_at,
        )

        cron_run.additional_properties = d
        return cron_run

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
