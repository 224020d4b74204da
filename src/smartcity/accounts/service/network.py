"""Who the client is: the peer address, or X-Forwarded-For only when the peer is a configured proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

from smartcity.accounts.config import AccountsSettings
from smartcity.core.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _is_trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(settings: Settings, *, peer: str | None, headers: Mapping[str, str]) -> str | None:
    """The client's address for throttling and audit.

    X-Forwarded-For is believed only when the direct peer is in SMARTCITY_ACCOUNTS_TRUSTED_PROXIES (empty by
    default: nobody is trusted). The list is read from the right, skipping trusted proxies; the first
    address that is not one is the client. A malformed entry stops the walk at the last trusted hop.
    """
    networks = _networks(settings.section(AccountsSettings).trusted_proxies)
    if peer is None or not networks or not _is_trusted(peer, networks):
        return peer
    client = peer
    hops = [hop.strip() for hop in headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return client
        client = hop
        if not _is_trusted(hop, networks):
            return hop
    return client
