from enum import StrEnum


class CronDeliveryType0Type(StrEnum):
    NONE = "none"

    def __str__(self) -> str:
        return str(self.value)
