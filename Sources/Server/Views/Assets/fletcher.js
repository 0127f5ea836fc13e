// Fletcher's own script: live search, live plan updates, table sorting and filtering.
// Every page works without it.
"use strict";

const fills = { success: "#4caf50", running: "#b9e4b0", waiting: "#eeeeee", queued: "#bdbdbd", failed: "#e57373", disabled: "#fafafa" };

function liveSearch() {
  const input = document.querySelector("[data-live-search]");
  const results = document.getElementById("results");
  if (!input || !results) return;
  let timer;
  const load = () => {
    const term = input.value;
    fetch("/component/plan_search?search_by=" + encodeURIComponent(term) + "&page=0")
      .then((response) => response.text())
      .then((rows) => {
        results.innerHTML = rows;
        history.replaceState(null, "", term ? "/?q=" + encodeURIComponent(term) : "/");
        watchMore();
      });
  };
  input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 500); });
  watchMore();
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

function recount() {
  const counts = {};
  document.querySelectorAll("#products tbody tr").forEach((row) => { counts[row.dataset.state] = (counts[row.dataset.state] || 0) + 1; });
  document.querySelectorAll("[data-count]").forEach((cell) => { cell.textContent = counts[cell.dataset.count] || 0; });
}

function livePlan() {
  const dag = document.getElementById("dag");
  if (!dag || !dag.dataset.events || !("EventSource" in window)) return;
  const events = new EventSource(dag.dataset.events);
  // Marks the picture live once the stream is connected (and not while it reconnects).
  events.addEventListener("plan", () => { dag.dataset.live = "open"; });
  events.addEventListener("error", () => { dag.dataset.live = "reconnecting"; });
  events.addEventListener("change", (event) => {
    const change = JSON.parse(event.data);
    change.changes.forEach((product) => setState(product.id, product.state, product.run_id, product.modified_date));
    if (change.paused !== undefined) {
      const status = document.getElementById("plan-status");
      status.textContent = change.paused ? "Paused" : "Active";
      status.className = "badge " + (change.paused ? "paused" : "active");
    }
    recount();
    applyFilter();
  });
}

function applyFilter() {
  const select = document.getElementById("state-filter");
  if (!select) return;
  document.querySelectorAll("#products tbody tr").forEach((row) => { row.hidden = select.value !== "" && row.dataset.state !== select.value; });
}

function sortable() {
  const table = document.querySelector("table[data-sortable]");
  if (!table) return;
  table.querySelectorAll("th button[data-sort]").forEach((button) => {
    button.addEventListener("click", () => {
      const column = Number(button.dataset.sort);
      const ascending = button.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach((th) => th.removeAttribute("aria-sort"));
      button.closest("th").setAttribute("aria-sort", ascending ? "ascending" : "descending");
      button.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      rows.sort((a, b) => a.cells[column].textContent.localeCompare(b.cells[column].textContent) * (ascending ? 1 : -1));
      rows.forEach((row) => body.appendChild(row));
    });
  });
  const select = document.getElementById("state-filter");
  if (select) select.addEventListener("change", applyFilter);
}

document.addEventListener("DOMContentLoaded", () => { liveSearch(); livePlan(); sortable(); });
