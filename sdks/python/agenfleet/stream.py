"""The activity log's live tail, ``GET /v1/activity/stream`` (Server-Sent Events).

Each event is ``id: <sequence>``, ``event: <type>``, ``data: <the entry as JSON>``; lines
starting with ``:`` are keep-alive comments. :class:`ActivityStream` parses ``data`` into the
generated ``ActivityEntry`` model and remembers the last ``id:``, so that after a dropped
connection it resumes with ``Last-Event-ID`` and misses nothing.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .errors import ApiError, ResponseParseError
from .generated.models.activity_entry import ActivityEntry

__all__ = ["ActivityStream", "ServerSentEvent", "parse_sse"]

#: The server sends a keep-alive comment every 15 s; a read that waits longer than this means
#: the connection is dead, and the stream reconnects.
READ_TIMEOUT = 45.0


@dataclass
class ServerSentEvent:
    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


def parse_sse(lines: Iterable[str]) -> Iterator[ServerSentEvent]:
    """Server-Sent Events from the lines of a ``text/event-stream`` body (WHATWG rules: a blank
    line dispatches, ``data`` lines join with ``\\n``, comments and events without data are
    skipped)."""
    event, event_id = "", None
    data: list[str] = []
    retry: int | None = None
    for line in lines:
        if line == "":
            if data:
                yield ServerSentEvent(event or "message", "\n".join(data), event_id, retry)
            event, data, retry = "", [], None
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value
        elif name == "id":
            if "\0" not in value:
                event_id = value
        elif name == "retry" and value.isdigit():
            retry = int(value)


class ActivityStream:
    """An iterator of ``ActivityEntry`` from the live tail; see ``AgenFleet.stream_activity``.

    Attributes:
        last_event_id: the sequence of the last entry yielded (``None`` before the first),
            to resume later with ``fleet.stream_activity(last_event_id=...)``.
    """

    def __init__(
        self,
        http: httpx.Client,
        *,
        last_event_id: int | None = None,
        reconnect: bool = True,
        max_reconnects: int | None = None,
        connect_timeout: float = 30.0,
    ) -> None:
        self._http = http
        self.last_event_id = last_event_id
        self.reconnect = reconnect
        self.max_reconnects = max_reconnects
        self._timeout = httpx.Timeout(connect_timeout, read=READ_TIMEOUT)
        self._response: httpx.Response | None = None
        self._iterator = self._entries()
        self._closed = False

    def __iter__(self) -> ActivityStream:
        return self

    def __next__(self) -> ActivityEntry:
        return next(self._iterator)

    def __enter__(self) -> ActivityStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        if self._response is not None:
            self._response.close()
        self._iterator.close()

    def _open(self) -> httpx.Response:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id is not None:
            headers["Last-Event-ID"] = str(self.last_event_id)
        request = self._http.build_request("GET", "/v1/activity/stream", headers=headers, timeout=self._timeout)
        response = self._http.send(request, stream=True)
        if response.status_code != 200:
            response.read()
            response.close()
            raise ApiError.from_response(response.status_code, response.content, response.headers)
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/event-stream"):
            response.read()
            response.close()
            raise ResponseParseError(
                "stream_activity",
                response.status_code,
                response.content,
                ValueError(f"content-type {content_type!r}, not text/event-stream"),
            )
        return response

    def _entries(self) -> Generator[ActivityEntry, None, None]:
        reconnects = 0
        while not self._closed:
            self._response = self._open()
            try:
                for sse in parse_sse(self._response.iter_lines()):
                    entry = self._parse(sse)
                    if entry is None:
                        continue
                    self.last_event_id = entry.sequence
                    reconnects = 0
                    yield entry
            except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError):
                pass
            finally:
                self._response.close()
            if self._closed or not self.reconnect:
                return
            reconnects += 1
            if self.max_reconnects is not None and reconnects > self.max_reconnects:
                return

    def _parse(self, sse: ServerSentEvent) -> ActivityEntry | None:
        try:
            payload: Any = json.loads(sse.data)
            entry = ActivityEntry.from_dict(payload)
        except (KeyError, ValueError, TypeError) as error:
            raise ResponseParseError("stream_activity", 200, sse.data.encode(), error) from error
        if sse.id is not None and sse.id.isdigit() and int(sse.id) != entry.sequence:
            raise ResponseParseError(
                "stream_activity",
                200,
                sse.data.encode(),
                ValueError(f"event id {sse.id} is not the entry's sequence {entry.sequence}"),
            )
        return entry
