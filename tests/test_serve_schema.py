"""The service against its own OpenAPI document (schemathesis): requests drawn from the
document, valid and not, never get a 5xx, and every answer matches the document (status
code declared, media type, body schema; a request the document refuses is refused).
Bounded in examples, so that CI stays short."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

#: Drawn requests per operation and mode.
EXAMPLES = 40
OPERATIONS = [("/v1/health", "GET"), ("/v1/rules", "GET"), ("/v1/rules/{name}", "GET"),
              ("/v1/generate", "POST"), ("/v1/explain", "POST"), ("/v1/validate", "POST")]


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json")


def test_the_document_names_every_operation(api_schema):
    found = {(op.path, op.method.upper()) for op in (r.ok() for r in api_schema.get_all_operations())}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_the_api_keeps_its_document(api_schema, server, path, method, mode):
    operation = api_schema[path][method]
    if mode is GenerationMode.NEGATIVE and method == "GET":
        pytest.skip("nothing to draw wrong: no body, no parameter but a path's (any text is a name)")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def keeps(case):
        # A request the document allows may still be refused: a drawn pool is rarely one
        # asnfp can read (the refusal is a 422 problem the document declares).
        case.call_and_validate(base_url=server.url, excluded_checks=[positive_data_acceptance], timeout=60)

    keeps()
