"""Outbound address policy: the one place that decides which URLs the server may connect to.

Webhooks and remote sources are URLs that tenants or operators type in. Without a check they let anyone
make the server talk to its own loopback services, the cloud metadata endpoint or the private network.
Only public addresses are allowed unless the operator names hosts or CIDR ranges in `outbound_allow`.
The check runs when a URL is saved and again before every request (including each redirect), after a
fresh DNS lookup, so a name that resolves differently later (DNS rebinding) is still caught.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpx

from .errors import RecordError

SCHEMES = ("http", "https")
# Not global per ipaddress, but named explicitly so the intent is clear (CGNAT is not "private").
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class OutboundRefused(RecordError):
    """The URL points somewhere the server must not connect to."""


def mask_url(url: str | None) -> str | None:
    """scheme://host/… : webhook URLs often carry a token in path or query, and userinfo must never show."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}/…"


def _allowed(host: str, addr: ipaddress._BaseAddress | None, allow: Iterable[str]) -> bool:
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        if addr is not None:
            try:
                if addr in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                continue
    return False


def _forbidden(addr: ipaddress._BaseAddress) -> bool:
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped or addr.sixtofour
        if mapped is not None:
            return _forbidden(mapped)
    return (addr.is_loopback or addr.is_link_local or addr.is_private or addr.is_multicast
            or addr.is_reserved or addr.is_unspecified or addr in _CGNAT or not addr.is_global)


def resolve(host: str, port: int) -> list[ipaddress._BaseAddress]:
    """Every address the name resolves to; getaddrinfo also reads forms like 0x7f000001 or 2130706433."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"cannot resolve host {host!r}: {exc}") from exc
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def check_url(url: str, allow: Iterable[str] = (), *, unresolvable_ok: bool = False) -> None:
    """Raise OutboundRefused unless `url` is http(s), has no userinfo and every address of its host is allowed.

    `unresolvable_ok` is for the check when a URL is saved: a name that does not resolve yet is accepted
    there, because the check before each request refuses it if it then resolves somewhere internal.
    """
    allow = tuple(allow)
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise OutboundRefused(f"URL {mask_url(url)} is not valid: {exc}") from exc
    if parts.scheme.lower() not in SCHEMES:
        raise OutboundRefused(f"URL {mask_url(url)} must be http:// or https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise OutboundRefused(f"URL {mask_url(url)} must not contain user:password@ (地址不能包含用户名密码)")
    if not host:
        raise OutboundRefused(f"URL {mask_url(url)} has no host")
    if _allowed(host, None, allow):
        return
    port = port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        addrs = resolve(host, port)
    except OutboundRefused:
        if unresolvable_ok:
            return
        raise
    for addr in addrs:
        if _forbidden(addr) and not _allowed(host, addr, allow):
            raise OutboundRefused(f"URL {mask_url(url)} resolves to {addr}, an internal address "
                                  "(内部地址不允许; operators may allow it with MARKWATCH_OUTBOUND_ALLOW)")


class GuardedTransport(httpx.HTTPTransport):
    """Checks each request's URL (so each redirect hop too) against the policy right before connecting."""

    def __init__(self, allow: Iterable[str] = (), **kwargs):
        super().__init__(**kwargs)
        self.allow = tuple(allow)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            check_url(str(request.url), self.allow)
        except OutboundRefused as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        return super().handle_request(request)


def guarded_client(allow: Iterable[str] = (), *, limits: httpx.Limits | None = None, **kwargs) -> httpx.Client:
    transport = GuardedTransport(allow, **({"limits": limits} if limits is not None else {}))
    return httpx.Client(transport=transport, **kwargs)
