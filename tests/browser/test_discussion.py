"""Discussions in a real browser: a thread, a reply, the unread marker, a report and a
moderator hiding the post; a working group with a task taken and done."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.browser.helpers import Applicant, Organiser, apply_to_join, check_accessibility, log_in
from tests.integration.network import Hub


def _approve(organiser: Page, hub: Hub, who: Organiser, name: str) -> None:
    log_in(organiser, hub.url, who.email, who.password)
    organiser.goto(hub.url + "/organise/members")
    organiser.get_by_role("button", name=f"Approve {name}").click()
    expect(organiser.get_by_role("status")).to_have_text(f"{name}: approved.")


def test_thread_reply_unread_report_and_hide(
    hub: Hub, organiser_account: Organiser, page: Page, new_page: Callable[[], Page]
) -> None:
    sam = Applicant("Sam Okafor", "sam@example.org", "07700 900456", "sam's good password")
    apply_to_join(page, hub.url, sam)
    organiser = new_page()
    _approve(organiser, hub, organiser_account, sam.name)

    organiser.get_by_role("navigation", name="Main").get_by_role("link", name="Discussions").click()
    organiser.get_by_label("Title").fill("Leafleting on Saturday")
    organiser.get_by_label("What do you want to say?").fill("Who can help **fold** leaflets?")
    organiser.get_by_role("button", name="Start the discussion").click()
    expect(organiser.get_by_role("heading", level=1)).to_have_text("Leafleting on Saturday")
    expect(organiser.locator(".post-body strong")).to_have_text("fold")
    expect(organiser.get_by_role("complementary")).to_contain_text("Our code of conduct")
    check_accessibility(organiser)

    log_in(page, hub.url, sam.email, sam.password)
    page.goto(hub.url + "/discussions")
    topic = page.get_by_role("listitem").filter(has_text="Leafleting on Saturday")
    expect(topic.get_by_text("New", exact=True)).to_be_visible()
    topic.get_by_role("link", name="Leafleting on Saturday").click()
    page.get_by_label("Your reply").fill("Me! And this is rude.")
    page.get_by_role("button", name="Post reply").click()
    expect(page.locator(".post-body").filter(has_text="Me! And this is rude.")).to_be_visible()
    check_accessibility(page)

    organiser.reload()
    reply = organiser.locator("li.post").filter(has_text="Me! And this is rude.")
    expect(reply.get_by_text("New", exact=True)).to_be_visible()
    reply.get_by_text("Report", exact=True).click()
    reply.get_by_label("Why should the moderators look at this?").fill("Rude to others")
    reply.get_by_role("button", name="Send report").click()
    expect(organiser.get_by_role("status")).to_contain_text("moderators will look")

    organiser.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
    expect(organiser.get_by_role("article")).to_contain_text("Rude to others")
    check_accessibility(organiser)
    organiser.get_by_role("button", name="Hide the post of report").click()
    expect(organiser.get_by_role("status")).to_have_text("The post is hidden.")
    organiser.goto(hub.url + "/moderation")
    expect(organiser.get_by_text("No open reports.")).to_be_visible()

    page.reload()
    expect(page.locator(".post-body").filter(has_text="Me! And this is rude.")).to_have_count(0)
    expect(page.get_by_text("Hidden by this hub's moderators.")).to_be_visible()


def test_working_group_task_taken_and_done(
    hub: Hub, organiser_account: Organiser, page: Page
) -> None:
    log_in(page, hub.url, organiser_account.email, organiser_account.password)
    page.goto(hub.url + "/groups")
    page.get_by_label("Name").fill("Library campaign stall")
    page.get_by_label("What the group is for").fill("Run the stall at the market.")
    page.get_by_role("button", name="Start the group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Library campaign stall")
    page.get_by_label("New task").fill("Borrow a gazebo")
    page.get_by_role("button", name="Add task").click()
    row = page.get_by_role("row").filter(has_text="Borrow a gazebo")
    row.get_by_role("button", name="Take the task: Borrow a gazebo").click()
    row = page.get_by_role("row").filter(has_text="Borrow a gazebo")
    expect(row).to_contain_text("Organiser")
    row.get_by_role("button", name="Mark done: Borrow a gazebo").click()
    expect(page.get_by_role("status")).to_have_text("Task done. Thank you!")
    expect(page.get_by_role("row").filter(has_text="Borrow a gazebo")).to_contain_text("Done")
    check_accessibility(page)
    page.get_by_role("button", name="Leave the group").click()
    expect(page.get_by_role("button", name="Join the group")).to_be_visible()
