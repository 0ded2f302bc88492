"""Lighthouse on the pages members use most, as a phone sees them: the member's home, the
calendar, an event and a budget round open for choices. Accessibility and best practices
must score 100 and performance at least 95 (issue 17).

Lighthouse 12.2.3 comes from npm into tests/lighthouse/ (`make test` installs it) and
drives Debian's Chromium (/usr/bin/chromium), never a browser of its own. All four pages
run in one Node.js process with one Chromium (tests/lighthouse/run.mjs), on Lighthouse's
defaults: a phone-sized screen with simulated throttling (a slow 4G link and a CPU four
times slower). The reports are kept in test-artifacts/lighthouse/ to open in a browser.

The hub is given something to show first, through its services before it starts (that
is set-up; the pages are what is checked): a member, Ann, who is coming to an upcoming
event, the hub's news, and a budget round taking approvals with three proposals. Ann is
logged in over HTTP as she would be, and Lighthouse sends her session cookie.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from node import config as settings
from node.accounts.permissions import Role
from node.events.drafts import parse_form
from node.funds.ledger import Draft, Kind
from node.node import Node
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.network import Hub

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "lighthouse" / "run.mjs"
LIGHTHOUSE = ROOT / "tests" / "lighthouse" / "node_modules" / "lighthouse"
REPORTS = ROOT / "test-artifacts" / "lighthouse"
PASSWORD = "a password for the lighthouse test"
MINUTE_MS = 60_000
# What each category must score, out of 1 (Lighthouse's own scale; 100 in its report).
LEAST = {"accessibility": 1.0, "best-practices": 1.0, "performance": 0.95}


async def _seed(hub: Hub) -> tuple[bytes, int]:
    """An organiser, Ann, an event she is coming to, news, and a budget round that took
    proposals until a few minutes ago and takes approvals for a week: the event's id and
    the round's. The services run on a clock ten minutes back, so the round's proposal
    window (at least five minutes, the hub's shortest) has closed by the time Ann looks."""
    real_now = time.time_ns() // 1_000_000
    node = await Node.open(settings.load(hub.data_dir), clock=lambda: real_now - 10 * MINUTE_MS)
    try:
        olu = await node.members.apply(
            name="Olu Okafor", email="olu@example.org", password=PASSWORD,
            signed_charter=True, accepted_privacy=True, status="active",
        )  # fmt: skip
        for role in (Role.SECRETARY, Role.TREASURER):
            await node.members.grant(olu.id, role)
        ann = await node.members.apply(
            name="Ann Lee", email="ann@example.org", password=PASSWORD,
            signed_charter=True, accepted_privacy=True, status="active",
        )  # fmt: skip
        organiser, member = await node.members.get(olu.id), await node.members.get(ann.id)
        assert organiser is not None and member is not None

        day = (datetime.now(UTC) + timedelta(days=9)).date().isoformat()
        event = {
            "title": "Canal clean-up", "description": "Bring **gloves**; we bring tea.",
            "start_date": day, "start_time": "10:00", "end_date": "", "end_time": "13:00",
            "timezone": "Europe/London", "type": "action", "visibility": "public",
            "place": "Lock 4, Canal Street", "lat": "", "lon": "", "online_url": "",
            "capacity": "", "speakers": "", "cohosts": "",
        }  # fmt: skip
        event_id = await node.events.organiser.create(parse_form(event), by=organiser)
        await node.events.attendance.rsvp(event_id, by=member)
        await node.news.publish(
            organiser, "Public meeting", "Thursday at 7 in the **library**: all welcome."
        )

        await node.funds.record(
            organiser, Draft(Kind.INCOME, 15_000, date.today(), "Donations", "Jumble sale")
        )
        proposals_close = real_now - 3 * MINUTE_MS
        round_id = await node.funds.open_round(
            organiser, "Spring round", 10_000,
            proposals_close, proposals_close, real_now + 7 * 24 * 60 * MINUTE_MS,
        )  # fmt: skip
        for by, title, text, cost in (
            (member, "Seeds for the garden", "Seeds and **compost** for the beds.", 6_000),
            (organiser, "Hall hire", "For the winter meetings.", 5_000),
            (member, "Zine printing", "Two hundred copies.", 3_000),
        ):
            await node.funds.propose(by, round_id, title, text, cost)
        return event_id, round_id
    finally:
        await node.close()


def _session_cookie(base: str, email: str) -> str:
    """Log in through the login form over HTTP; the Cookie header the browser would send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(base + "/login", timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "hubnet_csrf")
    form = urllib.parse.urlencode({"csrf": csrf, "email": email, "password": PASSWORD})
    with opener.open(base + "/login", form.encode(), timeout=10) as response:
        assert response.url.endswith("/dashboard"), f"the login went to {response.url}"
    return "; ".join(f"{c.name}={c.value}" for c in jar)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], str]]:
    """The four pages' addresses on a running, seeded hub, and Ann's Cookie header."""
    hub = Hub(tmp_path_factory.mktemp("lighthouse"), "Riverside")
    # Playwright's loop may count as running on this thread (conftest.py): use another.
    with ThreadPoolExecutor(1) as thread:
        event_id, round_id = thread.submit(asyncio.run, _seed(hub)).result()
    hub.start()
    try:
        urls = {
            "home": f"{hub.url}/dashboard",
            "calendar": f"{hub.url}/calendar",
            "event": f"{hub.url}/events/{event_id.hex()}",
            "budget-round": f"{hub.url}/budget/{round_id}",
        }
        yield urls, _session_cookie(hub.url, "ann@example.org")
    finally:
        hub.stop()


def _run_lighthouse(urls: dict[str, str], cookie: str, out: Path, job_file: Path) -> None:
    if not LIGHTHOUSE.exists():
        pytest.fail(f"{LIGHTHOUSE} is missing: `make test` installs it from tests/lighthouse")
    job = {
        "chrome": str(CHROMIUM),
        "flags": ["--headless=new", *CHROMIUM_ARGS],
        "headers": {"Cookie": cookie},
        "pages": urls,
        "out": str(out),
    }
    job_file.write_text(json.dumps(job))  # not among the reports: it holds the cookie
    result = subprocess.run(
        ["node", str(RUNNER), str(job_file)], capture_output=True, text=True, timeout=100
    )
    assert result.returncode == 0, f"Lighthouse failed:\n{result.stdout}\n{result.stderr}"


def _items(audit: dict[str, Any]) -> list[str]:
    """What a failing audit points at: elements' selectors and snippets, or addresses."""
    named = []
    for item in (audit.get("details") or {}).get("items") or []:
        node = item.get("node") or {}
        if node:
            named.append(f"{node.get('selector', '')}: {node.get('snippet', '')}")
        else:
            said = (item.get(key) for key in ("source", "description", "url"))
            named.append(": ".join(str(s) for s in said if s))
    return named


def _failures(report: dict[str, Any]) -> list[str]:
    """Every audit that takes points off a category, with what it names."""
    lines = []
    for category_id, category in report["categories"].items():
        for ref in category["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                lines.append(
                    f"  {category_id}: {audit['id']} ({audit['score']}): {audit['title']}"
                    + (f" [{audit['displayValue']}]" if audit.get("displayValue") else "")
                )
                lines += [f"      {item}" for item in _items(audit)[:10]]
    return lines


def _scores(name: str, url: str) -> tuple[dict[str, float], dict[str, Any]]:
    report = json.loads((REPORTS / f"{name}.json").read_text())
    # A page that sent Ann to the login page would be scored as the login page.
    assert report["finalDisplayedUrl"] == url, (name, report["finalDisplayedUrl"])
    assert report["configSettings"]["formFactor"] == "mobile"
    assert report["configSettings"]["throttlingMethod"] == "simulate"
    return {c: report["categories"][c]["score"] for c in LEAST}, report


@pytest.mark.timeout(150)
def test_phone_lighthouse_scores_of_home_calendar_event_and_budget_round(
    pages: tuple[dict[str, str], str], tmp_path: Path
) -> None:
    urls, cookie = pages
    REPORTS.mkdir(parents=True, exist_ok=True)
    _run_lighthouse(urls, cookie, REPORTS, tmp_path / "job.json")
    # Simulated throttling multiplies the CPU time the page really took, which other work
    # on a shared machine inflates: a page under 95 for performance alone is measured once
    # more, and its second figure stands. Accessibility and best practices do not vary.
    slow = {
        name: url
        for name, url in urls.items()
        if _scores(name, url)[0]["performance"] < LEAST["performance"]
    }
    if slow:
        print("Lighthouse again, for performance:", ", ".join(slow))
        _run_lighthouse(slow, cookie, REPORTS, tmp_path / "again.json")
    scores, problems = {}, []
    for name, url in urls.items():
        scores[name], report = _scores(name, url)
        if any(scores[name][c] < least for c, least in LEAST.items()):
            problems += [f"{name} ({url}): {scores[name]}", *_failures(report)]
    print("Lighthouse scores:", json.dumps(scores))
    assert not problems, "Lighthouse finds fault on a phone:\n" + "\n".join(problems)
