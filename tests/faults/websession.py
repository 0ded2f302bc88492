"""A browser's part, for tests against `hubnet run`: cookies, the form token, a source address.

The source address lets a test be seen by the node as a client address of its
choosing (any 127.x.y.z is loopback), which the privacy canaries use to plant a
recognisable "IP address" of a member.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Page:
    status: int
    text: str
    location: str = ""


@dataclass
class WebSession:
    base_url: str
    source_address: str = "127.0.0.1"
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Page:
        parts = urllib.parse.urlsplit(self.base_url)
        conn = http.client.HTTPConnection(
            parts.hostname or "127.0.0.1",
            parts.port,
            timeout=60,
            source_address=(self.source_address, 0),
        )
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        headers.update(extra_headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return Page(response.status, text, response.headers.get("Location", ""))
        finally:
            conn.close()

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def post(
        self,
        path: str,
        form: dict[str, str] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Page:
        """POST a form with the visitor's form token, fetched first if need be."""
        if "hubnet_csrf" not in self.cookies:
            self.get("/join")
        token = re.search(r'name="csrf" value="([^"]+)"', self.get("/join").text)
        assert token, "no form token on the join page"
        return self.request("POST", path, {"csrf": token.group(1), **(form or {})}, extra_headers)

    def login(self, email: str, password: str) -> None:
        page = self.post("/login", {"email": email, "password": password})
        assert page.status == 303, f"login as {email}: {page.status} {page.text[:300]}"
