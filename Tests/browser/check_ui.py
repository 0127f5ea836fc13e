#!/usr/bin/env python3
"""Drives Debian's headless chromium over the DevTools protocol against a running Fletcher
(docs/ui.md): checks the search and plan pages' DOM, accessibility basics and live updates, and saves
screenshots at 1280 px and 375 px. Called by Tests/FletcherServerTests/BrowserTests.swift with
a seeded server; prints one JSON object and exits non-zero listing what failed.

Usage: check_ui.py BASE_URL DATASET_ID TOKEN LIVE_PRODUCT_ID SCREENSHOT_DIR BIG_DATASET_ID BIG_FAILED
                   PAUSED_DATASET_ID PAUSED_PRODUCT_ID
(BIG_DATASET_ID: a plan of 250 products p0…p249, BIG_FAILED of them failed; PAUSED_DATASET_ID: a
paused plan without failed products, PAUSED_PRODUCT_ID one of its products.)
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # PyPI websocket-client

STATES = ["waiting", "queued", "running", "success", "failed", "disabled"]
FILLS = {"success": "#4caf50", "running": "#b9e4b0", "waiting": "#eeeeee", "queued": "#bdbdbd",
         "failed": "#e57373", "disabled": "#fafafa"}


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="fletcher-chromium-")
        # chromium's log goes to a file: a pipe nobody drains would stall it.
        log_path = os.path.join(self.profile, "chromium.log")
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "about:blank"],
                stdout=subprocess.DEVNULL, stderr=log)
        port, deadline = None, time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            with open(log_path) as log:
                for line in log:
                    if "DevTools listening on ws://" in line:
                        port = int(line.split("ws://127.0.0.1:")[1].split("/")[0])
            time.sleep(0.05)
        if port is None:
            raise RuntimeError("chromium did not start")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method, params=None):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def viewport(self, width):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900 if width >= 600 else 812, "deviceScaleFactor": 1, "mobile": width < 600})

    def open(self, url):
        self.call("Page.navigate", {"url": url})
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.evaluate("document.readyState") == "complete" and self.evaluate("location.href") == url:
                return
            time.sleep(0.05)
        raise RuntimeError(f"{url} did not load")

    def follow(self, expression):
        """Opens where the link `expression` finds leads."""
        self.open(self.evaluate(f"({expression}).href"))

    def wait_for_load(self, arrived):
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if arrived(self.evaluate("location.href")) and self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise RuntimeError("the next page did not load")

    def screenshot(self, path):
        shot = self.call("Page.captureScreenshot", {"format": "png"})
        with open(path, "wb") as file:
            file.write(base64.b64decode(shot["data"]))

    def press_tab(self):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", {"type": kind, "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9})

    def close(self):
        self.socket.close()
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


ACCESSIBILITY = """(() => {
  const problems = [];
  document.querySelectorAll('input, select, textarea').forEach((control) => {
    const labelled = control.getAttribute('aria-label') || (control.id && document.querySelector('label[for="' + control.id + '"]'));
    if (!labelled) problems.push('unlabelled ' + control.outerHTML.slice(0, 80));
  });
  let level = 0;
  document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach((heading) => {
    const next = Number(heading.tagName[1]);
    if ((level === 0 && next !== 1) || next > level + 1) problems.push('heading order: h' + level + ' then h' + next);
    level = next;
  });
  document.querySelectorAll('svg, img').forEach((picture) => {
    const holder = picture.closest('[role="img"][aria-label]');
    if (!holder && !picture.getAttribute('alt') && !picture.getAttribute('aria-label')) problems.push('picture without a text alternative');
  });
  return problems;
})()"""


def api_put(base, token, path, body):
    """A PUT to the API, as a client of it would send it."""
    request = urllib.request.Request(
        f"{base}{path}", method="PUT", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    urllib.request.urlopen(request).read()


def wait_for_stream(browser):
    """Waits until the open plan page has connected to its events stream."""
    deadline = time.monotonic() + 10
    while browser.evaluate("document.getElementById('dag').dataset.live") != "open":
        if time.monotonic() > deadline:
            raise RuntimeError("the plan page never connected to its events stream")
        time.sleep(0.02)


def main():
    base, dataset, token, live_product, screenshots, big, big_failed, paused, paused_product = sys.argv[1:10]
    os.makedirs(screenshots, exist_ok=True)
    failures, report = [], {}
    browser = Browser()
    try:
        for width in (1280, 375):
            browser.viewport(width)
            browser.open(f"{base}/")
            browser.screenshot(os.path.join(screenshots, f"search-{width}.png"))
            browser.open(f"{base}/plan/{dataset}")
            browser.screenshot(os.path.join(screenshots, f"plan-{width}.png"))
            overflow = browser.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                failures.append(f"the plan page is {overflow} px wider than a {width} px screen")

        browser.viewport(1280)
        browser.open(f"{base}/")
        problems = browser.evaluate(ACCESSIBILITY)
        browser.open(f"{base}/plan/{dataset}")
        problems += browser.evaluate(ACCESSIBILITY)
        failures += [f"accessibility: {problem}" for problem in problems]

        nodes = browser.evaluate("""Array.from(document.querySelectorAll('#dag svg g.node')).map((node) => ({
            id: node.id.replace('product-', ''), state: node.getAttribute('class').replace('node state-', ''),
            fill: node.querySelector('path, polygon').getAttribute('fill') }))""")
        rows = browser.evaluate("""Array.from(document.querySelectorAll('#products tbody tr')).map((row) =>
            ({ id: row.dataset.id, state: row.dataset.state }))""")
        report["svg_nodes"], report["table_rows"] = len(nodes), len(rows)
        if sorted((n["id"], n["state"]) for n in nodes) != sorted((r["id"], r["state"]) for r in rows):
            failures.append("the picture and the table disagree on the products or their states")
        for node in nodes:
            if node["fill"] != FILLS[node["state"]]:
                failures.append(f"{node['id']} is {node['state']} but filled {node['fill']}")

        browser.press_tab()
        focus = browser.evaluate("""(() => { const element = document.activeElement; const style = getComputedStyle(element);
            return { tag: element.tagName, outline: style.outlineStyle, width: style.outlineWidth }; })()""")
        if focus["outline"] in ("none", "") or focus["width"] == "0px":
            failures.append(f"keyboard focus is not visible on {focus['tag']}")

        # Live: a state changed through the API is on the open page within a second.
        wait_for_stream(browser)
        started = time.monotonic()
        api_put(base, token, f"/api/data_product/{dataset}/update", [{"id": live_product, "state": "failed"}])
        seen = None
        while time.monotonic() - started < 3:
            state = browser.evaluate(f"""(() => {{ const row = document.querySelector('tr[data-id="{live_product}"]');
                const node = document.getElementById('product-{live_product}');
                return row.dataset.state + ' ' + node.getAttribute('class'); }})()""")
            if state == "failed node state-failed":
                seen = time.monotonic() - started
                break
            time.sleep(0.02)
        report["live_update_seconds"] = seen
        if seen is None or seen > 1:
            failures.append(f"the change reached the open page after {seen} s (at most 1 s)")

        failures += paged_table(browser, base, big, int(big_failed), report)
        failures += search_status(browser, base, token, big, paused, paused_product, report)
    finally:
        browser.close()
    report["failures"] = failures
    print(json.dumps(report))
    return 1 if failures else 0


ROWS = "Array.from(document.querySelectorAll('#products tbody tr'))"
NAMES = ROWS + ".map((row) => row.cells[2].textContent)"


def paged_table(browser, base, dataset, failed, report):
    """The products table of a 250-product plan: 100 rows a page, the next page, a state filter
    kept in the URL through a reload and undone by the back button, sorting by a column."""
    failures, counts = [], []
    browser.open(f"{base}/plan/{dataset}")
    counts.append(browser.evaluate(ROWS + ".length"))
    if browser.evaluate(NAMES + "[0]") != "p0":
        failures.append("the first page does not start with the plan's first product")
    browser.follow("document.querySelector('nav.pages a[rel=next]')")
    counts.append(browser.evaluate(ROWS + ".length"))
    if browser.evaluate(NAMES + "[0]") != "p100" or "page=1" not in browser.evaluate("location.search"):
        failures.append("the next page does not start with product 100")
    page_two = browser.evaluate("location.href")
    browser.evaluate("""(() => { const select = document.getElementById('state-filter');
        select.value = 'failed'; select.dispatchEvent(new Event('change')); })()""")
    browser.wait_for_load(lambda href: "state=failed" in href)
    counts.append(browser.evaluate(ROWS + ".length"))
    states = set(browser.evaluate(ROWS + ".map((row) => row.dataset.state)"))
    if states != {"failed"}:
        failures.append(f"the failed filter shows rows in {states}")
    filtered = browser.evaluate("location.href")
    browser.evaluate("location.reload()")
    browser.wait_for_load(lambda href: href == filtered)
    counts.append(browser.evaluate(ROWS + ".length"))
    if browser.evaluate("document.getElementById('state-filter').value") != "failed":
        failures.append("the filter is not kept through a reload")
    browser.evaluate("history.back()")
    browser.wait_for_load(lambda href: href == page_two)
    counts.append(browser.evaluate(ROWS + ".length"))
    browser.open(f"{base}/plan/{dataset}")
    browser.follow("Array.from(document.querySelectorAll('#products th a')).find((a) => a.textContent === 'Name')")
    browser.follow("Array.from(document.querySelectorAll('#products th a')).find((a) => a.textContent === 'Name')")
    names = browser.evaluate(NAMES)
    if names != sorted((f"p{n}" for n in range(250)), reverse=True)[:100]:
        failures.append(f"sorting by name, descending, shows {names[:5]}…")
    sorted_by = browser.evaluate("document.querySelector('#products th[aria-sort]').textContent + ' ' + "
                                 "document.querySelector('#products th[aria-sort]').getAttribute('aria-sort')")
    if sorted_by != "Name descending":
        failures.append(f"the sorted column is marked '{sorted_by}'")
    report["paged_rows"] = counts
    if counts != [100, 100, failed, failed, 100]:
        failures.append(f"rows shown along the way: {counts}")
    return failures


BARS = """Object.fromEntries(Array.from(document.querySelectorAll('#results tr[data-dataset]')).map((row) => [
    row.dataset.dataset, {
      status: row.querySelector('.badge').textContent,
      label: row.querySelector('svg.statebar').getAttribute('aria-label'),
      segments: Array.from(row.querySelectorAll('svg.statebar rect[data-state]')).map((rect) => ({
        state: rect.dataset.state, count: Number(rect.dataset.count), width: Number(rect.getAttribute('width')) })) }]))"""


def api_rows(base, query=""):
    with urllib.request.urlopen(f"{base}/api/plan/search?search_by=&page=0{query}") as response:
        return {row["dataset_id"]: row for row in json.load(response)["rows"]}


def search_status(browser, base, token, failing, paused, paused_product, report):
    """The search page's status: each row's badge and state bar agree with the API's counts, the
    state filter narrows the rows and survives a reload and the back button, and a change made
    through the API reaches the open page's rows."""
    failures = []
    browser.open(f"{base}/")
    bars, expected = browser.evaluate(BARS), api_rows(base)
    report["search_rows"] = len(bars)
    if set(bars) != set(expected):
        failures.append(f"the search page lists {sorted(bars)}, the API {sorted(expected)}")
    for dataset_id, bar in bars.items():
        row = expected.get(dataset_id, {})
        counts = {segment["state"]: segment["count"] for segment in bar["segments"]}
        if counts != row.get("counts"):
            failures.append(f"{dataset_id}: the bar shows {counts}, the plan has {row.get('counts')}")
        total = sum(counts.values())
        for segment in bar["segments"]:
            if abs(segment["width"] - 120 * segment["count"] / total) > 0.01:
                failures.append(f"{dataset_id}: the {segment['state']} segment is {segment['width']} wide")
        if bar["status"] != ("Paused" if row.get("paused") else "Active"):
            failures.append(f"{dataset_id}: the badge says {bar['status']}")
        label = ", ".join(f"{counts[state]} {state}" for state in STATES if state in counts) or "no products"
        if bar["label"] != label:
            failures.append(f"{dataset_id}: the bar's text alternative is '{bar['label']}', not '{label}'")
    if bars.get(paused, {}).get("status") != "Paused":
        failures.append("the paused plan is not shown as paused")

    browser.evaluate("""(() => { const select = document.getElementById('state-filter');
        select.value = 'failed'; select.dispatchEvent(new Event('change')); })()""")
    browser.wait_for_load(lambda href: "state=failed" in href)
    filtered_rows = sorted(browser.evaluate(BARS))
    with_failed = sorted(dataset_id for dataset_id, row in expected.items() if row["counts"].get("failed"))
    if failing not in with_failed or paused in with_failed:
        failures.append(f"the seeded plans' failures are not as expected: {with_failed}")
    if filtered_rows != with_failed or sorted(api_rows(base, "&state=failed")) != with_failed:
        failures.append(f"the failed filter lists {filtered_rows}, not {with_failed}")
    filtered = browser.evaluate("location.href")
    browser.evaluate("location.reload()")
    browser.wait_for_load(lambda href: href == filtered)
    if sorted(browser.evaluate(BARS)) != with_failed or browser.evaluate(
            "document.getElementById('state-filter').value") != "failed":
        failures.append("the search's state filter is not kept through a reload")
    browser.evaluate("history.back()")
    browser.wait_for_load(lambda href: "state=failed" not in href)
    if sorted(browser.evaluate(BARS)) != sorted(expected):
        failures.append("back from the filter does not list every plan again")

    # Live: the open page's rows follow a change made through the API (they are asked for again
    # every 5 s while the page is visible).
    browser.open(f"{base}/")
    started = time.monotonic()
    api_put(base, token, f"/api/data_product/{paused}/update", [{"id": paused_product, "state": "failed"}])
    seen = None
    while time.monotonic() - started < 15:
        states = [segment["state"] for segment in browser.evaluate(BARS).get(paused, {}).get("segments", [])]
        if "failed" in states:
            seen = time.monotonic() - started
            break
        time.sleep(0.1)
    report["search_live_seconds"] = seen
    if seen is None:
        failures.append("a change to a plan did not reach the open search page within 15 s")
    return failures


if __name__ == "__main__":
    sys.exit(main())
