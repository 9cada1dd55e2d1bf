from enum import StrEnum


class Scope(StrEnum):
    READ = "read"
    READ_WRITE = "read-write"

    def __str__(self) -> str:
        return str(self.value)
