"""A service's OpenAPI schema as a contract: schemathesis sends the service's own Django app
what the schema documents (and what it does not) and checks every answer against it.

In a service's tests:

    schema = service_schema_contract(
        schema_path="/api/tickets/schema", config_path=SERVICE_DIR / "schemathesis.toml"
    )

    @schema.parametrize()
    @pytest.mark.django_db(transaction=True)
    def test_every_answer_is_one_the_schema_documents(case):
        case.call_and_validate()

Requests go through WSGI in the test's process, so they reach the test database and the test's
settings (raise the service's limits there, or 429s answer most cases and hide the rest).
"""

import uuid
from pathlib import Path

import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.config import SchemathesisConfig

# The seed of the by-hand runs against a running service (`schemathesis run --seed 7`).
CONTRACT_SEED = 7
# Cases per operation in the fuzzing phase (the examples and coverage phases add their own):
# enough to reach every documented answer of a small API, small enough that a suite on two CPUs
# stays within a minute for it.
CONTRACT_MAX_EXAMPLES = 100


def service_schema_contract(
    *,
    schema_path: str,
    config_path: Path,
    max_examples: int = CONTRACT_MAX_EXAMPLES,
    seed: int = CONTRACT_SEED,
) -> schemathesis.BaseSchema:
    """The service's schema, loaded from its WSGI app, with every check enabled except those
    its `schemathesis.toml` turns off (the file `schemathesis run` reads in the service's folder,
    so a by-hand run and the test agree on what the contract allows)."""
    config = SchemathesisConfig.from_path(config_path)
    config.update(seed=seed, max_failures=None)
    # No example database: the cases sent depend on the code and the seed alone, not on what
    # earlier runs on this machine found, so CI's fresh clone sends what a developer's run sent.
    config.projects.default.generation.update(max_examples=max_examples, database="none")
    return schemathesis.openapi.from_wsgi(schema_path, get_wsgi_application(), config=config)


def signed_in_as(schema: schemathesis.BaseSchema, *, user_id: uuid.UUID) -> None:
    """Every case `schema` sends carries `user_id`'s access token as a bearer token, minted
    when the first case needs it, not when the tests are collected, and valid far longer than
    the run. (Schemathesis's own `ignored_auth` check also sends each without it.)"""
    from ticketing_shared.testing.tokens import access_token_mint

    @schema.auth()
    class SignedIn:
        def get(self, case, context):
            return access_token_mint(user_id=user_id)

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
