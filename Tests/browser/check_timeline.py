#!/usr/bin/env python3
"""Checks the plan page's timeline in headless chromium (docs/ui.md): one bar per product that
ran, in the table's order, run widths proportional to the recorded run times, the critical path
outlined, a change through the API on the open page within a second; saves screenshots at 1280
and 375 px. Called by Tests/FletcherServerTests/BrowserTests.swift with a plan whose products all
ran; prints one JSON object and exits non-zero listing what failed.

Usage: check_timeline.py BASE_URL DATASET_ID TOKEN CLEAR_PRODUCT_ID SCREENSHOT_DIR
"""
import json
import os
import sys
import time
import urllib.request

from check_ui import ACCESSIBILITY, Browser, api_put, wait_for_stream

BARS = """Array.from(document.querySelectorAll('#timeline g.bar')).map((bar) => ({
    product: bar.dataset.product, runID: bar.dataset.runId, state: bar.dataset.state,
    critical: bar.classList.contains('critical'),
    outlined: (bar.querySelector('rect.outline').getAttribute('stroke') || '') !== '',
    label: bar.getAttribute('aria-label'),
    run: bar.querySelector('rect.run') && { width: Number(bar.querySelector('rect.run').getAttribute('width')),
                                            seconds: Number(bar.querySelector('rect.run').dataset.seconds) } }))"""


def main():
    base, dataset, token, cleared, screenshots = sys.argv[1:6]
    os.makedirs(screenshots, exist_ok=True)
    failures, report = [], {}
    browser = Browser()
    try:
        for width in (1280, 375):
            browser.viewport(width)
            browser.open(f"{base}/plan/{dataset}")
            browser.evaluate("document.getElementById('timeline-heading').scrollIntoView()")
            browser.screenshot(os.path.join(screenshots, f"plan-timeline-{width}.png"))
            overflow = browser.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                failures.append(f"the plan page is {overflow} px wider than a {width} px screen")
        browser.viewport(1280)
        browser.open(f"{base}/plan/{dataset}")
        failures += [f"accessibility: {problem}" for problem in browser.evaluate(ACCESSIBILITY)]

        bars = browser.evaluate(BARS)
        table = browser.evaluate("Array.from(document.querySelectorAll('#products tbody tr')).map((row) => row.dataset.id)")
        report["bars"] = len(bars)
        if [bar["product"] for bar in bars] != table:
            failures.append("the timeline's bars are not the table's products in the table's order")
        # A run reported started and finished at once is drawn 1 px wide, to be seen.
        scales = [bar["run"]["width"] / bar["run"]["seconds"] for bar in bars
                  if bar["run"] and bar["run"]["seconds"] > 0.001]
        if any(not bar["run"] for bar in bars) or not scales or max(scales) / min(scales) > 1.02:
            failures.append(f"run widths are not proportional to run times: {scales}")
        with urllib.request.urlopen(f"{base}/api/data_product/{dataset}/{bars[0]['product']}/runs") as response:
            run = json.load(response)[0]
        report["critical"] = sum(bar["critical"] for bar in bars)
        if not all(bar["outlined"] == bar["critical"] for bar in bars) or report["critical"] == 0:
            failures.append("the critical path is not (only) what is outlined")
        names = browser.evaluate("Array.from(document.querySelectorAll('#products tbody tr')).map((row) => row.cells[2].textContent)")
        for bar, name in zip(bars, names):
            if not (bar["label"] or "").startswith(f"{name}: {bar['state']}, waited "):
                failures.append(f"the bar of {name} is named '{bar['label']}'")
        if run["run_id"] != bars[0]["runID"]:
            failures.append("the first bar is not the product's latest attempt")

        # Live: clearing a product through the API starts a new attempt; its bar follows within a
        # second of the attempt's existence. The second is counted from when the API first shows
        # the attempt, not from the clear: dispatching it is the platform's round trip, which a
        # loaded machine can stretch, and no page can show an attempt before it exists.
        before = next(bar["runID"] for bar in bars if bar["product"] == cleared)
        wait_for_stream(browser)
        started = time.monotonic()
        api_put(base, token, f"/api/data_product/{dataset}/clear", [cleared])
        created, seen = None, None
        while time.monotonic() - started < 10:
            if created is None:
                with urllib.request.urlopen(f"{base}/api/data_product/{dataset}/{cleared}/runs") as response:
                    if json.load(response)[0]["run_id"] != before:
                        created = time.monotonic()
            now = browser.evaluate(f"""(() => {{ const bar = document.querySelector('#timeline g.bar[data-product="{cleared}"]');
                return bar && bar.dataset.runId; }})()""")
            if now and now != before:
                seen = time.monotonic() - (created or time.monotonic())
                break
            time.sleep(0.02)
        report["attempt_seconds"] = None if created is None else created - started
        report["live_update_seconds"] = seen
        if seen is None or seen > 1:
            failures.append(f"the new attempt reached the open timeline {seen} s after the API showed it "
                            f"(at most 1 s; the API showed it {report['attempt_seconds']} s after the clear)")
    finally:
        browser.close()
    report["failures"] = failures
    print(json.dumps(report))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
