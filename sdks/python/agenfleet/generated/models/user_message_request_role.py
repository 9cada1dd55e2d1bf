from enum import StrEnum


class UserMessageRequestRole(StrEnum):
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
