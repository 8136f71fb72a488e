"""Outbound HTTP for WEBHOOK actions, made safe (issue 10): no SSRF, no port scanner.

:func:`call` is the one way crmflow calls a URL a user typed. Its rules:

* Only ``http`` and ``https``. Plain ``http`` only when ``WEBHOOK_ALLOW_HTTP`` is true, or when
  every address of the target is on the allow-list (below).
* The host is resolved once (``socket.getaddrinfo``, which also normalises literal IPs in decimal,
  hex or short forms such as ``http://2130706433/``) and the call is refused when ANY address is
  not a public unicast address: loopback, private, link-local (169.254.169.254, the metadata
  service), carrier-grade NAT, multicast, reserved, unspecified... IPv4 embedded in IPv6 is judged
  as IPv4 (IPv4-mapped ``::ffff:127.0.0.1``, 6to4, Teredo); NAT64 ``64:ff9b::/96`` is blocked.
* The connection goes to the address that was vetted, never to a second resolution (no DNS
  rebinding), while the Host header and TLS SNI/certificate check use the host name.
* Redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop vetted the same way;
  303 (and 301/302 after a POST) continue as a GET without the body, as browsers and urllib do.
* The whole call, redirects and reading included, takes at most ``timeout`` seconds, and at most
  ``max_bytes`` of the answer are read (a larger answer comes back cut, ``truncated``; one that
  announces a larger Content-Length is not read at all). A watchdog cuts the connection when the
  time is up, so a server dripping bytes cannot hold the call (name resolution is the system's).
* Errors say nothing about what answered: :class:`Blocked` ("blocked: private address", "blocked:
  scheme not allowed", "blocked: plain http not allowed"); refused, reset, timed out, TLS failure,
  garbage instead of HTTP and unknown names are all one :class:`Transient` "unreachable"; an HTTP
  answer is "HTTP 429"/"HTTP 5xx" (:class:`Transient`) or "HTTP 4xx" (:class:`Permanent`), since
  the partner did answer. Environment proxies are not used: the call goes straight to the target.

The allow-list, ``WEBHOOK_ALLOWED_PRIVATE``, holds comma-separated CIDRs (``10.1.0.0/16``) or host
names (``crm-bridge.internal``, whose addresses may then be private). Its default is empty on AWS.
On the embedded runtime (``CRMFLOW_LOCAL_TOKENS``, set by ``Runtime.__init__`` and never on AWS)
an empty allow-list means ``127.0.0.1/32`` and plain http is allowed: test servers on 127.0.0.1
answer, while 10/8, 169.254.169.254, ``::1`` and the rest stay blocked there too. The template's
``WebhookAllowedPrivate`` parameter sets it (the embedded runtime writes the template's variables
over the environment: use ``Runtime(parameters={"WebhookAllowedPrivate": ...})`` there).

Rate limit (:func:`take_rate_slot`, ``WEBHOOK_RATE_PER_MINUTE``, default 60): one item per workflow
in the Config table, ``pk=WEBHOOK_RATE#{workflowId}``, ``sk=MINUTE``, holding the current minute of
``crmflow.clock.now()`` and the calls made in it. A call counts itself only while the item is on the
current minute and under the limit; the first call of a new minute moves the item to that minute.
Both are conditional updates, so concurrent Lambdas never exceed the limit. The item is reused
minute after minute, so it needs no TTL and never piles up (one item per workflow, for good).
Over the limit the WEBHOOK action holds the record until the next minute and runs again (an
Outcome with ``stay``), rather than raising TransientActionError: the state machine's 4 retries
(2 s x 3^n, full jitter) may all fall in the same minute and end in "gave up", and a held record
should not use up the retries meant for a failing partner.
"""

import contextlib
import http.client
import ipaddress
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from botocore.exceptions import ClientError

from crmflow import clock
from crmflow.config import get_settings
from crmflow.dynamo import db

MAX_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)
LOCAL_ALLOWED = "127.0.0.1/32"  # the embedded runtime's allow-list when none is set

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# not public, though ``is_global`` says so on some Python versions
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(net) for net in ("100.64.0.0/10", "192.0.0.0/24", "64:ff9b::/96", "64:ff9b:1::/48")
)


class OutboundError(Exception):
    """A call that did not succeed; ``reason`` is safe to log and show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Blocked(OutboundError):
    """The target is not allowed (scheme, plain http, a private address): nothing was sent."""


class Transient(OutboundError):
    """Worth retrying: unreachable (refused, timeout, DNS...), HTTP 429 or 5xx."""


class Permanent(OutboundError):
    """Will not go away: HTTP 4xx (but 429), too many redirects, a malformed URL."""


UNREACHABLE = "unreachable"
BLOCKED_PRIVATE = "blocked: private address"
BLOCKED_SCHEME = "blocked: scheme not allowed"
BLOCKED_HTTP = "blocked: plain http not allowed"


@dataclass(frozen=True)
class Policy:
    """What may be called besides public https targets."""

    allowed_networks: tuple[IPNetwork, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    allow_http: bool = False

    @classmethod
    def parse(cls, allowed_private: str = "", allow_http: bool = False) -> "Policy":
        """``allowed_private``: comma-separated CIDRs or host names (a bare IP is a /32 or /128)."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in (part.strip() for part in allowed_private.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(tuple(networks), frozenset(hosts), allow_http)

    @classmethod
    def from_settings(cls) -> "Policy":
        """This deployment's policy (defaults differ on the embedded runtime, see the module doc)."""
        settings = get_settings()
        allowed = settings.webhook_allowed_private.strip()
        if not allowed and settings.local_tokens:
            allowed = LOCAL_ALLOWED
        allow_http = settings.webhook_allow_http
        return cls.parse(allowed, settings.local_tokens if allow_http is None else allow_http)

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether the allow-list lets ``host`` at ``address`` be called though it is not public."""
        address = _unmapped(address)
        if host.lower().rstrip(".") in self.allowed_hosts:
            return True
        return any(address.version == net.version and address in net for net in self.allowed_networks)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    truncated: bool = False  # the answer was larger than ``max_bytes``: ``body`` is cut (or empty)


@dataclass(frozen=True)
class Target:
    """A vetted URL: connect to ``addresses`` (nothing else), name ``host`` in Host and SNI."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: list[tuple[int, Any]] = field(default_factory=list)  # (family, sockaddr)


# ---------------------------------------------------------------- vetting
def _unmapped(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _embedded(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        found += list(address.teredo)
    return [v4 for v4 in found if v4 is not None]


def is_public(address: IPAddress) -> bool:
    """A global unicast address (IPv4 inside IPv6 is judged as IPv4)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if address.is_site_local or not all(is_public(v4) for v4 in _embedded(address)):
            return False
    return (
        address.is_global
        and not address.is_private
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
        and not any(address.version == net.version and address in net for net in _NOT_PUBLIC)
    )


def _resolve(host: str, port: int) -> list[tuple[int, Any]]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as error:  # gaierror is an OSError: an unknown name
        raise Transient(UNREACHABLE) from error
    addresses: list[tuple[int, Any]] = [(family, sockaddr) for family, _, _, _, sockaddr in infos]
    if not addresses:
        raise Transient(UNREACHABLE)
    return addresses


def vet(url: str, policy: Policy) -> Target:
    """Check ``url`` against the rules and resolve it; raises :class:`Blocked` (or Transient when
    the name does not resolve, Permanent when the URL is malformed)."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise Blocked(BLOCKED_SCHEME)
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        if not host:
            raise Permanent("malformed URL")
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except (ValueError, UnicodeError) as error:
        raise Permanent("malformed URL") from error
    addresses = _resolve(host, port)
    listed = []
    for _, sockaddr in addresses:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        allowed = policy.allows(host, address)
        if not allowed and not is_public(address):
            raise Blocked(BLOCKED_PRIVATE)
        listed.append(allowed)
    if scheme == "http" and not policy.allow_http and not all(listed):
        raise Blocked(BLOCKED_HTTP)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme, host, port, path, addresses)


# ---------------------------------------------------------------- the call
class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise Transient(UNREACHABLE)
        return remaining


def _connect(addresses: list[tuple[int, Any]], deadline: _Deadline) -> socket.socket:
    failure: OSError | None = None
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.left())
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            sock.close()
            failure = error
    raise Transient(UNREACHABLE) from failure


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to an address vetted beforehand (the host name is not resolved again)."""

    def __init__(self, target: Target, deadline: _Deadline) -> None:
        super().__init__(target.host, target.port, timeout=deadline.left())
        self._target, self._deadline = target, deadline
        self.opened: socket.socket | None = None  # kept: http.client drops ``sock`` on will_close

    def connect(self) -> None:
        self.sock = self.opened = _connect(self._target.addresses, self._deadline)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a vetted address; SNI and the certificate check use the host name."""

    def __init__(self, target: Target, deadline: _Deadline, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=deadline.left(), context=context)
        self._target, self._deadline, self._tls = target, deadline, context
        self.opened: socket.socket | None = None

    def connect(self) -> None:
        sock = _connect(self._target.addresses, self._deadline)
        try:
            self.sock = self.opened = self._tls.wrap_socket(sock, server_hostname=self._target.host)
        except BaseException:
            sock.close()
            raise


def _read(
    response: http.client.HTTPResponse, sock: socket.socket | None, deadline: _Deadline, limit: int
) -> tuple[bytes, bool]:
    announced = response.getheader("Content-Length")
    if announced is not None and announced.strip().isdigit() and int(announced) > limit:
        return b"", True  # refused unread
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        left = deadline.left()  # checked before every read: dripped bytes cannot extend the call
        if sock is not None:
            sock.settimeout(left)
        chunk = response.read1(min(64 * 1024, limit + 1 - size))  # one recv: no waiting to fill
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    deadline.left()  # the watchdog cut the answer short: a timeout, not the whole body
    body = b"".join(chunks)
    return body[:limit], size > limit


def _abort(connection: "_PinnedHTTP | _PinnedHTTPS") -> None:
    """The total time is up: cut the connection, so a server that drips bytes cannot hold us."""
    sock = connection.opened
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _status_error(status: int) -> OutboundError:
    if status == 429 or status >= 500:
        return Transient(f"HTTP {status}")
    return Permanent(f"HTTP {status}")


def call(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = 10.0,
    max_bytes: int = MAX_BYTES,
    policy: Policy | None = None,
    tls: ssl.SSLContext | None = None,
) -> Response:
    """Make one outbound request by the rules of this module; answers a 2xx :class:`Response` or
    raises :class:`Blocked`, :class:`Transient` or :class:`Permanent`. ``policy`` defaults to this
    deployment's (:meth:`Policy.from_settings`), ``tls`` to the system's trust store."""
    policy = policy if policy is not None else Policy.from_settings()
    deadline = _Deadline(timeout)
    context = tls or ssl.create_default_context()
    method = method.upper()
    headers = dict(headers or {})
    for hop in range(MAX_REDIRECTS + 1):
        target = vet(url, policy)
        connection: _PinnedHTTP | _PinnedHTTPS = (
            _PinnedHTTPS(target, deadline, context)
            if target.scheme == "https"
            else _PinnedHTTP(target, deadline)
        )
        watchdog = threading.Timer(deadline.left(), _abort, [connection])
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request(method, target.path, body=body, headers=headers)
            response = connection.getresponse()
            status, location = response.status, response.getheader("Location")
            if status in REDIRECTS and location:
                if hop == MAX_REDIRECTS:
                    raise Permanent(f"more than {MAX_REDIRECTS} redirects")
                url = urljoin(url, location.strip())
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method = "GET"
                    body = None
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                continue
            if not 200 <= status < 300:
                raise _status_error(status)
            data, truncated = _read(response, connection.opened, deadline, max_bytes)
            return Response(status, data, truncated)
        except OutboundError:
            raise
        except http.client.InvalidURL as error:
            raise Permanent("malformed URL") from error
        except (OSError, http.client.HTTPException, ValueError) as error:
            raise Transient(UNREACHABLE) from error  # refused, reset, timed out, TLS, not HTTP
        finally:
            watchdog.cancel()
            connection.close()
    raise Permanent(f"more than {MAX_REDIRECTS} redirects")  # not reached: the loop raises first


# ---------------------------------------------------------------- the rate limit
def take_rate_slot(workflow_id: str, limit: int | None = None) -> datetime | None:
    """Count one webhook call of the workflow in this minute. Answers None when the call may go
    ahead, or, over the limit (``WEBHOOK_RATE_PER_MINUTE``), when the next minute starts (with a
    few seconds of spread, so held records do not all wake at once)."""
    limit = get_settings().webhook_rate_per_minute if limit is None else limit
    if limit <= 0:
        return None
    now = clock.now()
    minute = now.strftime("%Y-%m-%dT%H:%M")
    if _count_in(workflow_id, minute, limit) or _start_minute(workflow_id, minute):
        return None
    if _count_in(workflow_id, minute, limit):  # another caller moved the item to this minute first
        return None
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return start + timedelta(seconds=random.randint(0, 10))  # whole seconds, as Wait states take them


def _rate_key(workflow_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"WEBHOOK_RATE#{workflow_id}"}, "sk": {"S": "MINUTE"}}


def _conditional_update(workflow_id: str, **kwargs: Any) -> bool:
    try:
        db().update_item(TableName=get_settings().config_table, Key=_rate_key(workflow_id), **kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _count_in(workflow_id: str, minute: str, limit: int) -> bool:
    """One more call in ``minute``, if the item is on it and under ``limit``."""
    return _conditional_update(
        workflow_id,
        UpdateExpression="SET #c = #c + :one",
        ConditionExpression="#m = :minute AND #c < :limit",
        ExpressionAttributeNames={"#m": "minute", "#c": "calls"},
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":minute": {"S": minute},
            ":limit": {"N": str(limit)},
        },
    )


def _start_minute(workflow_id: str, minute: str) -> bool:
    """The first call of ``minute``: move the item to it, counting this call."""
    return _conditional_update(
        workflow_id,
        UpdateExpression="SET #m = :minute, #c = :one",
        ConditionExpression="attribute_not_exists(#m) OR #m < :minute",
        ExpressionAttributeNames={"#m": "minute", "#c": "calls"},
        ExpressionAttributeValues={":one": {"N": "1"}, ":minute": {"S": minute}},
    )
