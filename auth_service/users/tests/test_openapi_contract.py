"""Auth's OpenAPI schema is a contract: every answer to what schemathesis sends, under all of its
checks, is one the schema documents.

One check is off, in schemathesis.toml beside manage.py: `unsupported_method` wants 405 for a
method an operation does not document, and the contract answers it with 404 in the error format.
The same file lets sign-in and sign-up answer 400 to schema-valid input (wrong credentials, a
taken email, a common password) and sign-out 200 to schema-invalid input (it has no error case),
so this test and a by-hand run against a server agree.
"""

from pathlib import Path

import pytest

from ticketing_shared.testing.schema_contract import service_schema_contract

AUTH_SERVICE_DIR = Path(__file__).resolve().parents[2]

schema = service_schema_contract(
    schema_path="/api/users/schema", config_path=AUTH_SERVICE_DIR / "schemathesis.toml"
)

LIMIT_NEVER_REACHED = 1_000_000


@pytest.fixture
def _limits_out_of_reach(settings):
    # Every case comes from one client address: at the real limits 429 would answer most
    # sign-ins and sign-ups, and the answers behind it would go unchecked. The limits have
    # their own tests (test_throttles.py).
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = LIMIT_NEVER_REACHED
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = LIMIT_NEVER_REACHED
    settings.SIGNIN_MAX_FAILURES_PER_IP = LIMIT_NEVER_REACHED
    settings.SIGNUP_MAX_ATTEMPTS_PER_IP = LIMIT_NEVER_REACHED


@schema.parametrize()
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_limits_out_of_reach")
def test_every_answer_is_one_the_schema_documents(case):
    case.call_and_validate()
