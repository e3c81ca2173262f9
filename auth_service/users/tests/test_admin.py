import pytest
from django.conf import settings
from django.contrib import admin as django_admin
from django.core.exceptions import BadRequest
from django.test import RequestFactory
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

from users.models import User
from users.services import session_start
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient()
    client.cookies[settings.ACCESS_COOKIE_NAME] = session_start(user=staff).access
    return client


def test_staff_deactivates_users_with_the_action(admin_client):
    user = UserFactory()
    tokens = session_start(user=user)

    response = admin_client.post(
        "/admin/users/users/user/",
        {"action": "deactivate_users", "_selected_action": [str(user.pk)]},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert BlacklistedToken.objects.filter(token__user=user).exists()
    refreshed = APIClient().post("/api/users/refresh", {"refresh": tokens.refresh}, format="json")
    assert refreshed.status_code == 401


def change_form(user: User, **fields) -> dict:
    """What the user's change form posts: the user as they are, but for `fields` (a ticked
    box is "on"; an unticked one is not sent at all)."""
    form = {
        "email": user.email,
        "is_active": "on" if user.is_active else None,
        "is_staff": "on" if user.is_staff else None,
        "is_superuser": "on" if user.is_superuser else None,
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "initial-date_joined_0": "2026-01-01",
        "initial-date_joined_1": "00:00:00",
        **fields,
    }
    return {name: value for name, value in form.items() if value is not None}


def change(admin_client, user: User, **fields):
    return admin_client.post(
        f"/admin/users/users/user/{user.pk}/change/", change_form(user, **fields)
    )


def test_unticking_active_in_the_form_ends_the_sessions(admin_client):
    user = UserFactory()
    tokens = session_start(user=user)

    response = change(admin_client, user, is_active=None)

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.is_active is False
    refreshed = APIClient().post("/api/users/refresh", {"refresh": tokens.refresh}, format="json")
    assert refreshed.status_code == 401


def test_staff_adds_a_user_with_the_password_rules(admin_client):
    weak = admin_client.post(
        "/admin/users/users/user/add/",
        {
            "email": "new@example.com",
            "usable_password": "true",
            "password1": "password",
            "password2": "password",
        },
    )
    strong = admin_client.post(
        "/admin/users/users/user/add/",
        {
            "email": "New@Example.com",
            "usable_password": "true",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
    )

    assert weak.status_code == 200
    assert strong.status_code == 302
    assert User.objects.filter(email__iexact="new@example.com").get().email == "new@example.com"


def test_a_deactivated_staff_token_no_longer_opens_the_admin():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = APIClient()
    client.cookies[settings.ACCESS_COOKIE_NAME] = session_start(user=staff).access
    User.objects.filter(pk=staff.pk).update(is_active=False)

    assert client.get("/admin/users/users/user/").status_code == 302


class TestThePasswordChangeView:
    def change_password(self, admin_client, user, **form):
        return admin_client.post(f"/admin/users/users/user/{user.pk}/password/", form)

    def test_a_new_password_ends_every_session_of_the_user(self, admin_client):
        user = UserFactory()
        sessions = [session_start(user=user) for _ in range(2)]

        response = self.change_password(
            admin_client,
            user,
            usable_password="true",
            password1="a-brand-new-passphrase",
            password2="a-brand-new-passphrase",
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        user.refresh_from_db()
        assert user.check_password("a-brand-new-passphrase")
        for tokens in sessions:
            refreshed = APIClient().post(
                "/api/users/refresh", {"refresh": tokens.refresh}, format="json"
            )
            assert refreshed.status_code == 401

    def test_disabling_password_sign_in_ends_every_session_too(self, admin_client):
        user = UserFactory()
        tokens = session_start(user=user)

        response = self.change_password(
            admin_client, user, usable_password="false", **{"unset-password": "Disable"}
        )

        assert response.status_code == 302, response.content.decode()[:2000]
        user.refresh_from_db()
        assert not user.has_usable_password()
        refreshed = APIClient().post(
            "/api/users/refresh", {"refresh": tokens.refresh}, format="json"
        )
        assert refreshed.status_code == 401


class TestEmailsInTheAdmin:
    def add(self, admin_client, email):
        return admin_client.post(
            "/admin/users/users/user/add/",
            {
                "email": email,
                "usable_password": "true",
                "password1": "a-long-and-unusual-passphrase",
                "password2": "a-long-and-unusual-passphrase",
            },
        )

    def test_a_look_alike_is_refused(self, admin_client):
        response = self.add(admin_client, "\u017fam@example.com")

        assert response.status_code == 200
        assert "Email must be valid" in response.content.decode()
        assert not User.objects.filter(email__startswith="\u017f").exists()

    def test_another_spelling_of_a_taken_email_is_refused(self, admin_client):
        UserFactory(email="sam@example.com")

        response = self.add(admin_client, " SAM@Example.com")

        assert response.status_code == 200
        assert "already exists" in response.content.decode()
        assert User.objects.filter(email="sam@example.com").count() == 1

    def test_the_change_form_stores_the_normalized_email(self, admin_client):
        user = UserFactory()

        response = change(admin_client, user, email="Moved@Example.COM")

        assert response.status_code == 302, response.content.decode()[:2000]
        user.refresh_from_db()
        assert user.email == "moved@example.com"


class TestRequestsNoAdminPageAnswersWith500:
    """Staff can type any query into the user list's address and post any action form; what
    the list's filters and search never send is refused (400), not handed to the database."""

    @pytest.fixture
    def staff_client(self):
        staff = UserFactory(is_staff=True, is_superuser=True)
        client = APIClient(raise_request_exception=False)
        client.cookies[settings.ACCESS_COOKIE_NAME] = session_start(user=staff).access
        return client

    @pytest.mark.parametrize(
        "query",
        [
            "email__regex=(",
            "id__regex=(",
            "email=a%00",
            "email__startswith=a%00",
            "date_joined__year=99999999999",
            "password__startswith=pbkdf2",
        ],
    )
    def test_a_lookup_the_list_never_sends(self, staff_client, query):
        response = staff_client.get(f"/admin/users/users/user/?{query}")

        assert response.status_code == 400

    @pytest.mark.parametrize(
        "query", ["is_active__exact=maybe", "q=a%00", "p=99999999999999999999", "o=99"]
    )
    def test_odd_values_for_what_the_list_sends(self, staff_client, query):
        response = staff_client.get(f"/admin/users/users/user/?{query}")

        assert response.status_code < 500

    @pytest.mark.parametrize(
        "query",
        ["is_active__exact=1", "is_staff__exact=0", "is_superuser__isnull=False", "q=person"],
    )
    def test_the_filters_and_search_still_work(self, staff_client, query):
        UserFactory()

        response = staff_client.get(f"/admin/users/users/user/?{query}")

        assert response.status_code == 200

    @pytest.mark.parametrize("selected", ["not-a-uuid", "a\x00"])
    def test_an_action_on_a_user_id_that_is_no_id(self, staff_client, selected):
        user = UserFactory()

        response = staff_client.post(
            "/admin/users/users/user/",
            {"action": "deactivate_users", "_selected_action": [str(user.pk), selected]},
        )

        assert response.status_code == 400
        user.refresh_from_db()
        assert user.is_active is True


class TestTheUserAdminItselfRefuses:
    """The user admin refuses what the list never sends itself, before the shared middleware
    that turns such failures of any view into a 400 would have to."""

    @pytest.fixture
    def user_admin(self):
        return django_admin.site._registry[User]

    @pytest.mark.parametrize("lookup", ["email__regex", "id__regex", "email", "date_joined__year"])
    def test_lookups_outside_the_filters(self, user_admin, lookup):
        assert user_admin.lookup_allowed(lookup, "(", RequestFactory().get("/")) is False

    @pytest.mark.parametrize("lookup", ["is_active__exact", "is_staff__isnull"])
    def test_the_filters_lookups(self, user_admin, lookup):
        assert user_admin.lookup_allowed(lookup, "1", RequestFactory().get("/")) is True

    def test_an_action_on_something_that_is_no_user_id(self, user_admin):
        request = RequestFactory().post(
            "/", {"action": "deactivate_users", "_selected_action": ["not-a-uuid"]}
        )

        with pytest.raises(BadRequest):
            user_admin.response_action(request, User.objects.all())
