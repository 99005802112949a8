"""Outbound address policy: the one place that decides which URLs the server may connect to.

Webhooks and remote sources are URLs that tenants or operators type in. Without a check they let anyone
make the server talk to its own loopback services, the cloud metadata endpoint or the private network.
Only public addresses are allowed unless the operator names hosts or CIDR ranges in `outbound_allow`.
The check runs when a URL is saved and again for every connection (including each redirect hop), after
a fresh DNS lookup; the connection is then made to the very address that was checked, so a name that
resolves differently later (DNS rebinding), even between the check and the connect, is still caught.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

import httpcore
import httpx

from markwatch.errors import RecordError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
# Not global per ipaddress, but named explicitly so the intent is clear (CGNAT is not "private").
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


class OutboundRefused(RecordError):
    """The URL points somewhere the server must not connect to."""


class Unresolvable(OutboundRefused):
    """The host name does not resolve (now)."""


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


def _allowed(host: str, addr: IPAddress | None, allow: Iterable[str]) -> bool:
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


def _forbidden(addr: IPAddress) -> bool:
    if isinstance(addr, ipaddress.IPv6Address):
        mapped = addr.ipv4_mapped or addr.sixtofour
        if mapped is not None:
            return _forbidden(mapped)
    return (addr.is_loopback or addr.is_link_local or addr.is_private or addr.is_multicast
            or addr.is_reserved or addr.is_unspecified or addr in _CGNAT or not addr.is_global)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the name resolves to; getaddrinfo also reads forms like 0x7f000001 or 2130706433."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unresolvable(f"cannot resolve host {host!r}: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _check_form(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL without userinfo; OutboundRefused otherwise."""
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
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


def checked_addresses(host: str, port: int, allow: Iterable[str] = (), *,
                      what: str | None = None) -> list[IPAddress] | None:
    """The addresses of `host` a connection may use; None when the operator allows the host by name.

    Raises OutboundRefused when the name does not resolve or any of its addresses is internal and not
    in the allow list (one bad address is enough: the resolver may hand out any of them).
    """
    allow = tuple(allow)
    if _allowed(host, None, allow):
        return None
    addrs = resolve(host, port)
    for addr in addrs:
        if _forbidden(addr) and not _allowed(host, addr, allow):
            raise OutboundRefused(f"{what or f'host {host}'} resolves to {addr}, an internal address "
                                  "(内部地址不允许; operators may allow it with MARKWATCH_OUTBOUND_ALLOW)")
    return addrs


def check_url(url: str, allow: Iterable[str] = (), *, unresolvable_ok: bool = False) -> None:
    """Raise OutboundRefused unless `url` is http(s), has no userinfo and every address of its host is allowed.

    `unresolvable_ok` is for the check when a URL is saved: a name that does not resolve yet is accepted
    there, because the check at each connection refuses it if it then resolves somewhere internal.
    """
    host, port = _check_form(url)
    try:
        checked_addresses(host, port, allow, what=f"URL {mask_url(url)}")
    except Unresolvable:
        if not unresolvable_ok:
            raise


class GuardedBackend(httpcore.SyncBackend):
    """Opens each TCP connection to an address the policy has just checked, never to the result of a
    second lookup of the name (which a rebinding DNS server could point at 127.0.0.1)."""

    def __init__(self, allow: Iterable[str] = ()):
        self.allow = tuple(allow)

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options=None) -> httpcore.NetworkStream:
        try:
            addrs = checked_addresses(host, port, self.allow)
        except OutboundRefused as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        if addrs is None:  # allowed by name: the operator trusts whatever it resolves to
            return super().connect_tcp(host, port, timeout, local_address, socket_options)
        last: Exception | None = None
        for addr in dict.fromkeys(addrs):  # in the resolver's order, like socket.create_connection
            try:
                return super().connect_tcp(str(addr), port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # resolve() returns at least one address or raises
        raise last


class GuardedTransport(httpx.HTTPTransport):
    """Checks each request's URL (so each redirect hop too) and each connection's address against the policy."""

    def __init__(self, allow: Iterable[str] = (), **kwargs):
        super().__init__(**kwargs)
        self.allow = tuple(allow)
        # httpx builds the connection pool itself; its connections must go through the guarded backend
        if not hasattr(self._pool, "_network_backend"):  # pragma: no cover - an httpcore without the hook
            raise RuntimeError("this httpcore version does not let markwatch check outbound connections")
        self._pool._network_backend = GuardedBackend(self.allow)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            _check_form(str(request.url))
        except OutboundRefused as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        return super().handle_request(request)


def guarded_client(allow: Iterable[str] = (), *, limits: httpx.Limits | None = None, **kwargs) -> httpx.Client:
    transport = GuardedTransport(allow, **({"limits": limits} if limits is not None else {}))
    return httpx.Client(transport=transport, **kwargs)
