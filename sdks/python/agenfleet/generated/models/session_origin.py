from enum import StrEnum


class SessionOrigin(StrEnum):
    API = "api"
    CRON = "cron"

    def __str__(self) -> str:
        return str(self.value)
