from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_delivery_status import RunDeliveryStatus
from ..models.run_status import RunStatus

T = TypeVar("T", bound="CronRun")


@_attrs_define
class CronRun:
    """A run as stored after a change (the run object of the API).

    Attributes:
        agent_id (str):
        cron_job_id (str):
        delivery_status (RunDeliveryStatus): Where the delivery of a run's output is.
        error (None | str):
        finished_at (datetime.datetime | None):
        id (str):  Example: run_01jq8abcdefghjkmnpqrstvwxy.
        input_tokens (int):
        output_tokens (int):
        scheduled_for (datetime.datetime):
        session_id (None | str):
        started_at (datetime.datetime | None):
        status (RunStatus): Where a run is.
    """

    agent_id: str
    cron_job_id: str
    delivery_status: RunDeliveryStatus
    error: None | str
    finished_at: datetime.datetime | None
    id: str
    input_tokens: int
    output_tokens: int
    scheduled_for: datetime.datetime
    session_id: None | str
    started_at: datetime.datetime | None
    status: RunStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        agent_id = self.agent_id

        cron_job_id = self.cron_job_id

        delivery_status = self.delivery_status.value

        error: None | str
        error = self.error

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        id = self.id

        input_tokens = self.input_tokens

        output_tokens = self.output_tokens

        scheduled_for = self.scheduled_for.isoformat()

        session_id: None | str
        session_id = self.session_id

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "cronJobId": cron_job_id,
                "deliveryStatus": delivery_status,
                "error": error,
                "finishedAt": finished_at,
                "id": id,
                "inputTokens": input_tokens,
                "outputTokens": output_tokens,
                "scheduledFor": scheduled_for,
                "sessionId": session_id,
                "startedAt": started_at,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        agent_id = d.pop("agentId")

        cron_job_id = d.pop("cronJobId")

        delivery_status = RunDeliveryStatus(d.pop("deliveryStatus"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finishedAt"))

        id = d.pop("id")

        input_tokens = d.pop("inputTokens")

        output_tokens = d.pop("outputTokens")

        scheduled_for = datetime.datetime.fromisoformat(d.pop("scheduledFor"))

        def _parse_session_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        session_id = _parse_session_id(d.pop("sessionId"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("startedAt"))

        status = RunStatus(d.pop("status"))

        cron_run = cls(
            agent_id=agent_id,
            cron_job_id=cron_job_id,
            delivery_status=delivery_status,
            error=error,
            finished_at=finished_at,
            id=id,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            scheduled_for=scheduled_for,
            session_id=session_id,
            started_at=started_at,
            status=status,
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
