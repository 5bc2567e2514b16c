"""Refuse requests that leave the public web or the crawl's domains, on every hop including redirects.

A news page (or a redirect it answers with) must not make the crawler reach internal services:
cloud metadata at 169.254.169.254, admin panels on 10.x, a database on localhost. Each request's host
is resolved (all A/AAAA records) before it is sent and refused unless every address is globally
routable; the address the connection actually used is checked again on the response, which catches a
DNS answer that changed in between. Redirect hops must also stay inside the spider's allowed domains,
even for requests marked `dont_filter` (Scrapy's offsite check skips those).

`ALLOW_PRIVATE_ADDRESSES` is `false` (default), `true` (no address check: tests, trusted networks),
or a comma-separated list of networks that may be reached (`10.20.0.0/16,127.0.0.1/32`: an intranet
mirror), every other non-public address staying refused.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from typing import TYPE_CHECKING, NoReturn

from twisted.internet.threads import deferToThread

from scrapy.exceptions import IgnoreRequest

from pipeline.config import ConfigError
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_CACHE_SECONDS = 300.0


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address (not private, loopback, link-local, reserved...)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def resolve_host(host: str, port: int | None) -> list[IPAddress]:
    """Every address the system resolver returns for `host` (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port or 80, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def allowed_private_networks(value: object) -> tuple[IPNetwork, ...] | None:
    """`ALLOW_PRIVATE_ADDRESSES` read: None when every address may be reached, else the networks allowed."""
    text = str(value).strip().lower() if value is not None else ""
    if value is True or text in ("true", "1", "yes", "on"):
        return None
    if value is False or text in ("", "false", "0", "no", "off", "none"):
        return ()
    try:
        return tuple(ipaddress.ip_network(part.strip()) for part in str(value).split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(
            f"ALLOW_PRIVATE_ADDRESSES must be true, false or comma-separated networks (10.0.0.0/8,...): {exc}"
        ) from exc


def host_allowed(host: str, allowed_domains: list[str] | tuple[str, ...]) -> bool:
    """True when `host` is one of `allowed_domains` or a subdomain of one (no list: anything)."""
    if not allowed_domains:
        return True
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in (d.lower().rstrip(".") for d in allowed_domains))


class HopGuardMiddleware:
    """Downloader middleware: http(s) only, redirects inside allowed domains, public addresses only."""

    def __init__(self, crawler: Crawler, private_networks: tuple[IPNetwork, ...] | None) -> None:
        self.crawler = crawler
        self.allow_private = private_networks is None  # no address check at all
        self.private_networks = private_networks or ()
        self._resolved: dict[tuple[str, int | None], tuple[float, list[IPAddress]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, allowed_private_networks(crawler.settings.get("ALLOW_PRIVATE_ADDRESSES")))

    @property
    def stats(self) -> StatsCollector:
        return self.crawler.stats

    async def process_request(self, request: Request) -> None:
        url = urlparse_cached(request)
        if url.scheme not in ("http", "https"):
            self._refuse("scheme", f"scheme {url.scheme!r} is not crawled: {request.url}")
        host = url.hostname or ""
        if request.meta.get("redirect_urls"):
            allowed = getattr(self.crawler.spider, "allowed_domains", None) or ()
            if not host_allowed(host, allowed):
                self._refuse("offsite_redirect", f"redirect to {host!r} leaves the allowed domains: {request.url}")
        if self.allow_private:
            return
        addresses = await self._addresses(host, url.port)
        blocked = [str(a) for a in addresses if not self._reachable(a)]
        if blocked:
            self._refuse("private_address", f"{host!r} resolves to non-public {', '.join(blocked)}: {request.url}")

    def process_response(self, request: Request, response: Response) -> Response:
        address = getattr(response, "ip_address", None)
        if self.allow_private or address is None or self._reachable(address):
            return response
        self._refuse("private_address", f"connected to non-public {address}: {request.url}")

    def _reachable(self, address: IPAddress) -> bool:
        return is_public_address(address) or any(address in network for network in self.private_networks)

    async def _addresses(self, host: str, port: int | None) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host)]  # a literal needs no lookup (nor a thread)
        except ValueError:
            pass
        key = (host, port)
        cached = self._resolved.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            addresses = await maybe_deferred_to_future(deferToThread(resolve_host, host, port))
        except OSError as exc:
            # The download then fails as an ordinary DNS error and is counted like any other; should
            # its own lookup succeed after all, process_response still checks the address it used.
            logger.debug("could not resolve %s: %s", host, exc)
            return []
        self._resolved[key] = (time.monotonic() + _CACHE_SECONDS, addresses)
        return addresses

    def _refuse(self, reason: str, message: str) -> NoReturn:
        self.stats.inc_value(f"netguard/refused/{reason}")
        logger.info("Refused: %s", message)
        raise IgnoreRequest(message)
