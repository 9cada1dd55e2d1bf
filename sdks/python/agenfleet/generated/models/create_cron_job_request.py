from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.overlap_policy import OverlapPolicy
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.cron_delivery_type_0 import CronDeliveryType0
    from ..models.cron_delivery_type_1 import CronDeliveryType1
    from ..models.cron_delivery_type_2 import CronDeliveryType2
    from ..models.cron_delivery_type_3 import CronDeliveryType3
    from ..models.cron_delivery_type_4 import CronDeliveryType4


T = TypeVar("T", bound="CreateCronJobRequest")


@_attrs_define
class CreateCronJobRequest:
    """
    Attributes:
        agent_id (str):  Example: agent_01jq8abcdefghjkmnpqrstvwxy.
        name (str): One line: no control characters; 1 to 100 characters, not only white space.
        prompt (str): Any text but U+0000; 1 to 100000 characters, not only white space.
        schedule (str): A standard 5-field cron expression (minute hour day-of-month month day-of-week). One line: no
            control characters; 0 to 256 characters.
        delivery (CronDeliveryType0 | CronDeliveryType1 | CronDeliveryType2 | CronDeliveryType3 | CronDeliveryType4 |
            None | Unset):
        enabled (bool | None | Unset):
        overlap_policy (None | OverlapPolicy | Unset):
        timezone (str | Unset): An IANA time zone name such as Europe/Berlin. One line: no control characters; 0 to 64
            characters.
    """

    agent_id: str
    name: str
    prompt: str
    schedule: str
    delivery: (
        CronDeliveryType0
        | CronDeliveryType1
        | CronDeliveryType2
        | CronDeliveryType3
        | CronDeliveryType4
        | None
        | Unset
    ) = UNSET
    enabled: bool | None | Unset = UNSET
    overlap_policy: None | OverlapPolicy | Unset = UNSET
    timezone: str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.cron_delivery_type_0 import CronDeliveryType0
        from ..models.cron_delivery_type_1 import CronDeliveryType1
        from ..models.cron_delivery_type_2 import CronDeliveryType2
        from ..models.cron_delivery_type_3 import CronDeliveryType3
        from ..models.cron_delivery_type_4 import CronDeliveryType4

        agent_id = self.agent_id

        name = self.name

        prompt = self.prompt

        schedule = self.schedule

        delivery: dict[str, Any] | None | Unset
        if isinstance(self.delivery, Unset):
            delivery = UNSET
        elif (
            isinstance(self.delivery, CronDeliveryType0)
            or isinstance(self.delivery, CronDeliveryType1)
            or isinstance(self.delivery, CronDeliveryType2)
            or isinstance(self.delivery, CronDeliveryType3)
            or isinstance(self.delivery, CronDeliveryType4)
        ):
            delivery = self.delivery.to_dict()
        else:
            delivery = self.delivery

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        overlap_policy: None | str | Unset
        if isinstance(self.overlap_policy, Unset):
            overlap_policy = UNSET
        elif isinstance(self.overlap_policy, OverlapPolicy):
            overlap_policy = self.overlap_policy.value
        else:
            overlap_policy = self.overlap_policy

        timezone = self.timezone

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "agentId": agent_id,
                "name": name,
                "prompt": prompt,
                "schedule": schedule,
            }
        )
        if delivery is not UNSET:
            field_dict["delivery"] = delivery
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if overlap_policy is not UNSET:
            field_dict["overlapPolicy"] = overlap_policy
        if timezone is not UNSET:
            field_dict["timezone"] = timezone

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

        name = d.pop("name")

        prompt = d.pop("prompt")

        schedule = d.pop("schedule")

        def _parse_delivery(
            data: object,
        ) -> (
            CronDeliveryType0
            | CronDeliveryType1
            | CronDeliveryType2
            | CronDeliveryType3
            | CronDeliveryType4
            | None
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
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
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_cron_delivery_type_4 = CronDeliveryType4.from_dict(
                    data
                )

                return componentsschemas_cron_delivery_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                CronDeliveryType0
                | CronDeliveryType1
                | CronDeliveryType2
                | CronDeliveryType3
                | CronDeliveryType4
                | None
                | Unset,
                data,
            )

        delivery = _parse_delivery(d.pop("delivery", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_overlap_policy(data: object) -> None | OverlapPolicy | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                overlap_policy_type_1 = OverlapPolicy(data)

                return overlap_policy_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | OverlapPolicy | Unset, data)

        overlap_policy = _parse_overlap_policy(d.pop("overlapPolicy", UNSET))

        timezone = d.pop("timezone", UNSET)

        create_cron_job_request = cls(
            agent_id=agent_id,
            name=name,
            prompt=prompt,
            schedule=schedule,
            delivery=delivery,
            enabled=enabled,
            overlap_policy=overlap_policy,
            timezone=timezone,
        )

        return create_cron_job_request
