from enum import StrEnum


class CronDeliveryType3Type(StrEnum):
    TELEGRAM = "telegram"

    def __str__(self) -> str:
        return str(self.value)
