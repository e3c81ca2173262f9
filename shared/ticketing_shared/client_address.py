"""Who the client is, for the limits a service counts per client.

`client_ip` reads the address the outermost trusted proxy saw; `address_for_limits` turns it
into the client a limit counts: one IPv4 address, or one IPv6 /64 network. A single IPv6
client (a home connection, a cloud server) is usually handed a whole /64 and can send from any
of its 2^64 addresses, which would otherwise each get a fresh count.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The caller's address, trusting as many `X-Forwarded-For` hops as there are proxies
    (`TRUSTED_PROXY_COUNT`).

    Each proxy appends the address it was reached from, so the client is the entry the
    outermost trusted proxy added: the `TRUSTED_PROXY_COUNT`-th from the right. Entries to its
    left are whatever the client chose to send. Without proxies the header is ignored.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def address_for_limits(ip: str) -> str:
    """The client a limit counts `ip` as: an IPv4 address as itself (also when written as
    IPv6, `::ffff:a.b.c.d`), an IPv6 address as its /64 network, anything else as the string
    it is."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    # From the integer, so a zone (`fe80::1%eth0`) names no network of its own.
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
