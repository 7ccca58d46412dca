"""The destination guard: a webhook must not become a probe of the internal network.

Every address the host resolves to is checked (a name with one public and one private address is
refused), including IPv4 addresses mapped into IPv6 and the NAT64 prefix. Refused: private,
loopback, link-local (cloud metadata lives at 169.254.169.254), multicast, reserved, unspecified
and carrier-grade NAT ranges. The worker checks before every attempt, not only when the endpoint
is saved, because DNS answers change; and it never follows a redirect, which could otherwise
point anywhere. An operator may allow private destinations (``TASTEMAKER_WEBHOOK_ALLOW_PRIVATE``),
e.g. a CMS on the same network; the tests use that to reach their local receiver.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from tastemaker.errors import InvalidInput

Resolver = Callable[[str, int], list[str]]
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (A and AAAA)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: str) -> bool:
    """True when ``address`` is a globally routable unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        if ip in _NAT64:
            return is_public(str(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return False
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(url: str) -> tuple[str, int]:
    """The host and port of an http(s) ``url``; InvalidInput for any other shape."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("a webhook URL must start with http:// or https://", field="url")
    if not parts.hostname:
        raise InvalidInput("a webhook URL needs a host", field="url")
    if parts.username or parts.password:
        raise InvalidInput("put credentials in headers, not in the webhook URL", field="url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidInput("the webhook URL has an invalid port", field="url") from None
    return parts.hostname, port


def check_destination(
    url: str, *, allow_private: bool = False, resolver: Resolver = resolve
) -> list[str]:
    """Refuse ``url`` unless every address of its host is public (or private ones are allowed).

    Returns the resolved addresses. Raises :class:`InvalidInput` (``field="url"``) when the URL
    is malformed, the host does not resolve, or an address is not public.
    """
    host, port = check_url(url)
    try:
        addresses = resolver(host, port)
    except OSError as exc:
        raise InvalidInput(
            f"the webhook host {host!r} does not resolve: {exc}", field="url"
        ) from None
    if not addresses:
        raise InvalidInput(f"the webhook host {host!r} has no address", field="url")
    if not allow_private:
        blocked = [a for a in addresses if not is_public(a)]
        if blocked:
            raise InvalidInput(
                f"the webhook host {host!r} resolves to a private, loopback or link-local "
                f"address ({', '.join(blocked)}); an operator must allow private destinations",
                field="url",
            )
    return addresses


def pin(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """``url`` rewritten to connect to ``address``, with the ``Host`` header and the TLS server
    name (httpx's ``sni_hostname`` extension, also used to verify the certificate) kept as the
    original host. Returns ``(url, headers, extensions)``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {"host": host_header}, extensions
