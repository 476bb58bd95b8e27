"""The client's IP address, the one way every part of the site reads it (rate limits, allauth's limits and
sessions, what comments and votes store for abuse handling).

Behind a load balancer every request comes from the balancer's address, and the client's is in
``X-Forwarded-For``, a header any client may also send with made-up addresses. So the header is believed
only as far as our own proxies wrote it: ``TRUSTED_PROXIES`` (settings, from the environment) lists their
addresses or networks (``10.0.0.0/8``, ``192.0.2.7``). The client is ``REMOTE_ADDR`` unless that is a
trusted proxy; then, reading ``X-Forwarded-For`` from the right (each proxy appends the address it got the
request from), the first address that is not a trusted proxy. What a client put at the left of the header
is never reached while our proxies' entries are honest. An entry that is not an IP address stops the walk:
the address is then the last trusted hop's (garbage cannot move the walk on into client-written entries).
"""

import functools
import ipaddress

from django.conf import settings


@functools.lru_cache(maxsize=8)
def _networks(entries):
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def trusted_networks():
    """``TRUSTED_PROXIES`` as networks (a single address is a /32 or /128)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def parse_ip(value):
    """``value`` as an IP address (an IPv4-mapped IPv6 address as IPv4; a port or IPv6 brackets dropped),
    or None when it is not one."""
    value = (value or "").strip()
    if not value:
        return None
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 203.0.113.9:5678
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(address, networks=None):
    networks = trusted_networks() if networks is None else networks
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request):
    """The client's address as a string, or None when the request has no usable ``REMOTE_ADDR``."""
    address = parse_ip(request.META.get("REMOTE_ADDR"))
    if address is None:
        return None
    networks = trusted_networks()
    if not networks or not is_trusted(address, networks):
        return str(address)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for entry in reversed(forwarded.split(",")):
        if not entry.strip():
            continue
        candidate = parse_ip(entry)
        if candidate is None:
            break
        address = candidate
        if not is_trusted(candidate, networks):
            break
    return str(address)
