from enum import StrEnum


class AssistantMessageRequestRole(StrEnum):
    ASSISTANT = "assistant"

    def __str__(self) -> str:
        return str(self.value)
