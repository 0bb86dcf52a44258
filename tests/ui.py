"""A staff member at the Temporal Web UI, driven through Playwright and Debian's chromium.

Facts of UI 2.54.1 this relies on: the workflow page is /namespaces/<ns>/workflows/<id>;
"More Actions" opens "Send a Signal" / "Send an Update"; names come as options of a listbox;
the Data editor (CodeMirror) must be blurred before Submit; the page polls, so readiness is
the metadata query's response, never network idle.
"""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from playwright.async_api import Browser, Locator, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "ui"


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


class StaffUI:
    def __init__(self, page: Page, base_url: str, namespace: str = "default") -> None:
        self.page = page
        self.origin = base_url
        self.base = f"{base_url}/namespaces/{namespace}"
        self.endpoint = ""  # the codec server, once signed in

    async def sign_in(self, endpoint: str, token: str) -> None:
        """The codec server's sign-in form: the token is posted, never put in a URL; the
        session cookie then names this person to the codec server (and the stamps it makes)."""
        await self.page.goto(f"{endpoint}/sign-in")
        await self.page.get_by_label("Staff token").fill(token)
        await self.page.get_by_role("button", name="Sign in").click()
        await self.page.wait_for_url(f"{self.origin}/**")  # the codec server sends it back
        self.endpoint = endpoint

    async def use_codec_server(self, endpoint: str, token: str) -> None:
        """What a staff member does once per browser: sign in to the codec server (a cookie),
        then point the UI at it with cross-origin credentials."""
        await self.sign_in(endpoint, token)
        await self.page.goto(f"{self.base}/workflows")
        await self.page.get_by_role("button", name=re.compile(r"^Codec Server")).click()
        dialog = self.page.get_by_role("dialog")
        await dialog.get_by_text("Use my browser setting").click()
        await dialog.get_by_placeholder("Paste your endpoint here").fill(endpoint)
        await dialog.get_by_text("Include cross-origin credentials").click()
        await dialog.get_by_role("button", name="Apply").click()
        await dialog.wait_for(state="hidden")

    async def open_case(self, case_id: str) -> None:
        """Open the case page and wait until the UI has read the decisions' metadata."""
        async with self.page.expect_response(
            lambda r: "__temporal_workflow_metadata" in r.url and r.ok, timeout=30_000
        ):
            await self.page.goto(f"{self.base}/workflows/{case_id}")

    async def send(
        self,
        kind: Literal["Signal", "Update"],
        name: str,
        data: Any | str | None,
        *,
        screenshot: str | None = None,
    ) -> str | None:
        """Send a decision through the dialog; the dialog's error text, or None on success.

        ``data`` is JSON-encoded unless it is a string, which is typed as is (None: leave the
        Data box empty). ``screenshot`` names a picture of the filled dialog or its error.
        """
        page = self.page
        await page.get_by_role("button", name="More Actions").click()
        label = "Send a Signal" if kind == "Signal" else "Send an Update"
        await page.get_by_role("menuitem", name=label).click()
        dialog = page.get_by_role("dialog")
        await dialog.locator("button[aria-haspopup]").first.click()
        await (
            page.get_by_role("option")
            .filter(has=page.locator("span", has_text=re.compile(f"^{re.escape(name)}$")))
            .click()
        )
        if data is not None:
            editor = dialog.locator(".cm-content")
            await editor.click()
            await page.keyboard.insert_text(data if isinstance(data, str) else json.dumps(data))
            await editor.blur()
        if screenshot:
            await self.screenshot(f"{screenshot}-filled")
        await dialog.get_by_test_id("confirm-modal-button").click()
        return await self._outcome(dialog, screenshot)

    async def _outcome(self, dialog: Locator, screenshot: str | None) -> str | None:
        """None once the dialog closes; the error's headline if it shows one instead."""
        headline = dialog.locator('[role="alert"] p').first
        for _ in range(150):
            if not await dialog.is_visible():
                return None
            if await headline.is_visible():
                text = await headline.inner_text()
                if screenshot:
                    await self.screenshot(f"{screenshot}-refused")
                await dialog.get_by_test_id("cancel-modal-button").click()
                return text
            await self.page.wait_for_timeout(100)
        raise AssertionError("the dialog neither closed nor showed an error within 15 s")

    async def current_details(self, case_id: str) -> str:
        """The User Metadata tab's Current Details, as rendered (the UI draws markdown in an
        iframe of its own)."""
        await self.open_case(case_id)
        await self.page.get_by_text("User Metadata", exact=True).click()
        for _ in range(100):
            for frame in self.page.frames:
                if "/render?" in frame.url and "Waiting%20for" in frame.url:
                    await frame.get_by_text("Waiting for:").wait_for()
                    return await frame.locator("body").inner_text()
            await self.page.wait_for_timeout(100)
        raise AssertionError("the current details did not render within 10 s")

    async def desk_body(self, case_id: str, name: str, **picked: str) -> dict[str, Any]:
        """The body Current Details offers for ``name`` (the line whose values include
        ``picked``, e.g. finding=…), read from the rendered page as staff would copy it."""
        text = await self.current_details(case_id)
        for line in text.splitlines():
            if line.strip().lstrip("-•* ").startswith(name) and "{" in line:
                body, _ = json.JSONDecoder().raw_decode(line[line.index("{") :])
                if isinstance(body, dict) and picked.items() <= body.items():
                    return body
        raise AssertionError(f"Current Details offers no body for {name}:\n{text}")

    async def query_status(self, case_id: str) -> dict[str, Any]:
        await self.open_case(case_id)
        await self.page.get_by_text("Queries", exact=True).click()
        async with self.page.expect_response(lambda r: "/query/status" in r.url) as response:
            await self.page.get_by_role("button", name="Run Query").click()
        await (await response.value).finished()
        await self.page.get_by_text('"waiting_for"').first.wait_for()
        # The editor renders only the lines in view: a tall window shows the whole status.
        size = self.page.viewport_size
        await self.page.set_viewport_size(
            {"width": size["width"] if size else 1280, "height": 6000}
        )
        await self.page.wait_for_timeout(300)
        text = await self.page.locator(".cm-content").last.inner_text()
        if size:
            await self.page.set_viewport_size(size)
        result: dict[str, Any] = json.loads(text)
        return result

    async def list_cases(self, query: str) -> list[str]:
        async with self.page.expect_response(
            lambda r: "/api/v1/namespaces/" in r.url and "/workflows?" in r.url and r.ok
        ):
            await self.page.goto(f"{self.base}/workflows?query={query}")
        await self.page.get_by_role("link", name=re.compile(r"^ICR-")).first.wait_for()
        links = self.page.get_by_role("link", name=re.compile(r"^ICR-[0-9A-Z]{12}$"))
        return [await link.inner_text() for link in await links.all()]

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path
