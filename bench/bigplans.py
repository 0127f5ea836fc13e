#!/usr/bin/env python3
"""Big plans (docs/benchmarks.md P9 to P11), run by bench/run after suite.py, or alone:
`python3 bench/bigplans.py` starts its own throwaway PostgreSQL cluster.

One plan of N eager C-AMS products in 100 columns, each depending on the product 100 places
before it, nothing dispatched (external mode). Each size gets a fresh server, so its RSS is that
plan's alone. Times are taken around the HTTP exchange only: the client reads the body as bytes
and does not parse it.
"""
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite import FLETCHER, ROOT, Client, Server, accounting_plan  # noqa: E402


def columns_plan(count, columns=100):
    ids = [str(uuid.uuid4()) for _ in range(count)]
    products = [{"id": i, "compute": "cams", "name": f"p{n}", "version": "1", "eager": True,
                 "extra": {"column": n % columns}} for n, i in enumerate(ids)]
    edges = [{"parent_id": ids[n - columns], "child_id": ids[n]} for n in range(columns, count)]
    dataset = str(uuid.uuid4())
    return {"dataset": {"id": dataset}, "data_products": products, "dependencies": edges}, dataset, ids


class Timer:
    """Raw HTTP exchanges on one keep-alive connection, timed from the request to the last byte."""

    def __init__(self, port, token):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.token = token

    def exchange(self, method, path, body=None):
        headers = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        payload = None if body is None else json.dumps(body).encode()
        start = time.perf_counter()
        self.connection.request(method, path, body=payload, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return elapsed * 1000, data

    def median_ms(self, method, path, body_for, count):
        samples = []
        size = 0
        for n in range(count):
            elapsed, data = self.exchange(method, path, body_for(n))
            samples.append(elapsed)
            size = len(data)
        return statistics.median(samples), size


def toggle(target):
    return lambda n: [{"id": target, "state": "running" if n % 2 == 0 else "success"}]


def measure(environment, token_for, count):
    """Post a plan of `count` products to a fresh server, then read, update and page it."""
    server = Server(environment)
    try:
        timer = Timer(server.port, token_for(server.port))
        rss_idle = server.rss_bytes()
        body, dataset, ids = columns_plan(count)
        post_ms, _ = timer.exchange("POST", "/api/plan", body)
        del body
        target = ids[-1]  # the last column: a state change there triggers nothing further
        get_ms, get_bytes = timer.median_ms("GET", f"/api/plan/{dataset}", lambda n: None, 20)
        update_ms, update_bytes = timer.median_ms("PUT", f"/api/data_product/{dataset}/update", toggle(target), 40)
        page_ms, page_bytes = timer.median_ms("GET", f"/plan/{dataset}", lambda n: None, 5)
        return {"products": count, "post_ms": post_ms, "get_median_ms": get_ms, "get_bytes": get_bytes,
                "update_full_answer_median_ms": update_ms, "update_answer_bytes": update_bytes,
                "plan_page_median_ms": page_ms, "plan_page_bytes": page_bytes,
                "rss_mb": server.rss_bytes() / 1e6, "rss_idle_mb": rss_idle / 1e6,
                "bytes_per_product": (server.rss_bytes() - rss_idle) / count}
    finally:
        server.stop()


def small_full_answer_ms(environment, token_for):
    """P2's 12-product plan, updated with the default (full-plan) answer: the ratio's base."""
    server = Server(environment)
    try:
        timer = Timer(server.port, token_for(server.port))
        body, dataset, target = accounting_plan()
        timer.exchange("POST", "/api/plan", body)
        return timer.median_ms("PUT", f"/api/data_product/{dataset}/update", toggle(target), 300)[0]
    finally:
        server.stop()


def big_plans(environment, token_for):
    small = small_full_answer_ms(environment, token_for)
    ten = measure(environment, token_for, 10_000)
    fifty = measure(environment, token_for, 50_000)
    return {
        "P9": {"get_median_ms": ten["get_median_ms"], "update_full_answer_median_ms":
               ten["update_full_answer_median_ms"], "update_full_answer_median_ms_12": small,
               "ratio_full_answer": ten["update_full_answer_median_ms"] / small,
               "target": "GET <= 20 ms, update <= 25 ms", "details": ten},
        "P10": {"plan_page_median_ms": ten["plan_page_median_ms"], "plan_page_bytes": ten["plan_page_bytes"],
                "target": "<= 300 ms, <= 1 MB"},
        "P11": {"post_ms": fifty["post_ms"], "rss_mb": fifty["rss_mb"],
                "bytes_per_product": fifty["bytes_per_product"], "target": "post <= 2 s, RSS <= 200 MB",
                "details": fifty},
    }


def report(results):
    p9, p10, p11 = results["P9"], results["P10"], results["P11"]
    print(f"P9 big plan   10,000 products: GET median {p9['get_median_ms']:.1f} ms "
          f"({p9['details']['get_bytes'] / 1e6:.1f} MB), update with full answer {p9['update_full_answer_median_ms']:.1f} ms "
          f"(12 products {p9['update_full_answer_median_ms_12']:.2f} ms, ratio {p9['ratio_full_answer']:.1f}); "
          f"post {p9['details']['post_ms']:.0f} ms (targets 20 ms, 25 ms)")
    print(f"P10 plan page 10,000 products: {p10['plan_page_median_ms']:.0f} ms, {p10['plan_page_bytes'] / 1e6:.2f} MB "
          "(targets 300 ms, 1 MB)")
    print(f"P11 50,000    post {p11['post_ms']:.0f} ms, RSS {p11['rss_mb']:.0f} MB "
          f"({p11['bytes_per_product']:.0f} B per product; GET {p11['details']['get_median_ms']:.0f} ms, "
          f"update {p11['details']['update_full_answer_median_ms']:.0f} ms) (targets 2 s, 200 MB)")


def main():
    directory = tempfile.mkdtemp(prefix="fletcher-bigplans-")
    os.chmod(directory, 0o755)
    pg_dir = os.path.join(directory, "pg")
    url = subprocess.check_output([os.path.join(ROOT, "scripts", "pg"), "start", pg_dir], text=True)
    url = url.strip().split("=", 1)[1]
    try:
        key_hash = subprocess.check_output([FLETCHER, "hash-key", "--key", "bench-key", "--cost", "4"],
                                           text=True).split()[-1]
        environment = dict(os.environ, DATABASE_URL=url, BIND="127.0.0.1:0", LOG_LEVEL="notice",
                           SECRET_KEY="bench-secret-bench-secret-bench-secret", MAX_BODY_BYTES=str(64 << 20),
                           REMOTE_APIS=json.dumps([{"service": "bench", "hash": key_hash,
                                                    "roles": ["publish", "pause", "update", "disable"]}]))
        token_for = lambda port: Client(port).call(
            "POST", "/api/authenticate", {"service": "bench", "key": "bench-key"})["access_token"]
        results = big_plans(environment, token_for)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "pg"), "stop", pg_dir])
    report(results)
    output = os.path.join(ROOT, "bench", "results", "latest.json")
    existing = {}
    if os.path.exists(output):
        with open(output) as file:
            existing = json.load(file)
    existing["big_plans"] = results
    with open(output, "w") as file:
        json.dump(existing, file, indent=2, sort_keys=True)
    print(f"wrote {output}")
    return results


if __name__ == "__main__":
    main()
