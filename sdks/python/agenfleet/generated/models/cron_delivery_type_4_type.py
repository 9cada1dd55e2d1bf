from enum import StrEnum


class CronDeliveryType4Type(StrEnum):
    EMAIL = "email"

    def __str__(self) -> str:
        return str(self.value)
