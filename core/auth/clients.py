"""Where a request came from, for the throttle and the activity log.

The address is the peer of the WebSocket connection, which behind a reverse proxy is the proxy. Only when
`TRUSTED_PROXY_COUNT` says how many proxies stand in front is X-Forwarded-For believed, and then only the entry
the outermost trusted proxy appended (the ones to its left are whatever the client chose to send).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    """An IP address (None for this machine) and the browser's user agent."""

    address: str | None = None
    user_agent: str | None = None

    @property
    def key(self) -> str:
        """The throttle key: the address, or `local` for connections from this machine."""
        return self.address or "local"


def _address(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((text or "").strip())) if text else None
    except ValueError:
        return None


def client_from_request(
    peer: str | None, forwarded_for: str | None, user_agent: str | None, trusted_proxies: int = 0
) -> Client:
    """The client of a request whose connection came from `peer` with these headers."""
    address = _address(peer)
    if trusted_proxies and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if len(hops) >= trusted_proxies:
            address = _address(hops[-trusted_proxies]) or address
    if address in ("127.0.0.1", "::1"):
        address = None
    return Client(address, (user_agent or "")[:200] or None)
