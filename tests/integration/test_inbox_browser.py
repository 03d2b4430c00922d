"""The sandbox's pages in a real browser (headless Chromium driven by Playwright): on the team
inbox page new activity appears without a reload and a person comments on a thread; on the
sign-in page a person signs in by keys alone.

The page's live updates are a few lines of JavaScript; only a browser proves they run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
import pytest

from flowdock_desktop.sandbox import seed
from flowdock_desktop.testing import mint_token, post_status

playwright = pytest.importorskip("playwright.sync_api", reason="needs Playwright (pip .[dev])")
pytestmark = pytest.mark.browser

WAIT_MS = 20_000


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("needs Chromium (apt-get install chromium)")


@pytest.fixture
def flow_token(sandbox) -> str:
    access = mint_token(sandbox)["access_token"]
    answer = httpx.post(
        f"{sandbox.base_url}/flows/{seed.ORG_SLUG}/{seed.MAIN_FLOW}/sources",
        json={"name": "Browser check"},
        headers={"Authorization": f"Bearer {access}"},
    )
    answer.raise_for_status()
    return answer.json()["flow_token"]


@pytest.fixture
def page(sandbox):
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.errors = []  # script errors on the page fail the test
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.goto(f"{sandbox.base_url}/app/{seed.ORG_SLUG}/{seed.MAIN_FLOW}")
            yield page
        finally:
            browser.close()


def _screenshot(page, name: str) -> None:
    """The page as a person sees it, when ``make screenshots`` asks for screenshots."""
    target = os.environ.get("FLOWDOCK_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1024, "height": 700})
        page.screenshot(path=str(Path(target) / f"{name}.png"))


def _thread(page, title: str):
    return page.locator(".thread", has=page.locator("h3", has_text=title))


def test_new_activity_and_status_changes_appear_without_a_reload(sandbox, flow_token, page):
    expect = playwright.expect
    expect(page.locator("#live")).to_have_text(
        "Live: new activity appears as it arrives.", timeout=WAIT_MS
    )
    post_status(sandbox, flow_token, "web", "Web deploy", ("deploying", "yellow"))
    web = _thread(page, "Web deploy")
    expect(web.locator(".state")).to_contain_text("deploying", timeout=WAIT_MS)
    expect(web).to_contain_text("1 activity,")

    post_status(sandbox, flow_token, "web", "Web deploy", ("failed", "red"), title="broke it")
    expect(web.locator(".state")).to_contain_text("failed", timeout=WAIT_MS)
    expect(web).to_contain_text("2 activities,")
    expect(web).to_contain_text("broke it")
    assert page.locator(".thread", has_text="Web deploy").count() == 1
    assert page.errors == []
    _screenshot(page, "sandbox-team-inbox")


def test_a_person_comments_on_a_thread_from_the_page(sandbox, flow_token, page):
    expect = playwright.expect
    stored = post_status(sandbox, flow_token, "api", "API deploy", ("deploying", "yellow"))
    api = _thread(page, "API deploy")
    expect(api).to_be_visible(timeout=WAIT_MS)

    box = api.get_by_role("textbox", name=f"Comment on {stored['thread_id']}")
    box.click()
    page.keyboard.type("Looks good from here")
    page.keyboard.press("Enter")

    expect(api).to_contain_text("Looks good from here", timeout=WAIT_MS)
    comments = [
        m
        for m in httpx.get(
            f"{sandbox.base_url}/flows/{seed.ORG_SLUG}/{seed.MAIN_FLOW}/threads/"
            f"{stored['thread_id']}/messages",
            headers={"Authorization": f"Bearer {mint_token(sandbox)['access_token']}"},
        ).json()
        if m.get("content") == "Looks good from here"
    ]
    assert len(comments) == 1 and comments[0]["thread_id"] == stored["thread_id"]
    assert page.errors == []


def test_a_person_signs_in_to_the_sandbox_by_typing_the_password_and_enter(consent_sandbox, page):
    # The sign-in page as the wizard opens it: the email is filled in and the cursor waits in
    # the password field.
    sandbox = consent_sandbox
    query = (
        "response_type=code&client_id=sandbox-client-id&scope=flow+profile+integration"
        "&state=s1&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback"
    )
    page.goto(f"{sandbox.base_url}/oauth/authorize?{query}")
    page.wait_for_function(
        "document.activeElement && document.activeElement.name === 'password'", timeout=WAIT_MS
    )
    page.keyboard.type(seed.DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Authorize", timeout=WAIT_MS)
    assert f"Signed in as {seed.DEMO_USER_NAME}" in page.content()
    assert page.errors == []
