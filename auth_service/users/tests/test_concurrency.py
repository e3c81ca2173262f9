import threading
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection, transaction
from rest_framework.test import APIClient

from ticketing_shared.errors.exceptions import NotAuthorized
from ticketing_shared.testing.concurrency import concurrently
from users.models import User
from users.services import session_end, session_refresh, session_start, user_deactivate
from users.tests.factories import UserFactory

SIGNUPS = 20


@pytest.fixture(autouse=True)
def _signups_from_one_address_allowed(settings):
    # Every thread signs up from the test client's one address; the limit is not under test.
    settings.SIGNUP_MAX_ATTEMPTS_PER_IP = SIGNUPS * 10


@pytest.mark.django_db(transaction=True)
def test_simultaneous_signups_with_one_email_create_one_user():
    def sign_up(n: int) -> int:
        email = "Race@Example.com" if n % 2 else "race@example.com"
        response = APIClient().post(
            "/api/users/signup",
            {"email": email, "password": "a-long-and-unusual-passphrase"},
            format="json",
        )
        return response.status_code

    statuses = concurrently(SIGNUPS, sign_up)

    assert sorted(statuses) == [201] + [400] * (SIGNUPS - 1)
    assert User.objects.filter(email__iexact="race@example.com").count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("ascii_email", "look_alike"),
    [
        ("sam@example.com", "\u017fam@example.com"),  # UPPER() makes the long s an S
        ("ian@example.com", "\u0131an@example.com"),  # UPPER() makes the dotless i an I
    ],
)
def test_simultaneous_signups_of_look_alikes_leave_one_account_that_signs_in(
    ascii_email, look_alike
):
    def sign_up(n: int) -> tuple[str, int]:
        email = look_alike if n % 2 else ascii_email
        response = APIClient().post(
            "/api/users/signup",
            {"email": email, "password": "a-long-and-unusual-passphrase"},
            format="json",
        )
        return email, response.status_code

    outcomes = concurrently(SIGNUPS, sign_up)

    assert [email for email, status in outcomes if status == 201] == [ascii_email]
    assert list(User.objects.values_list("email", flat=True)) == [ascii_email]
    signed_in = APIClient().post(
        "/api/users/signin",
        {"email": ascii_email.upper(), "password": "a-long-and-unusual-passphrase"},
        format="json",
    )
    assert signed_in.status_code == 200


class HashCostingTimeHasher(PBKDF2PasswordHasher):
    """A password check that takes a while (~0.1 s), as production's does (~0.4 s), so that
    every sign-in of a burst is in flight at once; the suite's MD5 takes microseconds."""

    iterations = 250_000


WRONG_PASSWORDS_AT_ONCE = 12


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("limit", "email_of", "address_of"),
    [
        ("SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP", lambda n: "owner", lambda n: "10.7.0.1"),
        ("SIGNIN_MAX_FAILURES_PER_EMAIL", lambda n: "owner", lambda n: f"10.7.0.{n}"),
        ("SIGNIN_MAX_FAILURES_PER_IP", lambda n: f"other{n}", lambda n: "10.7.0.1"),
    ],
    ids=["per email and address", "per email", "per address"],
)
def test_wrong_passwords_sent_at_once_are_held_to_the_limit(settings, limit, email_of, address_of):
    settings.PASSWORD_HASHERS = [f"{__name__}.HashCostingTimeHasher"]
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL_AND_IP = 1000
    settings.SIGNIN_MAX_FAILURES_PER_EMAIL = 1000
    settings.SIGNIN_MAX_FAILURES_PER_IP = 1000
    setattr(settings, limit, 3)
    UserFactory(email="owner@example.com")

    def guess(n: int) -> int:
        response = APIClient().post(
            "/api/users/signin",
            {"email": f"{email_of(n)}@example.com", "password": "wrong-password"},
            format="json",
            REMOTE_ADDR=address_of(n),
        )
        return response.status_code

    statuses = concurrently(WRONG_PASSWORDS_AT_ONCE, guess)

    assert sorted(statuses) == [400] * 3 + [429] * (WRONG_PASSWORDS_AT_ONCE - 3)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _revocation_during_an_open_write(*, write, revoke) -> tuple[bool, object]:
    """Runs `write` in a transaction left open, and `revoke` on another connection meanwhile;
    then lets the write commit. Whether the revocation waited for the write, and what the
    write returned."""
    written: list = []
    wrote, release = threading.Event(), threading.Event()
    revoker_pid: list[int] = []
    revoker_started = threading.Event()
    failures: list[BaseException] = []

    def write_and_hold_the_transaction_open():
        try:
            with transaction.atomic():
                written.append(write())
                wrote.set()
                release.wait(timeout=30)
        except BaseException as error:
            failures.append(error)
            wrote.set()
        finally:
            connection.close()

    def revoke_meanwhile():
        try:
            revoker_pid.append(_backend_pid())
            revoker_started.set()
            revoke()
        except BaseException as error:
            failures.append(error)
            revoker_started.set()
        finally:
            connection.close()

    writer = threading.Thread(target=write_and_hold_the_transaction_open)
    revoker = threading.Thread(target=revoke_meanwhile)
    writer.start()
    try:
        assert wrote.wait(timeout=10)
        revoker.start()
        assert revoker_started.wait(timeout=10)
        deadline = time.monotonic() + 10
        while revoker.is_alive() and not _waits_on_a_lock(revoker_pid[0]):
            assert time.monotonic() < deadline, "the revocation neither finished nor waited"
            time.sleep(0.01)
        waited = revoker.is_alive()
    finally:
        release.set()
        writer.join(timeout=30)
        if revoker.ident is not None:
            revoker.join(timeout=30)
    assert not failures, failures
    return waited, written[0]


def _password_change(user: User) -> None:
    user = User.objects.get(pk=user.pk)
    user.set_password("a-brand-new-passphrase")
    user.save()


def _refused(refresh: str) -> None:
    with pytest.raises(NotAuthorized):
        session_refresh(refresh=refresh)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("revocation", ["sign-out", "password change", "reuse detected"])
def test_a_revocation_racing_a_rotation_waits_for_it_and_ends_the_token_it_minted(
    settings, revocation
):
    """The rotation has minted a token but not committed when the revocation starts: the
    revocation must wait for it and end that token too, or it goes on refreshing a session
    that was ended."""
    settings.JWT_REFRESH_REUSE_SECONDS = 0
    user = UserFactory()
    older = session_start(user=user).refresh
    current = session_refresh(refresh=older)[1].refresh
    revoke = {
        "sign-out": lambda: session_end(refresh=current),
        "password change": lambda: _password_change(user),
        "reuse detected": lambda: _refused(older),
    }[revocation]

    waited, minted = _revocation_during_an_open_write(
        write=lambda: session_refresh(refresh=current)[1].refresh, revoke=revoke
    )

    assert waited
    _refused(minted)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("revocation", ["password change", "deactivation"])
def test_a_revocation_racing_a_sign_in_waits_for_it_and_ends_its_session(revocation):
    user = UserFactory()
    revoke = {
        "password change": lambda: _password_change(user),
        "deactivation": lambda: user_deactivate(user=User.objects.get(pk=user.pk)),
    }[revocation]

    waited, started = _revocation_during_an_open_write(
        write=lambda: session_start(user=user).refresh, revoke=revoke
    )

    assert waited
    _refused(started)
