"""A member's session on a running hub's web pages, over plain HTTP, for integration tests."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request


def organiser_login(init_output: str) -> tuple[str, str]:
    """The first organiser's email and one-time password, as `hubnet init` printed them."""
    email = re.search(r"^organiser email: (\S+)", init_output, re.M)
    password = re.search(r"^organiser password: (\S+)", init_output, re.M)
    assert email and password, init_output
    return email[1], password[1]


class WebSession:
    """Cookies kept between requests, the form token sent with every POST."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self._opener.open(request, timeout=30) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        _, page = self.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token, "no form token on the login page"
        body = urllib.parse.urlencode({"csrf": token[1], **(data or {})}).encode()
        return self._open(urllib.request.Request(self.base_url + path, data=body))

    def login(self, email: str, password: str) -> None:
        status, page = self.post("/login", {"email": email, "password": password})
        assert status == 200 and "Log out" in page, page
