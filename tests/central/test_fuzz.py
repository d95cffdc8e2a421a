"""Schemathesis against the running server's /openapi.json: no input may cause a 5xx, and every
answer must match the published schema. Bounded: 50 examples per operation, valid and invalid
data mixed, with a valid token and the token's office in the path (to get past the 403s)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.central import city_token, enroll_device

MAX_WAIT = 0.05
CITY = "Hà Nội"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_no_input_causes_a_server_error(base_url: str, database_url: str, office: str) -> None:
    # A counter device without a fixed counter number may call at any counter, so the fuzzer
    # reaches call-next's own checks.
    token = enroll_device(database_url, office, "counter", "counter-fuzz")
    headers = {"Authorization": f"Bearer {token}"}
    # The city view is read with a city token only: the fuzzer reads its own city's.
    city_headers = {"Authorization": f"Bearer {city_token(database_url, CITY)}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 26
    for operation in operations:
        fixed = {"office": office} if "{office}" in operation.path else None
        reader = headers
        if "{city}" in operation.path:
            fixed, reader = {"city": CITY}, city_headers
        cases = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
        )

        @given(case=cases)
        @settings(
            max_examples=50,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            wait = (case.query or {}).get("wait")
            if isinstance(wait, int | float) and not isinstance(wait, bool) and wait > MAX_WAIT:
                case.query["wait"] = MAX_WAIT  # the calls long-poll: a valid wait, kept short
            elif case.query and "after" in case.query and "wait" not in case.query:
                case.query["wait"] = MAX_WAIT  # left out, the long-poll waits 25 s
            case.call_and_validate(headers=reader, checks=CHECKS)  # noqa: B023 (called at once)

        check()
