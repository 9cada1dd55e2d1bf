from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.overlap_policy import OverlapPolicy
from ..models.run_status import RunStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cron_delivery_type_0 import CronDeliveryType0
    from ..models.cron_delivery_type_1 import CronDeliveryType1
    from ..models.cron_delivery_type_2 import CronDeliveryType2
    from ..models.cron_delivery_type_3 import CronDeliveryType3
    from ..models.cron_delivery_type_4 import CronDeliveryType4


T = TypeVar("T", bound="CronJob")


@_attrs_define
class CronJob:
    """A job as stored after a change (the cron job object of the API).

    Attributes:
        agent_id (str):
        created_at (datetime.datetime):
        delivery (CronDeliveryType0 | CronDeliveryType1 | CronDeliveryType2 | CronDeliveryType3 | CronDeliveryType4):
            Where a run's output goes. Bot tokens, API bases and the SMTP server are operator config.
        enabled (bool):
        id (str):  Example: cron_01jq8abcdefghjkmnpqrstvwxy.
        last_run_at (datetime.datetime | None):
        last_run_status (None | RunStatus):
        name (str):
        next_run_at (datetime.datetime | None): `None` when disabled, or when the schedule has no future time.
        overlap_policy (OverlapPolicy): What a fire does while the job's previous run is still running.
        prompt (str):
        schedule (str):
        timezone (str):
        updated_at (datetime.datetime):
        delivery_secret (str | Unset): `whsec_…`, the signing secret of a webhook delivery: only in the answer of the
            request that set it (create, or a patch of `delivery`).
    """

    agent_id: str
    created_at: datetime.datetime
    delivery: (
        CronDeliveryType0
        | CronDeliveryType1
        | CronDeliveryType2
        | CronDeliveryType3
        | CronDeliveryType4
    )
    enabled: bool
    id: str
    last_run_at: datetime.datetime | None
    last_run_status: None | RunStatus
    name: str
    next_run_at: datetime.datetime | None
    overlap_policy: OverlapPolicy
    prompt: str
    schedule: str
    timezone: str
    updated_at: datetime.datetime
    delivery_secret: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.cron_delivery_type_0 import CronDeliveryType0
        from ..models.cron_delivery_type_1 import CronDeliveryType1
        from ..models.cron_delivery_type_2 import CronDeliveryType2
        from ..models.cron_delivery_type_3 import CronDeliveryType3

        agent_id = self.agent_id

        created_at = self.created_at.isoformat()

        delivery: dict[str, Any]
        if (
            isinstance(self.delivery, CronDeliveryType0)
            or isinstance(self.delivery, CronDeliveryType1)
            or isinstance(self.delivery, CronDeliveryType2)
            or isinstance(self.delivery, CronDeliveryType3)
        ):
            delivery = self.delivery.to_dict()
        else:
            delivery = self.delivery.to_dict()

        enabled = self.enabled

        id = self.id

        last_run_at: None | str
        if isinstance(self.last_run_at, datetime.datetime):
            last_run_at = self.last_run_at.isoformat()
        else:
            last_run_at = self.last_run_at

        last_run_status: None | str
        if isinstance(self.last_run_status, RunStatus):
            last_run_status = self.last_run_status.value
        else:
            last_run_status = self.last_run_status

        name = self.name

        next_run_at: None | str
        if isinstance(self.next_run_at, datetime.datetime):
            next_run_at = self.next_run_at.isoformat()
        else:
            next_run_at = self.next_run_at

        overlap_policy = self.overlap_policy.value

        prompt = self.prompt

        schedule = self.schedule

        timezone = self.timezone

        updated_at = self.updated_at.isoformat()

        delivery_secret = self.delivery_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "agentId": agent_id,
                "createdAt": created_at,
                "delivery": delivery,
                "enabled": enabled,
                "id": id,
                "lastRunAt": last_run_at,
                "lastRunStatus": last_run_status,
                "name": name,
                "nextRunAt": next_run_at,
                "overlapPolicy": overlap_policy,
                "prompt": prompt,
                "schedule": schedule,
                "timezone": timezone,
                "updatedAt": updated_at,
            }
        )
        if delivery_secret is not UNSET:
            field_dict["deliverySecret"] = delivery_secret

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.cron_delivery_type_0 import CronDeliveryType0
        from ..models.cron_delivery_type_1 import CronDeliveryType1
        from ..models.cron_delivery_type_2 import CronDeliveryType2
        from ..models.cron_delivery_type_3 import CronDeliveryType3
        from ..models.cron_delivery_type_4 import CronDeliveryType4

        d = dict(src_dict)
        agent_id = d.pop("agentId")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        def _parse_delivery(
            data: object,
        ) -> (
            CronDeliveryType0
            | CronDeliveryType1
            | CronDeliveryType2
            | CronDeliveryType3
            | CronDeliveryType4
        ):
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_cron_delivery_type_0 = CronDeliveryType0.from_dict(
                    data
                )

                return componentsschemas_cron_delivery_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_cron_delivery_type_1 = CronDeliveryType1.from_dict(
                    data
                )

                return componentsschemas_cron_delivery_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_cron_delivery_type_2 = CronDeliveryType2.from_dict(
                    data
                )

                return componentsschemas_cron_delivery_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_cron_delivery_type_3 = CronDeliveryType3.from_dict(
                    data
                )

                return componentsschemas_cron_delivery_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_cron_delivery_type_4 = CronDeliveryType4.from_dict(data)

            return componentsschemas_cron_delivery_type_4

        delivery = _parse_delivery(d.pop("delivery"))

        enabled = d.pop("enabled")

        id = d.pop("id")

        def _parse_last_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_run_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_run_at = _parse_last_run_at(d.pop("lastRunAt"))

        def _parse_last_run_status(data: object) -> None | RunStatus:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_run_status_type_1 = RunStatus(data)

                return last_run_status_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RunStatus, data)

        last_run_status = _parse_last_run_status(d.pop("lastRunStatus"))

        name = d.pop("name")

        def _parse_next_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_run_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_run_at = _parse_next_run_at(d.pop("nextRunAt"))

        overlap_policy = OverlapPolicy(d.pop("overlapPolicy"))

        prompt = d.pop("prompt")

        schedule = d.pop("schedule")

        timezone = d.pop("timezone")

        updated_at = datetime.datetime.fromisoformat(d.pop("updatedAt"))

        delivery_secret = d.pop("deliverySecret", UNSET)

        cron_job = cls(
            agent_id=agent_id,
            created_at=created_at,
            delivery=delivery,
            enabled=enabled,
            id=id,
            last_run_at=last_run_at,
            last_run_status=last_run_status,
            name=name,
            next_run_at=next_run_at,
            overlap_policy=overlap_policy,
            prompt=prompt,
            schedule=schedule,
            timezone=timezone,
            updated_at=updated_at,
            delivery_secret=delivery_secret,
        )

        cron_job.additional_properties = d
        return cron_job

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
