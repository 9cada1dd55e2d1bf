"""Fixtures of the scenario tests, and the check that every answer fits the OpenAPI document.

Every call in the scenario goes through :class:`Api`, which runs a generated operation with
``AgenFleet.call`` and then checks the answer against the generated models:

* no generated model holds anything in ``additional_properties`` (a field the document misses);
* every key of the raw JSON survives ``from_dict``/``to_dict`` (a field a closed model dropped);
* every field holds a value of its declared type (``from_dict`` does not check: a ``null`` in a
  non-nullable field would pass unseen);
* the status is one the document lists (else the generated code raises ``UnexpectedStatus``),
  and error bodies parse as ``ErrorBody``.

Mismatches are collected rather than stopping the scenario at the first: each test fails at its
end if it saw any, and the session's summary lists them all (``AGENFLEET_MISMATCH_REPORT=path``
also writes them there as JSON).
"""

from __future__ import annotations

import datetime
import enum
import json
import os
import types
import typing
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest

import agenfleet.generated.models as generated_models
from agenfleet import AgenFleet, ApiError, ResponseParseError, UnexpectedResponseError
from agenfleet.generated.models import ErrorBody
from agenfleet.generated.types import Unset

MISMATCHES: list[dict[str, Any]] = []


# -- the checks ---------------------------------------------------------------------------
def _hints(cls: type) -> dict[str, Any]:
    module = __import__(cls.__module__, fromlist=["*"])
    namespace = {**vars(generated_models), **vars(module)}
    return typing.get_type_hints(cls, globalns=namespace)


def _type_ok(value: Any, tp: Any) -> bool:
    if tp is Any:
        return True
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, arg) for arg in typing.get_args(tp))
    if tp is type(None) or tp is None:
        return value is None
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return isinstance(value, list) and all(_type_ok(v, item) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def model_problems(value: Any, path: str = "$") -> list[str]:
    """What in a parsed answer shows the document and the server disagree."""
    problems: list[str] = []
    cls = type(value)
    if attrs.has(cls):
        declared = [f for f in attrs.fields(cls) if f.name != "additional_properties"]
        extra = getattr(value, "additional_properties", None) or {}
        # A model without declared fields is a free-form object (`additionalProperties: true`):
        # its content lives in additional_properties by design.
        if extra and declared:
            problems.append(f"{path} ({cls.__name__}): fields not in the document: {json.dumps(extra, default=str)}")
        hints = _hints(cls)
        for f in declared:
            item = getattr(value, f.name)
            if f.name in hints and not _type_ok(item, hints[f.name]):
                problems.append(f"{path}.{f.name} ({cls.__name__}): {item!r} is not a {hints[f.name]}")
            problems += model_problems(item, f"{path}.{f.name}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            problems += model_problems(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            problems += model_problems(item, f"{path}.{key}")
    return problems


def dropped_keys(raw: Any, rendered: Any, path: str = "$") -> list[str]:
    """Keys of the raw JSON that parsing dropped (a closed model, a wrong union branch)."""
    problems: list[str] = []
    if isinstance(raw, dict) and isinstance(rendered, dict):
        for key, item in raw.items():
            if key not in rendered:
                problems.append(f"{path}.{key}: dropped by the model ({json.dumps(item)[:200]})")
            else:
                problems += dropped_keys(item, rendered[key], f"{path}.{key}")
    elif isinstance(raw, list) and isinstance(rendered, list):
        for i, (a, b) in enumerate(zip(raw, rendered)):
            problems += dropped_keys(a, b, f"{path}[{i}]")
    return problems


def record(operation: str, status: int | None, problem: str, payload: Any = None) -> None:
    MISMATCHES.append({"operation": operation, "status": status, "problem": problem, "payload": payload})


def check_model(operation: str, status: int | None, parsed: Any, raw: Any) -> None:
    """Checks one parsed model against the raw JSON it came from."""
    problems = model_problems(parsed)
    if hasattr(parsed, "to_dict"):
        problems += dropped_keys(raw, parsed.to_dict())
    for problem in problems:
        record(operation, status, problem, raw)


def op_name(op: Any) -> str:
    name = op.__name__ if isinstance(op, types.ModuleType) else op.__module__
    return name.rsplit(".", 1)[-1]


# -- the instrumented client ----------------------------------------------------------------
class Api:
    """Runs generated operations through ``AgenFleet.call`` and checks every answer."""

    def __init__(self, fleet: AgenFleet) -> None:
        self.fleet = fleet
        self.responses: list[httpx.Response] = []
        fleet.http.event_hooks["response"].append(self.responses.append)

    def last_response(self) -> httpx.Response:
        return self.responses[-1]

    def _check_response(self, name: str, parsed: Any, response: httpx.Response) -> None:
        if "x-request-id" not in response.headers:
            record(name, response.status_code, "no X-Request-Id header")
        if parsed is None or isinstance(parsed, (str, bytes)):
            return
        check_model(name, response.status_code, parsed, response.json())

    def __call__(self, op: Any, /, **kwargs: Any) -> Any:
        name = op_name(op)
        self.responses.clear()
        try:
            parsed = self.fleet.call(op, **kwargs)
        except ResponseParseError as error:
            record(name, error.status, f"does not parse: {type(error.cause).__name__}: {error.cause}",
                   error.content.decode(errors="replace"))
            raise
        except UnexpectedResponseError as error:
            record(name, error.status, "status not in the document", error.content.decode(errors="replace"))
            raise
        except ApiError as error:
            self._check_error(name, error)
            raise
        self._check_response(name, parsed, self.last_response())
        return parsed

    def _check_error(self, name: str, error: ApiError) -> None:
        if error.parsed is None:
            record(name, error.status, "error status not in the document", error.body.decode(errors="replace"))
        elif isinstance(error.parsed, ErrorBody):
            check_model(name, error.status, error.parsed, json.loads(error.body))
        if not error.request_id:
            record(name, error.status, "error without a request id", error.body.decode(errors="replace"))

    def error(self, expected: type[ApiError], code: str, op: Any, /, **kwargs: Any) -> ApiError:
        """Runs an operation that must fail with ``expected``/``code``; returns the error."""
        with pytest.raises(expected) as raised:
            self(op, **kwargs)
        assert raised.value.code == code, raised.value
        return raised.value

    def pages(self, op: Any, /, **kwargs: Any) -> list[Any]:
        name = op_name(op)
        self.responses.clear()
        pages = list(self.fleet.pages(op, **kwargs))
        assert len(pages) == len(self.responses)
        for page, response in zip(pages, self.responses):
            self._check_response(name, page, response)
        return pages

    def iterate(self, op: Any, /, **kwargs: Any) -> list[Any]:
        name = op_name(op)
        self.responses.clear()
        items = list(self.fleet.iterate(op, **kwargs))
        for response in self.responses:
            model_module = self._page_model(op)
            self._check_response(name, model_module.from_dict(response.json()), response)
        return items

    @staticmethod
    def _page_model(op: Any) -> Any:
        module = op if isinstance(op, types.ModuleType) else __import__(op.__module__, fromlist=["*"])
        hints = typing.get_type_hints(module.sync_detailed)
        parsed = typing.get_args(hints["return"])[0]
        return next(t for t in typing.get_args(parsed) if t is not ErrorBody)


# -- fixtures ---------------------------------------------------------------------------------
def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the scenario as `scripts/with-dev-server sdks/python/test`")
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    return _env("AGENFLEET_URL")


@pytest.fixture(scope="session")
def fleet(base_url: str) -> Iterator[AgenFleet]:
    with AgenFleet(_env("AGENFLEET_KEY"), base_url) as client:
        yield client


@pytest.fixture(scope="session")
def api(fleet: AgenFleet) -> Api:
    return Api(fleet)


@pytest.fixture(scope="session")
def state() -> dict[str, Any]:
    """What one step of the scenario leaves for the next."""
    return {}


@pytest.fixture(autouse=True)
def _no_mismatches(request: pytest.FixtureRequest) -> Iterator[None]:
    before = len(MISMATCHES)
    yield
    seen = MISMATCHES[before:]
    if seen and "live" in request.keywords:
        lines = "\n".join(f"  {m['operation']} [{m['status']}]: {m['problem']}" for m in seen)
        pytest.fail(f"answers that disagree with the document:\n{lines}", pytrace=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.module.__name__.endswith("test_scenario"):
            item.add_marker("live")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: runs against the server in AGENFLEET_URL")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not MISMATCHES:
        return
    terminalreporter.section("answers that disagree with the OpenAPI document")
    for m in MISMATCHES:
        terminalreporter.write_line(f"{m['operation']} [{m['status']}]: {m['problem']}")
        if m["payload"] is not None:
            payload = m["payload"] if isinstance(m["payload"], str) else json.dumps(m["payload"], default=str)
            terminalreporter.write_line(f"    payload: {payload[:1500]}")
    path = os.environ.get("AGENFLEET_MISMATCH_REPORT")
    if path:
        with open(path, "w") as out:
            json.dump(MISMATCHES, out, indent=2, default=str)


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


__all__ = ["Api", "check_model", "enum", "model_problems", "now_utc", "record", "Unset"]
