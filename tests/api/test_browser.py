"""The web page in real headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright),
against ``quotewire serve`` on a free loopback port over the test indices.

Screenshots go to the test's tmp path and to ``out/`` (gitignored) for a human to look at.
"""

from __future__ import annotations

import re
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipeline.settings import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (CI runs as root in a container), no GPU, and nothing that phones home: the machines
# have no internet, and a browser waiting on the network would only slow the test down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = PROJECT_ROOT / "out"
Serve = Callable[..., AbstractContextManager[str]]  # the `serve` fixture of conftest.py


@pytest.fixture(scope="module")
def server(
    serve: Serve, quotewire_exe: str, cli_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with serve(quotewire_exe, cli_env, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.is_file(), "Debian's chromium is needed: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def opened(browser: object, base_url: str) -> Iterator[object]:
    """A fresh page on ``base_url``; fails the test on any JavaScript error."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=base_url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The server's Content-Security-Policy must not block anything the page (or /docs) does itself.
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    # No external assets: the machines that run quotewire may have no internet.
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith((base_url, "data:")) else outside.append(r.url))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
    assert outside == [], f"requests that left the server: {outside}"


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    with opened(browser, server) as fresh:
        yield fresh


def _settled(page: object) -> None:
    """Wait until the page has rendered a search answer (results, empty state or error)."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    expect(page.locator("#summary")).not_to_have_text("Searching…")
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true")


def _screenshot(page: object, tmp_path: Path, name: str) -> Path:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    SCREENSHOTS.mkdir(exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / name)
    return shot


def test_search_person_then_click_country_facet(page: object, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/")
    _settled(page)
    expect(page.locator("#cards > li").first).to_be_visible()  # the newest quotes before any search

    page.get_by_label("Person", exact=True).fill("Antonov")
    page.get_by_label("Person", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]person=Antonov(&|$)"))
    _settled(page)
    cards = page.locator("#cards > li")
    expect(cards).to_have_count(6)
    expect(page.locator("#summary")).to_have_text("6 quotes")
    for speaker in cards.locator(".speaker").all_inner_texts():
        assert "Antonov" in speaker

    russia = page.locator("#facet-countries button", has_text="Russia (RU)")
    expect(russia).to_have_attribute("aria-pressed", "false")
    russia.click()
    expect(page).to_have_url(re.compile(r"[?&]country=RU(&|$)"))
    _settled(page)
    expect(page.locator("#facet-countries button", has_text="Russia (RU)")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(page.locator("#chips")).to_contain_text("Person: Antonov")
    expect(page.locator("#chips")).to_contain_text("Country: Russia (RU)")
    expect(cards).to_have_count(6)
    assert set(cards.locator(".country").all_inner_texts()) == {"RU"}
    first = cards.first
    expect(first.locator(".quote")).not_to_be_empty()
    expect(first.locator(".date")).to_have_text("17 Aug 2023")
    expect(first.locator(".context")).to_be_visible()
    _screenshot(page, tmp_path, "browser-person-country.png")

    # A bar of the over-time facet narrows to its dates (month buckets by default).
    page.locator("#facet-time .tick").first.click()
    expect(page).to_have_url(re.compile(r"since=2023-08-01&until=2023-08-31"))
    _settled(page)
    expect(page.locator("#chips")).to_contain_text("From: 1 Aug 2023")
    expect(cards).to_have_count(6)
    page.go_back()
    _settled(page)

    # The card's numbers are the API's: the page shows what /quotes answers for the same URL.
    api = httpx.get(f"{server}/quotes", params={"person": "Antonov", "country": "RU", "limit": 20}).json()
    assert cards.locator(".quote").all_inner_texts() == [q["text"] for q in api["quotes"]]

    # Removing the person chip keeps the country; Back restores the previous search.
    page.get_by_role("button", name="Remove person filter").click()
    expect(page).not_to_have_url(re.compile(r"person="))
    _settled(page)
    everyone = httpx.get(f"{server}/quotes", params={"country": "RU", "limit": 1}).json()["total"]
    assert everyone >= 7
    expect(page.locator("#summary")).to_contain_text(f"{everyone} quote")
    page.go_back()
    _settled(page)
    expect(page.get_by_label("Person", exact=True)).to_have_value("Antonov")
    expect(cards).to_have_count(6)


def test_shared_url_speaker_facet_and_article_in_context(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/?text=prisoner+exchanges&since=2023-08-17&until=2023-08-17")
    _settled(page)
    expect(page.get_by_label("Words in the quote", exact=True)).to_have_value("prisoner exchanges")
    expect(page.locator("#more")).to_have_attribute("open", "")  # date filters in use: shown
    cards = page.locator("#cards > li")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 2
    marks = [m.lower() for m in page.locator("#cards mark").all_inner_texts()]
    assert marks and all(m.startswith(("prisoner", "exchange")) for m in marks), marks

    # A speaker facet filters on click; the speaker name on a card does too.
    blinken = page.locator("#facet-speakers button", has_text="Blinken")
    blinken.click()
    expect(page).to_have_url(re.compile(r"person=Antony\+Blinken|person=Antony%20Blinken"))
    _settled(page)
    for speaker in cards.locator(".speaker").all_inner_texts():
        assert speaker.endswith("Blinken")

    text = cards.first.locator(".quote").inner_text()
    cards.first.get_by_role("button", name="Read in context").click()
    dialog = page.locator("dialog#article")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".q.current")).to_have_count(1)
    assert dialog.locator(".q.current").inner_text() == text
    expect(dialog.locator(".who").first).to_be_visible()
    _screenshot(page, tmp_path, "browser-article.png")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_empty_and_invalid_searches_say_so(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/?person=Nobody+Atall")
    _settled(page)
    expect(page.locator("#summary")).to_have_text("No quotes found")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("No quotes match")
    expect(page.locator("#cards > li")).to_have_count(0)
    expect(page.locator("#pager")).to_be_hidden()

    page.get_by_label("Speaker's country", exact=True).fill("Narnia")
    page.get_by_role("button", name="Search", exact=True).click()
    error = page.locator("#form-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("unknown country 'Narnia'")
    expect(page.get_by_label("Speaker's country", exact=True)).to_have_attribute("aria-invalid", "true")
    _screenshot(page, tmp_path, "browser-invalid.png")


def test_language_filter_in_the_form_and_the_url(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/?person=Antonov")
    _settled(page)
    english = page.locator("#cards > li").count()
    assert english > 0
    # English articles carry no language badge; the field narrows the search and lands in the URL.
    expect(page.locator("#cards > li .language")).to_have_count(0)
    page.locator("#more").evaluate("node => { node.open = true; }")
    page.get_by_label("Language", exact=True).fill("de")
    page.get_by_role("button", name="Search", exact=True).click()
    _settled(page)
    expect(page.locator("#summary")).to_have_text("No quotes found")
    assert "language=de" in page.url
    page.goto("/?person=Antonov&language=en")
    _settled(page)
    expect(page.get_by_label("Language", exact=True)).to_have_value("en")
    expect(page.locator("#cards > li")).to_have_count(english)


def test_keyboard_and_paging(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    # The dated test article of 2024 leads its source, with its headline and original link (undated
    # corpus articles are placed by the time they were received, today, so they lead the landing page).
    page.goto("/?source=Example+Wire")
    _settled(page)
    newest = page.locator("#cards > li").first
    expect(newest.locator(".source")).to_have_text("Example Wire")
    expect(newest.get_by_role("link", name="Original ↗")).to_have_attribute(
        "href", "https://wire.example/2024/01/05/corridor talks"
    )
    page.goto("/")
    _settled(page)
    _screenshot(page, tmp_path, "browser-landing.png")
    page.keyboard.press("/")
    expect(page.get_by_label("Person", exact=True)).to_be_focused()
    page.get_by_label("Person", exact=True).press("Escape")
    page.locator("body").click(position={"x": 5, "y": 400})  # leave the field

    pager = page.locator("#pager")
    expect(pager).to_be_visible()  # the sample holds more quotes than one page
    first_page = page.locator("#cards .quote").all_inner_texts()
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"offset=20"))
    _settled(page)
    expect(page.locator("#page-info")).to_contain_text("Page 2 of")
    assert page.locator("#cards .quote").all_inner_texts() != first_page
    page.get_by_role("button", name="← Previous").click()
    _settled(page)
    expect(page.locator("#page-info")).to_contain_text("Page 1 of")
    assert page.locator("#cards .quote").all_inner_texts() == first_page


def test_search_service_down_says_so(
    serve: Serve, browser: object, quotewire_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    with socket.socket() as sock:  # a loopback port nothing listens on: Elasticsearch "down"
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    env = {**cli_env, "QUOTEWIRE_ES_URL": dead, "QUOTEWIRE_ES_REQUEST_TIMEOUT": "2"}
    log = tmp_path / "serve.log"
    with serve(quotewire_exe, env, log, healthy=False) as base, opened(browser, base) as page:
        assert isinstance(page, Page)
        page.goto("/?person=Antonov")
        _settled(page)
        expect(page.locator("#summary")).to_have_text("Search is unavailable")
        notice = page.locator("#notice")
        expect(notice).to_be_visible()
        expect(notice).to_contain_text("cannot reach its search index")
        expect(notice.get_by_role("button", name="Try again")).to_be_visible()
        expect(page.locator("#cards > li")).to_have_count(0)
        _screenshot(page, tmp_path, "browser-unavailable.png")


def test_openapi_docs_render_offline(page: object, tmp_path: Path) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("quotewire")
    for path in ("/quotes", "/speakers", "/people", "/countries", "/healthz"):
        expect(page.locator(f'.opblock-summary-path[data-path="{path}"]')).to_be_visible()
    _screenshot(page, tmp_path, "browser-docs.png")


def test_quick_date_ranges(page: object) -> None:
    from datetime import UTC, datetime, timedelta

    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/?person=Antonov")
    _settled(page)
    page.locator("#more summary").click()
    page.get_by_role("button", name="last 7 days").click()
    week_ago = (datetime.now(UTC) - timedelta(days=6)).date().isoformat()
    expect(page).to_have_url(re.compile(rf"person=Antonov&since={week_ago}$"))
    _settled(page)
    expect(page.locator("#summary")).to_have_text("No quotes found")  # the seed is from 2023
    page.get_by_role("button", name="any time").click()
    expect(page).to_have_url(re.compile(r"\?person=Antonov$"))
    _settled(page)
    expect(page.locator("#summary")).to_have_text("6 quotes")


def test_only_web_addresses_become_links(page: object, server: str) -> None:
    """The test article whose url is ``javascript:...``: no card or dialog link to it, even when a
    server passes such a url on (the page checks for itself)."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)

    # A server that passes the url on: the page's own check is what stands between it and a click.
    def hostile_url(route: Any) -> None:
        response = route.fetch()
        body = response.json()
        for quote in body["quotes"]:
            quote["article"]["url"] = "javascript:alert(document.cookie)"
        route.fulfill(response=response, json=body)

    page.route("**/quotes?*", hostile_url)
    page.goto("/?person=王小明")
    _settled(page)
    card = page.locator("#cards > li")
    expect(card).to_have_count(1)
    expect(card.locator(".speaker")).to_have_text("王小明")
    expect(card.locator("a")).to_have_count(0)
    card.get_by_role("button", name="Read in context").click()
    dialog = page.locator("dialog#article")
    expect(dialog.locator(".q.current")).to_have_count(1)
    expect(dialog.get_by_role("link", name="Original ↗")).to_have_count(0)
    expect(dialog.get_by_role("link", name="JSON")).to_be_visible()
    assert httpx.get(f"{server}/articles/scripts-test-1").json()["url"] is None  # the API's own check


def test_api_key_prompt_and_rate_limit_message(
    serve: Serve, browser: object, quotewire_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    """A server with API keys: the page asks for one in the results area, keeps it for the tab and
    sends it; a wrong key is said to be wrong. Over the rate limit, the page says to slow down."""
    from playwright.sync_api import Page, expect

    key = "page-test-key-0123456789"
    env = {**cli_env, "QUOTEWIRE_API_KEYS": key, "QUOTEWIRE_API_RATE_LIMIT": "3/minute"}
    with serve(quotewire_exe, env, tmp_path / "serve.log") as base, opened(browser, base) as page:
        assert isinstance(page, Page)
        page.goto("/?person=Antonov")
        _settled(page)
        notice = page.locator("#results #notice")
        expect(notice).to_contain_text("This server needs an API key")
        expect(page.locator("#summary")).to_have_text("API key needed")
        expect(page.locator("#cards > li")).to_have_count(0)
        _screenshot(page, tmp_path, "browser-api-key.png")

        page.get_by_label("API key", exact=True).fill("not-the-key-0123456789")
        page.get_by_role("button", name="Use key").click()
        expect(notice).to_contain_text("The key given was not accepted")

        page.get_by_label("API key", exact=True).fill(key)
        page.get_by_role("button", name="Use key").click()
        _settled(page)
        expect(page.locator("#summary")).to_have_text("6 quotes")
        expect(page.locator("#cards > li")).to_have_count(6)

        # 3 a minute, wrong keys not counted: /countries and /quotes above, /countries again here, then 429.
        page.goto("/?person=Blinken")
        _settled(page)
        expect(notice).to_contain_text("Too many searches from here")
        expect(page.locator("#summary")).to_have_text("Slow down")
        _screenshot(page, tmp_path, "browser-rate-limited.png")


def test_cue_verbs_and_the_open_article_in_the_url(page: object, tmp_path: Path) -> None:
    """Cards show the cue verb; opening an article puts it in the URL (a link to it opens it, Back
    closes it, Forward opens it again), and closing it keeps the search."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/?person=Ryabkov")
    _settled(page)
    card = page.locator("#cards > li").first
    cue = httpx.get(f"{page.url.split('/?')[0]}/quotes", params={"person": "Ryabkov"}).json()["quotes"][0][
        "cue"
    ]
    assert cue, "the seed's Ryabkov quote has a cue verb"
    expect(card.locator(".cue")).to_have_text(cue)

    card.get_by_role("button", name="Read in context").click()
    dialog = page.locator("dialog#article")
    expect(dialog).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?person=Ryabkov&article=000_6b86da6157363970&quote=\w+$"))
    shared = page.url
    expect(dialog.locator(".who", has_text=f"· {cue}").first).to_be_visible()
    page.go_back()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"\?person=Ryabkov$"))
    page.go_forward()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"\?person=Ryabkov$"))
    expect(page.locator("#cards > li")).to_have_count(1)

    # The shared link, opened fresh: the article with the same quote marked, over the same search.
    page.goto(shared)
    expect(dialog).to_be_visible()
    expect(dialog.locator(".q.current")).to_have_count(1)
    _settled(page)
    expect(page.locator("#summary")).to_have_text("1 quote")
    _screenshot(page, tmp_path, "browser-shared-article.png")
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"\?person=Ryabkov$"))  # a shared link: nothing to go back to


def test_timeline_over_sparse_decades(page: object, tmp_path: Path) -> None:
    """The sample spans 1987 (Reuters) to today (undated stories placed when received): one equal bar
    per year with quotes, a break where years were skipped, a click narrows to that year."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/")
    _settled(page)
    ticks = page.locator("#facet-time .tick")
    labels = [ticks.nth(i).get_attribute("aria-label") or "" for i in range(ticks.count())]
    years = [label.split(":")[0] for label in labels]
    assert years == sorted(set(years)) and all(re.fullmatch(r"\d{4}", y) for y in years), labels
    assert "1987" in years and len(years) >= 3
    assert page.locator("#facet-time .gap").count() >= 1  # decades without quotes are a break
    widths = [ticks.nth(i).bounding_box()["width"] for i in range(ticks.count())]  # type: ignore[index]
    assert min(widths) >= 8, widths  # every year is a bar one can see and click
    expect(page.locator(".timeline-range")).to_contain_text("1987")
    _screenshot(page, tmp_path, "browser-timeline.png")
    ticks.first.click()
    expect(page).to_have_url(re.compile(r"since=1987-01-01&until=1987-12-31"))
    _settled(page)
    for date in page.locator("#cards .date").all_inner_texts():
        assert date.endswith("1987")


def test_phone_facets_before_results_and_errors_full_width(
    browser: object, server: str, tmp_path: Path
) -> None:
    """At phone width the facets open from a button above the results; an error takes the results'
    full width at any width."""
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server, is_mobile=True)
    try:
        page = context.new_page()
        page.goto("/?person=Antonov")
        _settled(page)
        toggle = page.get_by_role("button", name="Refine: speakers, countries, sources, time")
        expect(toggle).to_be_visible()
        expect(page.locator("#facets")).to_be_hidden()
        first_card = page.locator("#cards > li").first.bounding_box()
        assert toggle.bounding_box()["y"] < first_card["y"]  # type: ignore[index]
        _screenshot(page, tmp_path, "browser-phone.png")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        russia = page.locator("#facet-countries button", has_text="Russia (RU)")
        expect(russia).to_be_visible()
        assert russia.bounding_box()["y"] < page.locator("#cards > li").first.bounding_box()["y"]  # type: ignore[index]
        _screenshot(page, tmp_path, "browser-phone-refine.png")
        russia.click()
        expect(page).to_have_url(re.compile(r"country=RU"))
        _settled(page)

        page.goto("/?country=Narnia")
        _settled(page)
        expect(toggle).to_be_hidden()  # nothing to refine
    finally:
        context.close()

    with opened(browser, server) as desktop:
        from playwright.sync_api import Page

        assert isinstance(desktop, Page)
        desktop.goto("/?country=Narnia")
        _settled(desktop)
        expect(
            desktop.get_by_role("button", name="Refine: speakers, countries, sources, time")
        ).to_be_hidden()
        notice = desktop.locator("#notice").bounding_box()
        main = desktop.locator("main").bounding_box()
        assert notice["width"] > 0.8 * main["width"], (notice, main)  # type: ignore[index]
        _screenshot(desktop, tmp_path, "browser-error-desktop.png")
