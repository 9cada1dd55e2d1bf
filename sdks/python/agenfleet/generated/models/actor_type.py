from enum import StrEnum


class ActorType(StrEnum):
    AGENT = "agent"
    API_KEY = "api_key"
    SYSTEM = "system"

    def __str__(self) -> str:
        return str(self.value)
