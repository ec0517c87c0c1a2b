"""Playwright driving Debian's Chromium (never a browser Playwright downloads).

The flags keep Chromium off the network it cannot reach on a closed machine.
Screenshots of failing pages land in test-artifacts/.
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("Debian's Chromium is not installed: run `make test`, which installs it.")
    # Playwright runs an event loop in this thread; Django's ORM refuses that unless told.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def _page(chromium, request, **options):
    context = chromium.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(chromium, request):
    yield from _page(chromium, request, viewport={"width": 1400, "height": 1000})


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)


#: A phone (iPhone 12 to 15 class): 390 × 844 CSS px, touch.
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


@pytest.fixture
def phone(chromium, request):
    """A page in a phone-sized, touch viewport."""
    yield from _page(chromium, request, **PHONE)


def shoot(page, name: str, *, full_page: bool = True) -> None:
    """Keep a screenshot in test-artifacts/screens/ for a person to look at."""
    folder = ARTIFACTS / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=full_page)


def no_sideways_scroll(page) -> bool:
    """Whether the page fits the viewport's width (nothing runs off the right edge)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def touch(page, selector: str, strokes: list[list[tuple[float, float]]]) -> None:
    """Drag fingers over an element: one list of (x, y) fractions per finger, in step.

    Chromium has no multi-touch drag in Playwright, so the pointer events a touch
    screen sends are dispatched as such (pointerType "touch").
    """
    page.evaluate(
        """([selector, strokes]) => {
        const el = document.querySelector(selector);
        const r = el.getBoundingClientRect();
        const send = (type, id, [x, y]) => el.dispatchEvent(new PointerEvent(type, {
            bubbles: true, cancelable: true, pointerId: 10 + id, pointerType: "touch",
            isPrimary: id === 0, button: type === "pointermove" ? -1 : 0,
            clientX: r.left + r.width * x, clientY: r.top + r.height * y}));
        strokes.forEach((points, id) => send("pointerdown", id, points[0]));
        const steps = Math.max(...strokes.map((s) => s.length));
        const last = (points, i) => points[Math.min(i, points.length - 1)];
        for (let i = 1; i < steps; i++)
            strokes.forEach((points, id) => send("pointermove", id, last(points, i)));
        strokes.forEach((points, id) => send("pointerup", id, points[points.length - 1]));
    }""",
        [selector, strokes],
    )
