"""Schemathesis against a real uvicorn server on loopback: no 5xx, and every response matches the OpenAPI document.

Bounded: a few examples per operation (the schema's boundary cases and random
values), every request to 127.0.0.1 only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (the dev extra)")
pytest.importorskip("uvicorn", reason="the web extra is not installed")
from hypothesis import HealthCheck, settings  # noqa: E402
from live import serve_app  # noqa: E402 (tests/web/live.py)
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rotation.web.app import create_app  # noqa: E402


@pytest.fixture(scope="module")
def api_url(real_store: Path) -> Iterator[str]:
    yield from serve_app(create_app(real_store))


# The document is the app's own (it does not depend on the store); the requests go to the
# live server. (schemathesis' lazy fixture loader does not work with pytest 9's nodes.)
schema = schemathesis.openapi.from_dict(create_app(Path("unused.duckdb"), plans=(Path("unused.toml"),)).openapi())


@schema.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: Any, api_url: str) -> None:
    assert api_url.startswith("http://127.0.0.1:")
    case.call_and_validate(
        base_url=api_url,
        timeout=120,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
