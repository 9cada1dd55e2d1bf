from enum import StrEnum


class CronDeliveryType1Type(StrEnum):
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)
