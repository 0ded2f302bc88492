"""deploy/'s reverse-proxy examples, run for real in front of a `hubnet run` node.

Debian's nginx and caddy (installed by `make test`) are started from
deploy/nginx.conf and deploy/Caddyfile, rewritten only to listen on a loopback
port over plain HTTP and to pass to the test's node (and, for Caddy, with its
admin endpoint off so that nothing else listens). Every header line is used as
shipped. The node has `trusted_proxies = ["127.0.0.1"]`; clients connect from
127.0.0.2 and 127.0.0.3, so each proxy sees two different client addresses.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.websession import WebSession
from tests.integration.network import Hub, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
NGINX, CADDY = "/usr/sbin/nginx", "/usr/bin/caddy"
PER_ADDRESS = 5  # web/join_guard.py
TOO_MANY = "Too many applications have come from your address"
MIB = 1024 * 1024


@pytest.fixture(autouse=True)
def _proxies_installed() -> None:
    # A missing proxy is a broken set-up to mend, not a test to pass over.
    if not (os.path.exists(NGINX) and os.path.exists(CADDY)):
        pytest.fail(f"{NGINX} or {CADDY} is missing: `make test` installs nginx-light and caddy")


def nginx_config(port: int, node_port: int, work: Path) -> str:
    """deploy/nginx.conf's HTTPS server as a plain-HTTP one on a loopback port."""
    shipped = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = re.split(r"\n(?=server \{)", shipped)
    https = next(s for s in servers if "listen 443 ssl" in s)
    https = re.sub(r"\n\s*listen 443 ssl;", f"\n    listen 127.0.0.1:{port};", https)
    https = re.sub(r"\n\s*listen \[::\]:443 ssl;", "", https)
    https = re.sub(r"\n\s*http2 on;", "", https)
    https = re.sub(r"\n\s*ssl_[a-z_]+ [^;]*;", "", https)
    https = https.replace("127.0.0.1:8080", f"127.0.0.1:{node_port}")
    assert "ssl" not in https and "8080" not in https, https
    temp = "\n".join(
        f"{name}_temp_path {work / name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root (CI), workers would run as nobody, who cannot write the test's directory.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nmaster_process on;\nworker_processes 1;\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} info;\nevents {{ worker_connections 256; }}\n"
        f"http {{\naccess_log off;\n{temp}\n{https}\n}}\n"
    )


def caddy_config(port: int, node_port: int) -> str:
    shipped = (ROOT / "deploy" / "Caddyfile").read_text()
    text = shipped.replace("hub.example.org {", f"http://127.0.0.1:{port} {{")
    text = text.replace("127.0.0.1:8080", f"127.0.0.1:{node_port}")
    # The admin endpoint would listen on :2019; the global block is the first one.
    text = text.replace("{\n\tservers {", "{\n\tadmin off\n\tservers {", 1)
    assert "admin off" in text and "example.org {" not in text and ":8080" not in text, text
    return text


class Proxy:
    def __init__(self, kind: str, node_port: int, work: Path) -> None:
        self.kind = kind
        # Each proxy's clients come from their own addresses: the node's limits last
        # for the whole module.
        self.net = "127.0.1." if kind == "nginx" else "127.0.2."
        self.port = free_port()
        work.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "HOME": str(work),
            "XDG_DATA_HOME": str(work),
            "XDG_CONFIG_HOME": str(work),
        }
        if kind == "nginx":
            config = work / "nginx.conf"
            config.write_text(nginx_config(self.port, node_port, work))
            command = [NGINX, "-c", str(config), "-p", str(work), "-e", str(work / "error.log")]
        else:
            config = work / "Caddyfile"
            config.write_text(caddy_config(self.port, node_port))
            command = [CADDY, "run", "--adapter", "caddyfile", "--config", str(config)]
        self.log = (work / "proxy.out").open("wb")
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(f"{kind} to listen", self._listening, timeout=20)

    def _listening(self) -> bool:
        assert self.process.poll() is None, f"{self.kind} exited: {self.log.name}"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    hub = Hub(tmp_path_factory.mktemp("proxies"), "Riverside")
    hub.start(env={"HUBNET_TRUSTED_PROXIES": "127.0.0.1"})
    try:
        yield hub
    finally:
        hub.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", hub.port)) != 0, "the node still listens"


@pytest.fixture(params=["nginx", "caddy"])
def proxy(request: pytest.FixtureRequest, hub: Hub, tmp_path: Path) -> Iterator[Proxy]:
    proxy = Proxy(request.param, hub.port, tmp_path / request.param)
    try:
        yield proxy
    finally:
        proxy.stop()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", proxy.port)) != 0, f"{proxy.kind} still listens"


def apply(session: WebSession, n: int, headers: dict[str, str] | None = None) -> int:
    """One application to join; its status (303 taken, 429 refused)."""
    form = {
        "name": f"Applicant {n}",
        "email": f"applicant{n}-{time.monotonic_ns()}@example.org",
        "password": "a long enough password 42",
        "sign_charter": "yes",
        "accept_privacy": "yes",
    }
    page = session.post("/join", form, headers)
    assert page.status in (303, 429), page.text[:500]
    assert (page.status == 429) == (TOO_MANY in page.text), page.text[:500]
    return page.status


def test_limits_apply_per_client_address_and_a_clients_header_is_not_trusted(
    hub: Hub, proxy: Proxy
) -> None:
    first = WebSession(proxy.url, source_address=proxy.net + "2")
    second = WebSession(proxy.url, source_address=proxy.net + "3")
    # The first client spends its address's allowance, whatever header it sends itself.
    forged = {"X-Forwarded-For": "203.0.113.9", "Forwarded": "for=198.51.100.7"}
    statuses = [apply(first, n, forged if n % 2 else None) for n in range(PER_ADDRESS)]
    assert statuses == [303] * PER_ADDRESS
    assert apply(first, 99) == 429
    assert apply(first, 98, {"X-Forwarded-For": "203.0.113.10"}) == 429
    assert apply(first, 97, {"Forwarded": "for=203.0.113.11"}) == 429
    # Another client behind the same proxy is another address: it still may apply.
    assert apply(second, 1) == 303
    # Straight to the node (not a trusted proxy) a forwarding header is ignored: the
    # socket's address, (.4), is the client, and its header names nobody else.
    direct = WebSession(hub.url, source_address=proxy.net + "4")
    spoof = {"X-Forwarded-For": proxy.net + "5"}
    assert [apply(direct, n, spoof) for n in range(PER_ADDRESS + 1)] == [303] * PER_ADDRESS + [429]
    assert apply(WebSession(hub.url, source_address=proxy.net + "5"), 1) == 303


def test_failed_logins_lock_out_one_client_address_not_everyone_behind_the_proxy(
    hub: Hub, proxy: Proxy
) -> None:
    email = re.search(r"^organiser email: (\S+)\s*$", hub.init_output, re.MULTILINE)
    password = re.search(r"^organiser password: (\S+)\s*$", hub.init_output, re.MULTILINE)
    assert email and password, hub.init_output
    # A guesser tries twenty made-up accounts from one address (web/login_guard.py).
    base = 20 if proxy.kind == "nginx" else 30
    guesser = WebSession(proxy.url, source_address=f"127.0.0.{base}")
    for n in range(20):
        page = guesser.post("/login", {"email": f"guess{n}@example.org", "password": "wrong"})
        assert page.status == 400, page.text[:300]
    # From that address even the right password is now refused, with the same answer.
    locked = guesser.post("/login", {"email": email.group(1), "password": password.group(1)})
    assert locked.status == 400 and "do not match" in locked.text, locked.text[-1500:]
    # The organiser, behind the same proxy from another address, logs in.
    WebSession(proxy.url, source_address=f"127.0.0.{base + 1}").login(
        email.group(1), password.group(1)
    )


def _multipart(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "hubnetproxytest7c1a"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _upload(session: WebSession, base: str, content: bytes, title: str) -> tuple[int, str]:
    library = session.get("/library")
    token = re.search(r'name="csrf" value="([^"]+)"', library.text) or re.search(
        r"csrf=([A-Za-z0-9_-]{43})", library.text
    )
    assert token, library.text[:500]
    body, content_type = _multipart({"title": title}, "notes.txt", content)
    port = int(base.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            f"/library/upload?csrf={token.group(1)}",
            body=body,
            headers={
                "Content-Type": content_type,
                "Cookie": "; ".join(f"{k}={v}" for k, v in session.cookies.items()),
            },
        )
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    except (BrokenPipeError, ConnectionResetError):
        # A proxy refusing a body over its limit may answer and close before the
        # client has sent it all; the answer can then be lost with the connection.
        return 0, "closed before the body was sent"
    finally:
        conn.close()


def organiser(hub: Hub, base: str) -> WebSession:
    email = re.search(r"^organiser email: (\S+)\s*$", hub.init_output, re.MULTILINE)
    password = re.search(r"^organiser password: (\S+)\s*$", hub.init_output, re.MULTILINE)
    assert email and password, hub.init_output
    session = WebSession(base, source_address="127.0.0.6")
    session.login(email.group(1), password.group(1))
    return session


def test_a_library_file_near_the_limit_goes_through_and_one_over_it_is_refused(
    hub: Hub, proxy: Proxy
) -> None:
    session = organiser(hub, proxy.url)
    near = (b"Minutes of the meeting, line after line.\n" * (20 * MIB // 41))[: 20 * MIB - 64]
    status, page = _upload(session, proxy.url, near, f"Big minutes via {proxy.kind}")
    assert status == 303, page[:500]  # published: the library shows it
    assert f"Big minutes via {proxy.kind}" in session.get("/library").text
    # Over the node's 20 MiB but under the proxy's 22 MiB: the node says why.
    over = near + b"x" * (MIB // 2)
    status, page = _upload(session, proxy.url, over, "Too big")
    assert status == 400 and "larger than this hub accepts (20 MiB)" in page, page[:500]
    # Over the proxy's own limit: refused before the node reads it.
    status, page = _upload(session, proxy.url, near + b"x" * (3 * MIB), "Far too big")
    assert status in (413, 0), page[:300]
    assert "Far too big" not in session.get("/library").text
    # Anything else is refused by the proxy above 9 MiB.
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=30)
    try:
        conn.request(
            "POST", "/join", body=b"x" * (10 * MIB), headers={"Content-Type": "text/plain"}
        )
        assert conn.getresponse().status == 413
    finally:
        conn.close()


def _slow_post(port: int, body: bytes, pause: float, stall: bool = False) -> tuple[int, float]:
    """POST /join byte-chunks with pauses; with `stall`, stop halfway. (status, seconds)."""
    start = time.monotonic()
    with socket.create_connection(
        ("127.0.0.1", port), timeout=60, source_address=("127.0.0.7", 0)
    ) as s:
        s.sendall(
            b"POST /join HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded"
            + f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        )
        chunks = [body[i : i + 16] for i in range(0, len(body), 16)]
        for chunk in chunks[: len(chunks) // 2] if stall else chunks:
            s.sendall(chunk)
            time.sleep(pause)
        answer = b""
        while data := s.recv(65536):
            answer += data
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.monotonic() - start


def test_slow_bodies_behave_as_documented(hub: Hub, proxy: Proxy) -> None:
    # A slow but steady body arrives whole: the node answers it (403: it carries no
    # form token, so it is refused only once read in full).
    body = b"name=Slow&email=slow%40example.org&password=slowpassword42"
    status, took = _slow_post(proxy.port, body, pause=0.4)
    assert status == 403 and took > 1.2, (status, took)
    # Stalled bodies: the node answers everyone else meanwhile.
    stalled: list[tuple[int, float]] = []
    threads = [
        threading.Thread(
            target=lambda: stalled.append(_slow_post(proxy.port, body * 4, 0.01, stall=True))
        )
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    time.sleep(1)
    for _ in range(5):
        start = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
        assert time.monotonic() - start < 1
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    # nginx closes the connection of a client silent for client_body_timeout (10 s),
    # without an answer (its log says 408). Caddy passes the body on as it comes,
    # so the node itself gives up on it after 10 s without a byte and answers 408.
    print(proxy.kind, stalled)
    assert len(stalled) == 20 and all(s in (0, 408) and 9 < t < 20 for s, t in stalled), stalled


def test_the_shipped_examples_are_what_was_run() -> None:
    # The checks above ran the header handling exactly as shipped.
    for line in (
        "proxy_set_header X-Forwarded-For $remote_addr;",
        'proxy_set_header Forwarded "";',
    ):
        assert line in nginx_config(1, 2, Path("/tmp"))
    for line in ("header_up X-Forwarded-For {remote_host}", "header_up -Forwarded"):
        assert line in caddy_config(1, 2)
    assert shutil.which("nginx") or os.path.exists(NGINX)
