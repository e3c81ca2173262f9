import pytest
from django.test import RequestFactory

from ticketing_shared.client_address import address_for_limits, client_ip


def request_from(remote_addr: str = "10.1.1.1", forwarded_for: str | None = None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **headers)


class TestClientIp:
    """Which `X-Forwarded-For` entry is the client: the one the outermost trusted proxy saw.
    Entries to its left are whatever the client chose to send."""

    @pytest.mark.parametrize(
        ("proxies", "forwarded_for", "client"),
        [
            (1, "spoofed, 203.0.113.9", "203.0.113.9"),
            (1, "203.0.113.9", "203.0.113.9"),
            (2, "spoofed, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
            (2, "203.0.113.9,10.0.0.7", "203.0.113.9"),
            (3, "a, b, 203.0.113.9, 10.0.0.7, 10.0.0.8", "203.0.113.9"),
        ],
    )
    def test_the_entry_the_outermost_trusted_proxy_added(
        self, settings, proxies, forwarded_for, client
    ):
        settings.TRUSTED_PROXY_COUNT = proxies

        assert client_ip(request_from(forwarded_for=forwarded_for)) == client

    def test_without_proxies_the_header_is_ignored(self, settings):
        settings.TRUSTED_PROXY_COUNT = 0

        assert client_ip(request_from("10.1.1.1", forwarded_for="203.0.113.9")) == "10.1.1.1"

    def test_fewer_entries_than_proxies_is_the_connection_s_address(self, settings):
        settings.TRUSTED_PROXY_COUNT = 2

        assert client_ip(request_from("10.1.1.1", forwarded_for="203.0.113.9")) == "10.1.1.1"

    def test_behind_proxies_without_the_header(self, settings):
        settings.TRUSTED_PROXY_COUNT = 1

        assert client_ip(request_from("10.1.1.1")) == "10.1.1.1"


class TestAddressForLimits:
    @pytest.mark.parametrize(
        ("ip", "counted"),
        [
            ("192.0.2.10", "192.0.2.10"),
            ("::ffff:192.0.2.10", "192.0.2.10"),
            ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
            ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
            ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
            ("fe80::1%eth0", "fe80::/64"),
            ("not-an-ip", "not-an-ip"),
            ("", ""),
        ],
    )
    def test_the_client_each_address_counts_as(self, ip, counted):
        assert address_for_limits(ip) == counted

    def test_ipv4_neighbours_count_apart(self):
        assert address_for_limits("192.0.2.10") != address_for_limits("192.0.2.11")
