"""A staff member at the Temporal Web UI, driven through Playwright and Debian's chromium.

Facts of UI 2.54.1 this relies on: the workflow page is /namespaces/<ns>/workflows/<id>;
"More Actions" opens "Send a Signal" / "Send an Update"; names come as options of a listbox;
the Data editor (CodeMirror) must let go of the focus before Submit (a click on the word Data
above it; a click on the dialog's title closes the dialog), or the first click on Submit can be
lost; a double-click in it selects a run of word
characters (``WRITE_HERE``, not its quotes); Current Details is markdown rendered in a frame of
its own (``/render?content=…``), where a triple-click selects a paragraph (a desk body is one);
the page polls, so readiness is the metadata query's response, never network idle.
"""

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from playwright.async_api import Browser, Frame, Locator, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
_TITLES = {"Signal": "Send a Signal", "Update": "Send an Update"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "ui"

_WORD_AT = """(prefix) => {
  for (const root of document.querySelectorAll('dialog .cm-content, [role=dialog] .cm-content')) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const at = node.textContent.indexOf(prefix);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at + 2);
        range.setEnd(node, at + 3);
        const box = range.getBoundingClientRect();
        return [box.x + box.width / 2, box.y + box.height / 2];
      }
    }
  }
  return null;
}"""
"""Where a person's pointer lands to double-click the first word starting with ``prefix`` in
the dialog's Data box: on one of its letters."""

_DESK = """() => [...document.querySelectorAll('p > code:only-child')].map((code) => {
  const above = code.parentElement.previousElementSibling;
  return [above ? above.textContent : '', code.textContent];
})"""
"""Each body on the desk with the line above it (the decision's name, who, whether awaited)."""


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
        # The codec server sends the browser back to the UI; no need to wait for that page.
        await self.page.wait_for_url(f"{self.origin}/**", wait_until="commit")
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
        dialog = await self._open_dialog(kind, name)
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
        frame = await self.details_frame(case_id)
        return await frame.locator("body").inner_text()

    async def details_frame(self, case_id: str) -> Frame:
        """The User Metadata tab's Current Details frame, once rendered (the UI reads a closed
        case's metadata only when the tab opens, a running one's on loading the page)."""
        async with self.page.expect_response(
            lambda r: "__temporal_workflow_metadata" in r.url and r.ok, timeout=30_000
        ):
            await self.page.goto(f"{self.base}/workflows/{case_id}")
            await self.page.get_by_text("User Metadata", exact=True).click()
        for _ in range(100):
            for frame in self.page.frames:
                if "/render?" in frame.url and "Waiting%20for" in frame.url:
                    await frame.get_by_text("Waiting for:").wait_for()
                    return frame
            await self.page.wait_for_timeout(100)
        raise AssertionError("the current details did not render within 10 s")

    async def copy_from_desk(
        self, case_id: str, name: str, *, screenshot: str | None = None, **picked: Any
    ) -> dict[str, Any]:
        """What the guide says: on the desk, triple-click the body under ``name`` (the one with
        ``picked``'s values, e.g. finding=…) and press Ctrl+C. Returns the body as copied."""
        frame = await self.details_frame(case_id)
        offered: list[list[str]] = await frame.evaluate(_DESK)
        for index, (above, text) in enumerate(offered):
            if not (above.startswith(f"{name} (") and text.startswith("{")):
                continue
            body = json.loads(text)
            if picked.items() <= body.items():
                await frame.locator("p > code:only-child").nth(index).click(click_count=3)
                await self.page.keyboard.press("Control+c")
                if screenshot:
                    await self.screenshot(screenshot)
                copied = await frame.evaluate("() => window.getSelection().toString()")
                assert json.loads(copied) == body, f"the triple-click selected {copied!r}"
                result: dict[str, Any] = body
                return result
        raise AssertionError(f"Current Details offers no body for {name} {picked}: {offered}")

    async def decide_from_desk(
        self,
        kind: Literal["Signal", "Update"],
        name: str,
        written: list[str],
        *,
        screenshot: str | None = None,
    ) -> str | None:
        """What the guide says, after copying the body: More Actions → Send an Update (or a
        Signal) → the name → click the box under Data, Ctrl+V → double-click each ``WRITE_…`` word
        and type (``written``, in the body's order) → click the word Data → Submit. The dialog's
        error text, or None once it closes."""
        page = self.page
        dialog = await self._open_dialog(kind, name)
        await dialog.locator(".cm-content").click()
        await page.keyboard.press("Control+v")
        pasted = await dialog.locator(".cm-content").inner_text()
        assert "case_id" in pasted, f"Ctrl+V pasted {pasted!r}"
        for index, text in enumerate(written):
            at = await page.evaluate(_WORD_AT, "WRITE_")
            assert at is not None, f"no WRITE_ word left for {text!r}"
            await page.mouse.dblclick(at[0], at[1])
            if screenshot and index == 0:
                await self.screenshot(f"{screenshot}-word-selected")
            await page.keyboard.type(text)
        assert await page.evaluate(_WORD_AT, "WRITE_") is None, "every WRITE_ word replaced"
        # The word Data above the box: the box lets go of the focus, so the first click on
        # Submit is not lost to it (a click on the dialog's title closes the dialog instead).
        await dialog.get_by_text("Data", exact=True).click()
        if screenshot:
            await self.screenshot(f"{screenshot}-filled")
        await dialog.get_by_test_id("confirm-modal-button").click()
        return await self._outcome(dialog, screenshot)

    async def _open_dialog(self, kind: Literal["Signal", "Update"], name: str) -> Locator:
        page = self.page
        await page.get_by_role("button", name="More Actions").click()
        await page.get_by_role("menuitem", name=_TITLES[kind]).click()
        dialog = page.get_by_role("dialog")
        await dialog.locator("button[aria-haspopup]").first.click()
        await (
            page.get_by_role("option")
            .filter(has=page.locator("span", has_text=re.compile(f"^{re.escape(name)}$")))
            .click()
        )
        return dialog

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
