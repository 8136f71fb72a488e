"""Issue 10, "Webhooks are safe": crmflow.outbound vets every target (no SSRF, no port scanner),
pins the vetted address, bounds time and size, and the WEBHOOK action uses it, rate limited."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crmflow import config, outbound
from crmflow.outbound import BLOCKED_HTTP, BLOCKED_PRIVATE, BLOCKED_SCHEME, UNREACHABLE, Policy
from crmflow_local.runtime import Runtime
from engine_support import (
    contact,
    create_workflow,
    define_property,
    events,
    executed_at,
    log,
    properties,
    webhook_server,
    workflow,
)

START = "2026-12-01T08:00:00Z"  # as in conftest
SET_NURTURED = {"type": "SET_PROPERTY", "property": "nurtured", "value": "true"}
OPEN = Policy.parse("", allow_http=True)  # the AWS default, plain http aside
LOCAL = Policy.parse("127.0.0.1/32", allow_http=True)  # the embedded runtime's default
REAL_GETADDRINFO = socket.getaddrinfo


def fake_dns(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> list[str]:
    """Resolve ``names`` to the given addresses (``[]``: an unknown name); answers the names looked up."""
    looked_up: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        if host in names:
            if not names[host]:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (
                    socket.AF_INET6 if ":" in ip else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (ip, port, 0, 0) if ":" in ip else (ip, port),
                )
                for ip in names[host]
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(outbound.socket, "getaddrinfo", getaddrinfo)
    return looked_up


# ---------------------------------------------------------------- vetting, no network
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.0.0.2:8080/x",
        "http://10.0.0.1/",
        "http://10.255.1.2/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
        "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo
        "http://0.0.0.0/",
        "http://[::]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://192.0.0.8/",
        "http://2130706433/",  # 127.0.0.1 in decimal
        "http://0x7f000001/",  # ... in hex
        "http://0177.0.0.1/",  # ... in octal
        "http://127.1/",
        "http://localhost:9/",
        "https://LOCALHOST/",
    ],
)
def test_non_public_targets_are_blocked(url: str) -> None:
    with pytest.raises(outbound.Blocked) as caught:
        outbound.vet(url, OPEN)
    assert caught.value.reason == BLOCKED_PRIVATE
    with pytest.raises(outbound.Blocked, match=r"^blocked: private address$"):
        outbound.call("POST", url, b"{}", policy=OPEN)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("2002:808:808::1", True),  # 6to4 around a public address
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::a00:1", False),  # NAT64 around 10.0.0.1
        ("fec0::1", False),  # site-local
        ("ff02::1", False),
        ("198.18.0.1", False),
        ("240.0.0.1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    import ipaddress

    assert outbound.is_public(ipaddress.ip_address(address)) is public


def test_a_name_with_any_private_address_is_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"mixed.example": ["93.184.215.14", "10.0.0.7"], "v6.example": ["::1"]})
    for url in ("https://mixed.example/hook", "https://v6.example/"):
        with pytest.raises(outbound.Blocked, match="private address"):
            outbound.vet(url, OPEN)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://example.com/x", "dict://x:11211/", "x"],
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(outbound.Blocked) as caught:
        outbound.call("GET", url, policy=Policy.parse("0.0.0.0/0,::/0", allow_http=True))
    assert caught.value.reason == BLOCKED_SCHEME


def test_plain_http_needs_the_setting_or_an_allow_listed_target(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"partner.example": ["93.184.215.14"], "bridge.internal": ["10.1.2.3"]})
    aws = Policy.parse("10.1.0.0/16")
    with pytest.raises(outbound.Blocked) as caught:
        outbound.vet("http://partner.example/hook", aws)
    assert caught.value.reason == BLOCKED_HTTP
    target = outbound.vet("https://partner.example/hook?a=1", aws)
    assert (target.scheme, target.host, target.port, target.path) == (
        "https",
        "partner.example",
        443,
        "/hook?a=1",
    )
    assert [sockaddr[0] for _, sockaddr in target.addresses] == ["93.184.215.14"]
    assert outbound.vet("http://bridge.internal/x", aws).addresses[0][1][0] == "10.1.2.3"  # on the list
    assert outbound.vet("http://partner.example/hook", Policy.parse("", allow_http=True)).port == 80


def test_the_allow_list_takes_cidrs_and_host_names(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"bridge.internal": ["10.9.8.7"], "other.internal": ["10.9.8.7"]})
    policy = Policy.parse(" 127.0.0.1/32, 192.168.4.0/24 ,bridge.internal", allow_http=True)
    for url in (
        "http://127.0.0.1:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://192.168.4.200/",
        "http://bridge.internal/",
    ):
        outbound.vet(url, policy)
    for url in (
        "http://127.0.0.2/",
        "http://10.0.0.1/",
        "http://169.254.169.254/",
        "http://other.internal/",
        "http://[::1]/",
    ):
        with pytest.raises(outbound.Blocked, match="private address"):
            outbound.vet(url, policy)


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("RECORDS_TABLE", "CONFIG_TABLE", "ENROLLMENTS_TABLE", "LOG_TABLE", "EVENT_BUS_NAME"):
        monkeypatch.setenv(name, name.lower())
    for name in ("STARTER_QUEUE_URL", "EVENTS_QUEUE_URL", "ENROLLMENT_STATE_MACHINE_ARN"):
        monkeypatch.setenv(name, "x")
    for name in ("CRMFLOW_LOCAL_TOKENS", "WEBHOOK_ALLOWED_PRIVATE", "WEBHOOK_ALLOW_HTTP"):
        monkeypatch.delenv(name, raising=False)
    config.get_settings.cache_clear()
    yield monkeypatch
    config.get_settings.cache_clear()


def test_policy_defaults_on_aws_and_on_the_embedded_runtime(settings_env: pytest.MonkeyPatch) -> None:
    assert Policy.from_settings() == Policy()  # AWS: no private target, https only
    settings_env.setenv("WEBHOOK_ALLOWED_PRIVATE", "")  # the template's default
    config.get_settings.cache_clear()
    assert Policy.from_settings() == Policy()
    settings_env.setenv("CRMFLOW_LOCAL_TOKENS", "true")  # the embedded runtime
    config.get_settings.cache_clear()
    assert Policy.from_settings() == Policy.parse("127.0.0.1/32", allow_http=True)
    settings_env.setenv("WEBHOOK_ALLOWED_PRIVATE", "10.0.0.0/8,bridge.internal")
    settings_env.setenv("WEBHOOK_ALLOW_HTTP", "false")
    config.get_settings.cache_clear()
    assert Policy.from_settings() == Policy.parse("10.0.0.0/8,bridge.internal", allow_http=False)


# ---------------------------------------------------------------- real sockets on 127.0.0.1
@contextlib.contextmanager
def raw_server(handle: Callable[[socket.socket], None] | None) -> Iterator[int]:
    """A TCP server on 127.0.0.1 running ``handle`` per connection; None: it never accepts."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=_run, args=(handle, conn), daemon=True).start()

    def _run(handler: Callable[[socket.socket], None], conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            handler(conn)

    thread = threading.Thread(target=serve, daemon=True) if handle else None
    if thread:
        thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        if thread:
            thread.join()
        listener.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@contextlib.contextmanager
def streaming_server(total: int, length: int | None = None) -> Iterator[tuple[int, dict[str, int]]]:
    """Answers 200 with ``total`` bytes (announcing ``length`` if given); counts what it could send."""
    sent = {"bytes": 0}
    done = threading.Event()

    def handle(conn: socket.socket) -> None:
        read_request(conn)
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        head += f"Content-Length: {length}\r\n" if length is not None else ""
        conn.sendall((head + "\r\n").encode())
        chunk = b" " * 65536
        try:
            while sent["bytes"] < total:
                conn.sendall(chunk)
                sent["bytes"] += len(chunk)
        finally:
            done.set()

    with raw_server(handle) as port:
        yield port, sent
        done.wait(5)


def test_connects_to_the_vetted_address_with_the_right_host_header(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up = fake_dns(monkeypatch, {"partner.example": ["127.0.0.1"]})
    with webhook_server((200, {"ok": True})) as hook:
        port = hook.url.split(":")[2].split("/")[0]
        answer = outbound.call(
            "POST",
            f"http://partner.example:{port}/hook",
            b'{"a": 1}',
            {"Content-Type": "application/json", "Idempotency-Key": "k"},
            policy=Policy.parse("partner.example"),
        )
    assert (answer.status, json.loads(answer.body), answer.truncated) == (200, {"ok": True}, False)
    assert looked_up == ["partner.example"]  # resolved once, then the vetted address is used
    assert hook.calls[0]["headers"]["Host"] == f"partner.example:{port}"
    assert hook.calls[0]["headers"]["Idempotency-Key"] == "k"
    assert hook.calls[0]["body"] == {"a": 1}


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def test_https_to_the_vetted_address_sends_sni_and_checks_the_certificate_for_the_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert_file, key_file = _self_signed(tmp_path, "partner.example")
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    seen: dict[str, Any] = {}

    def remember_sni(_: Any, server_name: str | None, __: Any) -> None:
        seen.setdefault("sni", []).append(server_name)

    server_tls.sni_callback = remember_sni

    def handle(conn: socket.socket) -> None:
        with server_tls.wrap_socket(conn, server_side=True) as tls:
            seen["request"] = read_request(tls).decode()
            tls.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{"ok":true}')

    fake_dns(monkeypatch, {"partner.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    client_tls = ssl.create_default_context(cafile=str(cert_file))
    policy = Policy.parse("127.0.0.1/32")  # https: plain http is not allowed here
    with raw_server(handle) as port:
        answer = outbound.call(
            "GET", f"https://partner.example:{port}/x", policy=policy, tls=client_tls, timeout=5
        )
        assert (answer.status, answer.body) == (200, b'{"ok":true}')
        assert seen["sni"] == ["partner.example"]
        assert f"Host: partner.example:{port}\r\n" in seen["request"]
        with pytest.raises(outbound.Transient) as caught:  # the certificate names another host
            outbound.call("GET", f"https://other.example:{port}/x", policy=policy, tls=client_tls, timeout=5)
        assert caught.value.reason == UNREACHABLE


class Redirector(http.server.BaseHTTPRequestHandler):
    """``/to?url`` redirects there with the status in ``/to/{status}?url``; ``/hops/{n}`` chains."""

    calls: list[tuple[str, str, bytes]]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.calls.append((self.command, self.path, body))  # type: ignore[attr-defined]
        path, _, query = self.path.partition("?")
        if path.startswith("/to/"):
            self.send_response(int(path.split("/")[2]))
            self.send_header("Location", query)
        elif path.startswith("/hops/"):
            left = int(path.split("/")[2])
            self.send_response(302 if left else 200)
            if left:
                self.send_header("Location", f"/hops/{left - 1}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _answer

    def log_message(self, *_: Any) -> None:
        pass


@contextlib.contextmanager
def redirector() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    httpd.calls = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.calls  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_redirects_are_followed_by_hand_and_each_hop_is_vetted() -> None:
    with redirector() as (base, calls):
        for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/"):
            with pytest.raises(outbound.Blocked, match=r"^blocked: private address$"):
                outbound.call("POST", f"{base}/to/302?{target}", b"{}", policy=LOCAL)
        with pytest.raises(outbound.Blocked, match="scheme not allowed"):
            outbound.call("GET", f"{base}/to/301?file:///etc/passwd", policy=LOCAL)
        assert outbound.call("GET", f"{base}/hops/3", policy=LOCAL).status == 200  # three hops
        with pytest.raises(outbound.Permanent, match="more than 3 redirects"):
            outbound.call("GET", f"{base}/hops/4", policy=LOCAL)
        calls.clear()
        outbound.call("POST", f"{base}/to/307?/kept", b"{}", policy=LOCAL)
        outbound.call("POST", f"{base}/to/303?/as-get", b"{}", policy=LOCAL)
    assert [(method, path.split("?")[0], body) for method, path, body in calls] == [
        ("POST", "/to/307", b"{}"),
        ("POST", "/kept", b"{}"),  # 307 keeps the method and the body
        ("POST", "/to/303", b"{}"),
        ("GET", "/as-get", b""),
    ]


def test_refused_timeout_and_unknown_name_read_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"nowhere.invalid": []})
    policy = Policy.parse("127.0.0.1/32,nowhere.invalid", allow_http=True)
    with raw_server(None) as closed:
        pass  # nothing listens there any more: refused
    reasons = []
    started = time.monotonic()
    with raw_server(None) as silent:  # accepts in the kernel, never answers: a timeout
        for url in (f"http://127.0.0.1:{closed}/", f"http://127.0.0.1:{silent}/", "http://nowhere.invalid/"):
            with pytest.raises(outbound.Transient) as caught:
                outbound.call("POST", url, b"{}", timeout=0.5, policy=policy)
            reasons.append(str(caught.value))
    assert reasons == [UNREACHABLE] * 3
    assert time.monotonic() - started < 5


def test_a_dripping_server_cannot_hold_the_call_past_its_timeout() -> None:
    def drip_headers(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(100):
            conn.sendall(b"a")
            time.sleep(0.1)

    def drip_body(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
        for _ in range(100):
            conn.sendall(b"a")
            time.sleep(0.1)

    for handle in (drip_headers, drip_body):
        with raw_server(handle) as port:
            started = time.monotonic()
            with pytest.raises(outbound.Transient, match=r"^unreachable$"):
                outbound.call("GET", f"http://127.0.0.1:{port}/", timeout=1, policy=LOCAL)
            assert time.monotonic() - started < 2.5


def test_answers_larger_than_the_limit_are_cut_without_reading_them_all() -> None:
    total = 64 * 1024 * 1024
    with streaming_server(total) as (port, sent):
        answer = outbound.call("GET", f"http://127.0.0.1:{port}/", policy=LOCAL, max_bytes=1024 * 1024)
    assert (answer.status, len(answer.body), answer.truncated) == (200, 1024 * 1024, True)
    assert sent["bytes"] < total  # the server could not send it all: the client stopped reading
    with streaming_server(total, length=total) as (port, sent):
        answer = outbound.call("GET", f"http://127.0.0.1:{port}/", policy=LOCAL)
    assert (answer.body, answer.truncated) == (b"", True)  # announced too large: not read at all
    assert sent["bytes"] < total
    with streaming_server(65536, length=65536) as (port, _):
        answer = outbound.call("GET", f"http://127.0.0.1:{port}/", policy=LOCAL)
    assert (len(answer.body), answer.truncated) == (65536, False)


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (404, outbound.Permanent, "HTTP 404"),
        (400, outbound.Permanent, "HTTP 400"),
        (429, outbound.Transient, "HTTP 429"),
        (503, outbound.Transient, "HTTP 503"),
    ],
)
def test_http_errors(status: int, error: type[outbound.OutboundError], reason: str) -> None:
    with webhook_server((status, {"secret": "x"})) as hook, pytest.raises(error) as caught:
        outbound.call("POST", hook.url, b"{}", policy=LOCAL)
    assert caught.value.reason == reason


# ---------------------------------------------------------------- through the embedded runtime
def _webhook_then_nurture(rt: Runtime, url: str, **webhook: Any) -> tuple[str, str]:
    define_property(rt, "nurtured")
    define_property(rt, "tier")
    workflow_id = create_workflow(rt, workflow({"type": "WEBHOOK", "url": url, **webhook}, SET_NURTURED))
    record = contact(rt, lifecyclestage="lead")
    rt.advance("PT10M")
    return workflow_id, record


def _error_then_goes_on(rt: Runtime, workflow_id: str, record: str) -> str:
    entries = log(rt, workflow_id, record)
    assert [(e["event"], e["actionId"]) for e in entries] == [
        ("ENROLLED", None),
        ("ERROR", "1"),
        ("ACTION_EXECUTED", "2"),
        ("COMPLETED", None),
    ]
    assert entries[1]["actionType"] == "WEBHOOK"
    assert properties(rt, record)["nurtured"] == "true"
    return str(entries[1]["detail"]["error"])


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://[::1]:8080/hook",
        "http://0x0a000001/",  # 10.0.0.1 in hex
    ],
)
def test_a_webhook_to_a_private_address_is_an_error_and_the_record_goes_on(rt: Runtime, url: str) -> None:
    workflow_id, record = _webhook_then_nurture(rt, url)
    assert _error_then_goes_on(rt, workflow_id, record) == BLOCKED_PRIVATE
    assert len(rt.executions()) == 1
    history = rt.history(rt.executions()[0]["executionArn"])
    failures = [e["taskFailedEventDetails"]["error"] for e in history if e["type"] == "TaskFailed"]
    assert "TransientActionError" not in failures  # blocked at once, never retried


def test_a_redirect_to_the_metadata_service_is_blocked(rt: Runtime) -> None:
    with redirector() as (base, calls):
        workflow_id, record = _webhook_then_nurture(
            rt, f"{base}/to/302?http://169.254.169.254/latest/meta-data/", responseMapping={"a": "tier"}
        )
    assert _error_then_goes_on(rt, workflow_id, record) == BLOCKED_PRIVATE
    assert len(calls) == 1
    assert "tier" not in properties(rt, record)


@pytest.mark.parametrize(("allowed", "reaches"), [("192.0.2.0/24", False), ("127.0.0.1", True)])
def test_127_0_0_1_is_reached_only_when_the_allow_list_says_so(allowed: str, reaches: bool) -> None:
    with Runtime(start=START, parameters={"WebhookAllowedPrivate": allowed}) as rt:
        with webhook_server((200, {"tier": "gold"})) as hook:
            workflow_id, record = _webhook_then_nurture(rt, hook.url, responseMapping={"tier": "tier"})
        if reaches:
            assert [e[0] for e in events(rt, workflow_id, record)][1:3] == ["ACTION_EXECUTED"] * 2
            assert properties(rt, record)["tier"] == "gold"
            assert len(hook.calls) == 1
        else:
            assert _error_then_goes_on(rt, workflow_id, record) == BLOCKED_PRIVATE
            assert hook.calls == []


def test_unreachable_targets_all_read_the_same_in_the_log(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_dns(monkeypatch, {"nowhere.invalid": []})
    define_property(rt, "nurtured")
    with raw_server(None) as closed:
        pass
    with raw_server(None) as silent:
        workflow_id = create_workflow(
            rt,
            workflow(
                {"type": "WEBHOOK", "url": f"http://127.0.0.1:{closed}/hook"},
                {"type": "WEBHOOK", "url": f"http://127.0.0.1:{silent}/hook", "timeoutSeconds": 1},
                {"type": "WEBHOOK", "url": "https://nowhere.invalid/hook"},
                SET_NURTURED,
            ),
        )
        record = contact(rt, lifecyclestage="lead")
        rt.advance("PT30M")
    errors = [
        (e["actionId"], e["detail"]["error"]) for e in log(rt, workflow_id, record) if e["event"] == "ERROR"
    ]
    assert errors == [(action, "gave up after 5 attempts: unreachable") for action in ("1", "2", "3")]
    assert properties(rt, record)["nurtured"] == "true"


def test_a_too_large_answer_is_cut_and_mapping_it_is_an_error(rt: Runtime) -> None:
    total = 64 * 1024 * 1024
    with streaming_server(total) as (port, sent):
        workflow_id, record = _webhook_then_nurture(
            rt, f"http://127.0.0.1:{port}/hook", responseMapping={"tier": "tier"}
        )
    assert "larger than 1048576 bytes" in _error_then_goes_on(rt, workflow_id, record)
    assert sent["bytes"] < total


def test_the_rate_limit_holds_extra_calls_for_the_next_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_RATE_PER_MINUTE", "2")
    with Runtime(start=START) as rt, webhook_server((200, {})) as hook:
        define_property(rt, "nurtured")
        records = [contact(rt, f"r{n}@example.com", lifecyclestage="lead") for n in range(3)]
        workflow_id = create_workflow(
            rt, workflow({"type": "WEBHOOK", "url": hook.url}, SET_NURTURED), existing=True
        )
        rt.advance("PT10M")
        assert len(hook.calls) == 3
        called = sorted(executed_at(rt, workflow_id, "1"))
        assert [at[:16] for at in called] == ["2026-12-01T08:00", "2026-12-01T08:00", "2026-12-01T08:01"]
        for record in records:  # the held one waited: no error, no retry used up
            assert [e[0] for e in events(rt, workflow_id, record)] == [
                "ENROLLED",
                "ACTION_EXECUTED",
                "ACTION_EXECUTED",
                "COMPLETED",
            ]
        assert {properties(rt, r)["nurtured"] for r in records} == {"true"}
