"""Schemathesis drives every operation of our own OpenAPI document through the WSGI app, with a
key of a seeded organization: no server error, and every answer (status, content type, headers,
body) as the document says. Positive and negative examples; the count stays small to keep the
suite fast."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories.accounts import make_org
from tests.factories.api import make_api_key
from tests.factories.catalog import make_product
from tests.factories.events import make_event
from tests.factories.orders import make_registrant
from webapp.api import openapi, views  # noqa: F401  (views declares every operation)
from webapp.contacts import ingest

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_token(app):
    org = make_org()
    event = make_event(org)
    product = make_product(event)
    make_registrant(event, product)
    ingest.create_tag_rule(org.id, event_type="signup", action="add", label="Signed up")
    _, token = make_api_key(org, per_minute=1_000_000)
    return token


# The document the app serves at /api/v1/openapi.json (the same function builds both).
schema = schemathesis.openapi.from_dict(openapi.document())
# Random positive and negative examples only: the exhaustive boundary ("coverage") phase takes
# minutes for the whole API.
schema.config.phases.coverage.enabled = False


@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_keeps_to_the_document(case, app, fuzz_token):
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {fuzz_token}"}, checks=CHECKS)


def test_the_fuzzed_document_is_the_served_one(client):
    assert client.get("/api/v1/openapi.json").json == openapi.document("http://rollcall.test")
