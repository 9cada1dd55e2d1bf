"""schemathesis hooks of scripts/fuzz-api: how to draw values of the formats the AgenFleet
document defines for what a JSON Schema cannot check (see schema::limits::schemas). Without
them every draw would be refused, and the fuzzer would never get past validation.

Only valid values are drawn here; invalid ones (wrong types, lengths, characters) still come
from the schema itself in the fuzzer's negative phase.
"""

import json
import os
import urllib.request

import schemathesis
from hypothesis import strategies as st


def _catalog_models() -> list[str]:
    """The model ids of the catalog, asked of the server under test."""
    request = urllib.request.Request(
        os.environ["AGENFLEET_URL"] + "/v1/models?limit=100",
        headers={"Authorization": "Bearer " + os.environ["AGENFLEET_KEY"]},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return [model["id"] for model in json.load(answer)["data"]]


def _field(low: int, high: int) -> st.SearchStrategy[str]:
    number = st.integers(low, high).map(str)
    return st.one_of(
        st.just("*"),
        number,
        st.tuples(st.integers(low, high), st.integers(low, high)).map(
            lambda pair: f"{min(pair)}-{max(pair)}"
        ),
        st.integers(1, high - low + 1).map(lambda step: f"*/{step}"),
        st.lists(number, min_size=2, max_size=3, unique=True).map(",".join),
    )


_CRON = st.one_of(
    st.sampled_from(["0 8 * * MON-FRI", "*/15 * * * *", "30 2 1 * *", "0 0 * JAN,JUL SUN"]),
    st.tuples(_field(0, 59), _field(0, 23), _field(1, 28), _field(1, 12), _field(0, 6)).map(
        " ".join
    ),
)

_TIME_ZONES = st.sampled_from(
    ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney",
     "America/Sao_Paulo", "Asia/Kolkata", "Africa/Nairobi", "Pacific/Auckland"]
)

# Loopback targets: scripts/with-dev-server allows private targets, and nothing listens on
# port 9 (discard), so deliveries fail fast without leaving the machine.
_URLS = st.from_regex(r"\A/[a-z0-9/_-]{0,40}\Z").map(lambda path: "http://127.0.0.1:9" + path)

schemathesis.openapi.format("model-id", st.sampled_from(_catalog_models()))
schemathesis.openapi.format("cron-expression", _CRON)
schemathesis.openapi.format("iana-time-zone", _TIME_ZONES)
schemathesis.openapi.format("http-url", _URLS)
