from enum import StrEnum


class AgentStatus(StrEnum):
    DEGRADED = "degraded"
    OFFLINE = "offline"
    ONLINE = "online"
    PROVISIONING = "provisioning"

    def __str__(self) -> str:
        return str(self.value)
