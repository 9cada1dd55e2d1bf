from enum import StrEnum


class CronDeliveryType2Type(StrEnum):
    SLACK = "slack"

    def __str__(self) -> str:
        return str(self.value)
