"""The Host allow-list: a service answers only requests addressed to a name it is known by.

A browser page on another site can point its own DNS name at 127.0.0.1 (DNS rebinding) and then
read the mailbox API or move the clock as if it were same-origin; the one thing it cannot change
is the ``Host`` header, which still names the attacker's site. So every service answers only
requests whose Host is a loopback name (``127.0.0.1``, ``localhost``, ``[::1]``, any port), the
address ``koppeling up --host`` binds, or a name given with ``--allowed-host``.
"""

from __future__ import annotations

from collections.abc import Iterable

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: The allowed-host entry that turns the check off (a harness behind a proxy that rewrites Host).
ANY_HOST = "*"


def allowed_names(host: str = "127.0.0.1", extra: Iterable[str] = ()) -> frozenset[str]:
    """Loopback, the bound address and the ``extra`` names. The bound address may be a wildcard
    (``0.0.0.0``): the services then call each other at it, and no rebinding page is named so."""
    return LOOPBACK | {host_name(name) for name in (host, *extra) if name.strip()}


def host_name(header: str) -> str:
    """The name of a Host header value: lower case, without port, brackets or a final dot."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:].partition("]")[0]
    if value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether a request with this Host header may be served; none at all (HTTP/1.0) may."""
    if not header or ANY_HOST in names:
        return True
    return host_name(header) in names
