// Fletcher's own script: live search, live plan updates, table sorting and filtering.
// Every page works without it.
"use strict";

const fills = { success: "#4caf50", running: "#b9e4b0", waiting: "#eeeeee", queued: "#bdbdbd", failed: "#e57373", disabled: "#fafafa" };

// The search as the form holds it now: the fragment of its first page and the page's own URL.
function currentSearch() {
  const term = document.querySelector("[data-live-search]").value;
  const state = document.querySelector("[data-live-search-state]").value;
  const filter = state ? "&state=" + encodeURIComponent(state) : "";
  return {
    fragment: "/component/plan_search?search_by=" + encodeURIComponent(term) + filter + "&page=0",
    url: term || state ? "/?q=" + encodeURIComponent(term) + filter : "/",
  };
}

// Puts fresh rows in place, keeping the keyboard focus on the same link if it is still listed.
function showRows(rows) {
  const results = document.getElementById("results");
  const focused = results.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
  results.innerHTML = rows;
  if (focused) {
    const again = [...results.querySelectorAll("a[href]")].find((link) => link.getAttribute("href") === focused);
    if (again) again.focus();
  }
  watchMore();
}

// Search as you type; the URL keeps the term and the state filter. Choosing a state submits the
// form (see filterOnChange), so the back button returns to the previous filter.
let shownRows = null;
function liveSearch() {
  const input = document.querySelector("[data-live-search]");
  if (!input || !document.getElementById("results")) return;
  let timer;
  const load = () => {
    const search = currentSearch();
    fetch(search.fragment)
      .then((response) => response.text())
      .then((rows) => {
        shownRows = rows;
        showRows(rows);
        history.replaceState(null, "", search.url);
      });
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 500); });
  watchMore();
  liveRows();
}

// The first page of results is asked for again every 5 s while the page is visible, so status
// badges and state bars follow the plans (and a plan that changes moves to the top). Once more
// pages are loaded the rows stay still: they would otherwise move under the reader.
function liveRows() {
  if ((new URLSearchParams(location.search).get("page") || "0") !== "0") return;
  setInterval(() => {
    if (document.hidden || document.querySelectorAll("#results tr[data-dataset]").length > 50) return;
    fetch(currentSearch().fragment)
      .then((response) => response.text())
      .then((rows) => {
        if (rows === shownRows) return;
        shownRows = rows;
        showRows(rows);
      })
      .catch(() => {});
  }, 5000);
}

// Loads the next page of results when the "More" row scrolls into view.
function watchMore() {
  const more = document.querySelector("#results [data-more]");
  if (!more || !("IntersectionObserver" in window)) return;
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    observer.disconnect();
    fetch(more.dataset.more).then((response) => response.text()).then((rows) => {
      more.closest("tr").remove();
      document.getElementById("results").insertAdjacentHTML("beforeend", rows);
      watchMore();
    });
  });
  observer.observe(more);
}

function setState(id, state, runID, modified) {
  const row = document.querySelector('tr[data-id="' + id + '"]');
  if (row) {
    row.dataset.state = state;
    const badge = row.querySelector("[data-state-badge]");
    badge.textContent = state;
    badge.className = "badge state-" + state;
    row.dataset.updatedAt = String(Date.now());
    if (runID !== undefined) row.querySelector("[data-run-id] code").textContent = runID || "";
    if (modified) row.querySelector("[data-modified] time").textContent = modified;
  }
  const node = document.getElementById("product-" + id);
  if (node) {
    node.setAttribute("class", "node state-" + state);
    node.querySelectorAll("path, polygon").forEach((shape) => shape.setAttribute("fill", fills[state]));
  }
}

// Runs `work` (which returns a promise) when asked, at most once per `delay` ms: at once if it
// last started longer ago, else when that much time has passed. An ask while it runs makes it run
// once more after it, since its answer may predate that ask's change. So a change after a quiet
// spell shows without waiting, and a burst of changes costs two requests.
function coalesced(delay, work) {
  let state = "idle";
  let again = false;
  let started = -Infinity;
  const run = () => {
    state = "running";
    again = false;
    started = Date.now();
    work().catch(() => {}).finally(() => {
      state = "idle";
      if (again) ask();
    });
  };
  const ask = () => {
    if (state === "running") again = true;
    if (state !== "idle") return;
    const wait = started + delay - Date.now();
    if (wait <= 0) run();
    else { state = "waiting"; setTimeout(run, wait); }
  };
  return ask;
}

// The counts cover the whole plan, most of it not on this page: they are asked of the server
// after changes, at most twice a second.
const refreshCounts = coalesced(500, () => {
  const dag = document.getElementById("dag");
  return fetch(dag.dataset.counts, { headers: { Accept: "application/json" } })
    .then((response) => response.json())
    .then((counts) => {
      document.querySelectorAll("[data-count]").forEach((cell) => { cell.textContent = counts[cell.dataset.count] || 0; });
    });
});

// The timeline is drawn on the server: after changes it is asked for again (at most four times a
// second), and every 10 s while attempts are live, so running bars and the "now" line move on.
const askTimeline = coalesced(250, () => {
  const holder = document.getElementById("timeline");
  return fetch(holder.dataset.timeline)
    .then((response) => response.text())
    .then((html) => {
      const focused = holder.contains(document.activeElement) ? document.activeElement.dataset.product : null;
      holder.innerHTML = html;
      const again = focused && holder.querySelector('g.bar[data-product="' + focused + '"]');
      if (again) again.focus();
    });
});

function refreshTimeline() {
  if (document.getElementById("timeline")) askTimeline();
}

function liveTimeline() {
  const holder = document.getElementById("timeline");
  if (!holder) return;
  setInterval(() => { if (!document.hidden && holder.querySelector("line.now")) refreshTimeline(); }, 10000);
}

function livePlan() {
  const dag = document.getElementById("dag");
  if (!dag || !dag.dataset.events || !("EventSource" in window)) return;
  // The stream starts after the version this page shows; it sends the whole plan instead only
  // when it no longer has the changes since, and then the page is reloaded.
  const events = new EventSource(dag.dataset.events);
  events.addEventListener("open", () => { dag.dataset.live = "open"; });
  events.addEventListener("error", () => { dag.dataset.live = "reconnecting"; });
  events.addEventListener("plan", () => { window.location.reload(); });
  // A browser allows few connections per server: a page left (or kept for the back button) must
  // not hold one. Shown again from that cache, it is stale, so it is loaded afresh.
  window.addEventListener("pagehide", () => events.close());
  window.addEventListener("pageshow", (event) => { if (event.persisted) window.location.reload(); });
  events.addEventListener("change", (event) => {
    const change = JSON.parse(event.data);
    change.changes.forEach((product) => setState(product.id, product.state, product.run_id, product.modified_date));
    if (change.paused !== undefined) {
      const status = document.getElementById("plan-status");
      status.textContent = change.paused ? "Paused" : "Active";
      status.className = "badge " + (change.paused ? "paused" : "active");
    }
    refreshCounts();
    refreshTimeline();
  });
}

// Choosing a state shows it at once; without script the form's button does the same.
function filterOnChange() {
  const select = document.getElementById("state-filter");
  if (select) select.addEventListener("change", () => select.form.submit());
}

document.addEventListener("DOMContentLoaded", () => { liveSearch(); livePlan(); liveTimeline(); filterOnChange(); });
