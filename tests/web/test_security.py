"""Sessions, CSRF, headers, login throttling and permissions, through the real app."""

from __future__ import annotations

import re

import pytest

from node.accounts.permissions import GRANTS, Permission, Role
from tests.web.conftest import PASSWORD, Site, make_member
from web.routes import all_routes


async def test_every_page_has_security_headers(site: Site) -> None:
    for path in ("/", "/join", "/login", "/no-such-page"):
        response = await site.client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


async def test_unknown_page_is_a_friendly_404(site: Site) -> None:
    response = await site.client.get("/no-such-page")
    assert response.status == 404
    assert "Page not found" in await response.text()


async def test_post_without_csrf_token_is_refused_and_changes_nothing(site: Site) -> None:
    before = await site.node.members.counts()
    response = await site.client.post(
        "/join",
        data={
            "name": "Mallory",
            "email": "m@example.org",
            "password": PASSWORD,
            "sign_charter": "yes",
            "accept_privacy": "yes",
        },
    )
    assert response.status == 403
    assert "nothing was changed" in await response.text()
    assert await site.node.members.counts() == before


async def test_post_from_another_origin_is_refused(site: Site) -> None:
    response = await site.post(
        "/join",
        {
            "name": "Mallory",
            "email": "m@example.org",
            "password": PASSWORD,
            "sign_charter": "yes",
            "accept_privacy": "yes",
        },
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403
    assert (await site.node.members.counts()).get("applied", 0) == 0


def _session_cookie(response) -> str:  # type: ignore[no-untyped-def]
    [header] = [h for h in response.headers.getall("Set-Cookie") if "hubnet_session=" in h]
    return str(header)


async def test_session_cookie_is_httponly_lax_and_renewed_at_login(site: Site) -> None:
    response = await site.post("/login", {"email": "organiser@example.org", "password": PASSWORD})
    header = _session_cookie(response)
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Secure" not in header  # served over plain http in this test
    first = header.split("hubnet_session=")[1].split(";")[0]
    await site.logout()
    assert (await site.client.get("/dashboard", allow_redirects=False)).status == 303
    await site.login("organiser@example.org")
    second = site.client.session.cookie_jar.filter_cookies(site.client.make_url("/"))[
        "hubnet_session"
    ].value
    assert second != first
    assert await site.node.sessions.member_of(first) is None


async def test_wrong_password_and_unknown_user_get_the_same_answer(site: Site) -> None:
    wrong = await site.post("/login", {"email": "organiser@example.org", "password": "nope nope"})
    unknown = await site.post("/login", {"email": "nobody@example.org", "password": "nope nope"})
    assert wrong.status == unknown.status == 400
    text = "That email address and password do not match."
    assert text in await wrong.text() and text in await unknown.text()


async def test_failed_logins_are_limited_per_account(site: Site) -> None:
    for _ in range(5):
        await site.post("/login", {"email": "organiser@example.org", "password": "wrong guess"})
    response = await site.post("/login", {"email": "organiser@example.org", "password": PASSWORD})
    assert response.status == 400  # even the right password, until the window passes
    assert "do not match" in await response.text()


async def test_session_ends_after_idle_time(site: Site) -> None:
    token = await site.node.sessions.start(1)
    sessions = site.node.sessions
    sessions._clock = lambda: 10**13  # far in the future  # type: ignore[method-assign]
    assert await sessions.member_of(token) is None


async def test_password_change_ends_sessions(site: Site) -> None:
    other = await site.node.sessions.start(1)
    await site.login("organiser@example.org")
    response = await site.post(
        "/account/password", {"current": PASSWORD, "new": "another long password"}
    )
    assert response.status == 303
    assert await site.node.sessions.member_of(other) is None
    assert (await site.client.get("/dashboard", allow_redirects=False)).status == 303


ROLE_CASES = [None, *Role]  # None: a member with no elected role


def _sample_path(path: str) -> str:
    return (
        path.replace("{member_id}", "999999")
        .replace("{node_id}", "a" * 56)
        .replace("{token}", "no-such-token")
        .replace("{motion_id}", "00" * 32)
        .replace("{campaign_id}", "ab" * 32)
        .replace("{resource_id}", "ab" * 32)
        .replace("{offer_id}", "999999")
        .replace("{request_id}", "ab" * 32)
        .replace("{entry_id}", "999999")
        .replace("{post_id}", "999999")
        .replace("{event_id}", "00" * 32)
        .replace("{origin}", "a" * 56)
        .replace("{message_id}", "ab" * 32)
        .replace("{comment_id}", "ab" * 32)
        .replace("{topic_id}", "999999")
        .replace("{post_id}", "999999")
        .replace("{group_id}", "999999")
        .replace("{task_id}", "999999")
        .replace("{report_id}", "999999")
        .replace("{entry_id}", "999999")
        .replace("{round_id}", "999999")
        .replace("{poll_id}", "999999")
        .replace("{election_id}", "0" * 32)
        .replace("{notice_id}", "999999")
        .replace("{announcement_id}", "ab" * 32)
        .replace("{invitation_id}", "ab" * 16)
    )


@pytest.mark.parametrize("role", ROLE_CASES, ids=lambda r: r.value if r else "member")
async def test_every_route_allows_exactly_the_roles_the_table_grants(
    site: Site, role: Role | None
) -> None:
    email = f"{role.value if role else 'plain'}@example.org"
    await make_member(site.node, email, role)
    await site.login(email)
    roles = frozenset({role}) if role else frozenset()
    panic_lock = next(r for r in all_routes() if (r.method, r.path) == ("POST", "/organise/lock"))
    for route in [*(r for r in all_routes() if r is not panic_lock), panic_lock]:
        if route.path == "/logout" or route.path == "/account/leave":
            continue  # would end the session the walk needs; covered elsewhere
        # The panic lock goes last: where it is allowed it ends every session.
        path = _sample_path(route.path)
        if route.method == "GET":
            response = await site.client.get(path, allow_redirects=False)
        else:
            response = await site.post(path)
        if route.permission is None:
            assert response.status != 403, f"{route.method} {route.path}"
            continue
        allowed = route.permission is Permission.MEMBER or bool(roles & GRANTS[route.permission])
        if allowed:
            # Refused is 403, or for a page a 303 to the login form; a form that succeeds
            # answers 303 to a page of the site (web/flash.py).
            to_login = response.headers.get("Location", "").startswith("/login?")
            assert response.status != 403, f"{route.method} {route.path}: {role}"
            assert not (response.status == 303 and to_login), f"{route.path}: {role}"
        else:
            assert response.status == 403, f"{route.method} {route.path}: {role}"


async def test_anonymous_visitors_are_sent_to_login_or_refused(site: Site) -> None:
    for route in all_routes():
        if route.permission is None:
            continue
        path = _sample_path(route.path)
        if route.method == "GET":
            response = await site.client.get(path, allow_redirects=False)
            assert response.status == 303 and "/login?next=" in response.headers["Location"]
        else:
            assert (await site.post(path)).status == 403


async def test_next_parameter_cannot_redirect_off_site(site: Site) -> None:
    response = await site.client.post(
        "/login?next=//evil.example/",
        data={"csrf": await site.csrf(), "email": "organiser@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/dashboard"


# What a path may leave open: which thing it is about, never what to do to it.
_PATH_PARAMETERS = {"token", "origin", "node_id"}


def test_no_route_takes_its_action_from_the_path() -> None:
    # One route per action (docs/ARCHITECTURE.md, "Permissions"), so the walk above
    # sees the permission of each: a route /x/{id}/{action} would show one permission
    # for warn, suspend and lift alike, and any check inside it that differs is one
    # the walk cannot see.
    for route in all_routes():
        for name in re.findall(r"{(\w+)}", route.path):
            assert name.endswith("_id") or name in _PATH_PARAMETERS, f"{route.path}: {{{name}}}"


def test_moderators_actions_are_routes_of_their_own() -> None:
    moderating = {r.path for r in all_routes() if r.permission is Permission.MODERATE}
    for path in (
        "/moderation/members/{member_id}/warn",
        "/moderation/members/{member_id}/suspend",
        "/moderation/members/{member_id}/lift",
        "/posts/{post_id}/hide",
        "/comments/{comment_id}/hide",
        "/comments/{comment_id}/report-origin",
    ):
        assert path in moderating, path


def test_routes_have_unique_method_and_path() -> None:
    assert len({(r.method, r.path) for r in all_routes()}) == len(all_routes())


async def test_over_https_cookies_are_host_prefixed_and_secure(
    tmp_path, aiohttp_client, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from node import config as settings
    from node.setup import init_data_dir
    from tests.web.conftest import FAST_HASHING
    from web.app import create_app

    for name, value in FAST_HASHING.items():
        monkeypatch.setenv(name, value)
    data_dir = tmp_path / "secure"
    _, password = await init_data_dir(
        data_dir, "Hillfield", "https://hub.example.org", "organiser@example.org"
    )
    client = await aiohttp_client(create_app(settings.load(data_dir)))
    page = await client.get("/login")
    [csrf_header] = page.headers.getall("Set-Cookie")
    assert csrf_header.startswith("__Host-hubnet_csrf=") and "Secure" in csrf_header
    token = csrf_header.split("=", 1)[1].split(";")[0]
    response = await client.post(
        "/login",
        data={"csrf": token, "email": "organiser@example.org", "password": password},
        headers={"Cookie": f"__Host-hubnet_csrf={token}"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    [session] = [h for h in response.headers.getall("Set-Cookie") if "hubnet_session" in h]
    assert session.startswith("__Host-hubnet_session=")
    assert "Secure" in session and "HttpOnly" in session and "SameSite=Lax" in session


async def test_password_hash_is_renewed_at_login_when_parameters_rise(site: Site) -> None:
    import argon2

    from node.accounts.members import Members
    from node.store.accounts import AccountsStore

    weak = Members(
        AccountsStore(site.node.db),
        site.node.clock,
        argon2.PasswordHasher(time_cost=2, memory_cost=19456),
    )
    strong = Members(
        AccountsStore(site.node.db),
        site.node.clock,
        argon2.PasswordHasher(time_cost=3, memory_cost=19456),
    )
    member = await weak.apply(
        name="Ann",
        email="ann@example.org",
        password=PASSWORD,
        signed_charter=True,
        accepted_privacy=True,
        status="active",
    )

    async def stored() -> str:
        row = await site.node.db.fetchone(
            "SELECT password_hash FROM members WHERE id = ?", (member.id,)
        )
        return str(row[0])

    assert "t=2" in await stored()
    assert await strong.authenticate("ann@example.org", PASSWORD) is not None
    assert "t=3" in await stored()
    assert await strong.authenticate("ann@example.org", PASSWORD) is not None


async def test_session_ends_after_its_absolute_lifetime_even_if_active(site: Site) -> None:
    from node.accounts.sessions import Sessions
    from node.store.sessions import SessionsStore

    now = [1_000_000]
    sessions = Sessions(
        SessionsStore(site.node.db), lambda: now[0], idle_ms=60_000, lifetime_ms=300_000
    )
    token = await sessions.start(1)
    for _ in range(5):  # active every 50 s: never idle for long
        now[0] += 50_000
        assert await sessions.member_of(token) == 1
    now[0] += 60_000  # past five minutes since login
    assert await sessions.member_of(token) is None


async def test_machine_addresses_and_the_federation_api_have_security_headers(
    site: Site,
) -> None:
    # One middleware serves every request (web/middleware.py); the addresses that skip
    # the visitor's session still get the headers.
    for path in ("/healthz", "/.well-known/hubnet", "/federation/v1/heads"):
        response = await site.client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


async def test_the_session_is_read_only_from_a_cookie_of_exactly_its_name(site: Site) -> None:
    token = await site.node.sessions.start(1)
    site.client.session.cookie_jar.clear()

    async def dashboard(cookie: str) -> int:
        response = await site.client.get(
            "/dashboard", headers={"Cookie": cookie}, allow_redirects=False
        )
        return response.status

    assert await dashboard(f"theme=dark; hubnet_session={token}; hubnet_language=cy") == 200
    assert await dashboard(f"xhubnet_session={token}") == 303  # to the login page
    assert await dashboard(f"hubnet_session_old={token}") == 303
    assert await dashboard(f'hubnet_session="{token}"') == 303  # never quoted by the node
    assert await dashboard("hubnet_session") == 303


async def test_a_webdav_method_is_refused_and_counted_as_other(site: Site) -> None:
    # aiohttp's parser answers 400 to a method it does not know; the ones it knows
    # (WebDAV's and others) reach the node, and the metric's label stays "other".
    for method in ("PROPFIND", "MKCOL", "PROPFIND"):
        response = await site.client.request(method, "/")
        assert response.status == 405
        assert "That page cannot be used that way." in await response.text()
    text = await (await site.client.get("/metrics")).text()
    series = 'hubnet_http_request_duration_seconds_count{method="other",route="unmatched"'
    assert f'{series},status="405"}} 3.0' in text
    assert "PROPFIND" not in text and "MKCOL" not in text
