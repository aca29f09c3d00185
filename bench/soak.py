#!/usr/bin/env python3
"""Folio's soak test: one `folio serve` on SQLite with `folio demo --posts 200`, under mixed load
for DURATION (10 minutes by default), watching for server errors and memory growth.

All at once, for the whole run:
- readers: one wrk process per kind (CONNECTIONS connections each) on the home page, an article,
  a tag page, the RSS feed, and search (a few words in turn), every status counted (a Lua hook);
- an editor saving the article the readers read through the write API about once a second
  (`PATCH` with `If-Match`, as the editor saves; a new title and body each time);
- a sign-in every few seconds through the form: GET /sign-in for the CSRF token, POST the
  password (303), GET /admin (200), POST /sign-out with the admin's token (303).
Folio's VmRSS (and open descriptors) is read from /proc every 10 s. The report gives the requests
and statuses of each kind, RSS after the warm-up (1 minute) and at the end, each the median of a
minute's readings (single readings swing by about 20 MiB: a sign-in's argon2 takes 19 MiB), the
growth between them, the peak, and the trend after the warm-up. Exit status 1 on any 5xx, a growth of 5 MiB or more,
a panic in the server's log, or a sign-in or save that failed.

    FOLIO_BIN=target/release/folio bench/soak.py
    DURATION=90 bench/soak.py            # a short try (seconds, or 90s / 2m)
    bench/soak.py --duration 2m --warmup 30

FOLIO_BIN names the binary (default target/release/folio; FOLIO_RELEASE_BIN works too). Knobs:
DURATION / --duration, --warmup (60 s, at most half the run), CONNECTIONS / --connections (2 per
reader kind), --sign-in-every (3 s), --save-every (1 s), PORT / --port (a free one), --keep
(keep the scratch directory, made under $TMPDIR). wrk is installed from Debian when missing.
"""

import argparse
import base64
import http.client
import http.cookies
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

EMAIL = "soak@example.org"
PASSWORD = "correct horse battery staple"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
SEARCH_WORDS = ["rust", "database", "sqlite", "performance", "typography", "design", "writing", "testing"]

WRK_LUA = r"""
paths = {PATHS}
counts = {}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end
threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts")) do io.write(string.format("STATUS %d %d\n", k, v)) end
  end
  local e = summary.errors
  io.write(string.format("ERRORS %d %d %d %d %d\n", e.connect, e.read, e.write, e.status, e.timeout))
  io.write(string.format("LATENCY %.1f %.1f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seconds(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", str(text).strip())
    if not m:
        sys.exit(f"cannot read the duration {text!r} (say 600, 90s, 10m)")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


class Tally:
    """Statuses by kind of request, from every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}  # kind -> {status: n}; status "no answer" for a request that got none
        self.failures = []

    def add(self, kind, status, n=1):
        with self.lock:
            c = self.counts.setdefault(kind, {})
            c[status] = c.get(status, 0) + n

    def fail(self, message):
        with self.lock:
            if len(self.failures) < 20:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {message}")


class Browser:
    """A browser without JavaScript: one connection, its cookies, no redirects followed."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = None

    def send(self, method, path, form=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"User-Agent": "folio-soak"}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            res = self.conn.getresponse()
            text = res.read().decode(errors="replace")
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        for header in res.msg.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return res.status, res.getheader("Location"), text


def csrf_of(html):
    m = re.search(r'name="_csrf" value="([^"]*)"', html)
    return m.group(1) if m else None


def sign_ins(port, tally, stop, every):
    n = 0
    while not stop.wait(0 if n == 0 else every):
        n += 1
        b = Browser(port)
        step = "sign-in form"
        try:
            status, _, html = b.send("GET", "/sign-in")
            tally.add("sign-in: GET /sign-in", status)
            token = csrf_of(html)
            if status != 200 or not token:
                tally.fail(f"sign-in {n}: GET /sign-in answered {status}")
                continue
            step = "sign-in post"
            status, location, _ = b.send("POST", "/sign-in",
                                         {"_csrf": token, "email": EMAIL, "password": PASSWORD, "next": ""})
            tally.add("sign-in: POST /sign-in", status)
            if status != 303 or location != "/admin":
                tally.fail(f"sign-in {n}: POST /sign-in answered {status} to {location}")
                continue
            step = "admin"
            status, _, html = b.send("GET", "/admin")
            tally.add("sign-in: GET /admin", status)
            token = csrf_of(html)
            if status != 200 or not token:
                tally.fail(f"sign-in {n}: GET /admin answered {status}")
                continue
            step = "sign-out"
            status, _, _ = b.send("POST", "/sign-out", {"_csrf": token})
            tally.add("sign-in: POST /sign-out", status)
            if status != 303:
                tally.fail(f"sign-in {n}: POST /sign-out answered {status}")
                continue
            status, _, _ = b.send("GET", "/admin")
            tally.add("sign-in: GET /admin signed out", status)
            if status not in (303, 302, 401):
                tally.fail(f"sign-in {n}: /admin after sign-out answered {status}")
        except Exception as e:  # noqa: BLE001
            tally.add(f"sign-in: {step}", "no answer")
            tally.fail(f"sign-in {n}: {step}: no answer ({e!r})")


def api(conn_box, port, token, method, path, body=None, headers=None):
    if conn_box[0] is None:
        conn_box[0] = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body).encode()
    h.update(headers or {})
    try:
        conn_box[0].request(method, path, body=body, headers=h)
        res = conn_box[0].getresponse()
        data = res.read()
    except Exception:
        conn_box[0].close()
        conn_box[0] = None
        raise
    return res.status, res.getheader("ETag"), (json.loads(data) if data else None)


def editor(port, token, post_id, tally, stop, every):
    box = [None]
    etag = None
    n = 0
    while not stop.wait(every):
        n += 1
        try:
            if etag is None:
                status, etag, _ = api(box, port, token, "GET", f"/api/v1/admin/posts/{post_id}")
                tally.add("editor: GET post", status)
                if status != 200:
                    tally.fail(f"save {n}: GET answered {status}")
                    etag = None
                    continue
            body = {"title": f"Soak test, save {n}",
                    "body_markdown": f"Saved {n} times.\n\n" + "A paragraph of text that changes. " * (20 + n % 30)}
            status, new_tag, doc = api(box, port, token, "PATCH", f"/api/v1/admin/posts/{post_id}", body,
                                       {"If-Match": etag})
            tally.add("editor: PATCH post", status)
            if status == 200:
                etag = new_tag
            else:
                etag = None
                tally.fail(f"save {n}: PATCH answered {status}: {doc}")
        except Exception as e:  # noqa: BLE001
            etag = None
            tally.add("editor: PATCH post", "no answer")
            tally.fail(f"save {n}: no answer ({e!r})")


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "Threads"):
                    out[k] = int(v.split()[0])
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", default=os.environ.get("DURATION", "600"))
    ap.add_argument("--warmup", default=os.environ.get("WARMUP", "60"))
    ap.add_argument("--connections", type=int, default=int(os.environ.get("CONNECTIONS", 2)))
    ap.add_argument("--sign-in-every", type=float, default=3.0)
    ap.add_argument("--save-every", type=float, default=1.0)
    ap.add_argument("--posts", type=int, default=int(os.environ.get("POSTS", 200)))
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", 0)) or None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    duration = seconds(args.duration)
    warmup = min(seconds(args.warmup), duration / 2)

    binary = os.environ.get("FOLIO_BIN") or os.environ.get("FOLIO_RELEASE_BIN") or os.path.join(ROOT, "target/release/folio")
    binary = os.path.realpath(binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no Folio binary at {binary}: build it (cargo build --release) or set FOLIO_BIN")
    if not shutil.which("wrk"):
        print("Installing wrk (Debian package)…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    work = tempfile.mkdtemp(prefix="folio-soak-")
    log_path = os.path.join(work, "server.log")
    env = dict(os.environ)
    env.update(ROCKET_PROFILE="release", ROCKET_PORT=str(port), ROCKET_ADDRESS="127.0.0.1",
               ROCKET_LOG_LEVEL="critical", ROCKET_SECRET_KEY=base64.b64encode(os.urandom(32)).decode(),
               DATABASE_URL=f"sqlite://{os.path.join(work, 'folio.db')}")
    children = []
    stop = threading.Event()

    def run(cmd, stdin=None):
        out = subprocess.run(cmd, env=env, cwd=work, input=stdin, capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout.strip()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    try:
        print(f"binary {binary}\nscratch {work}, port {port}; {duration:.0f} s of load, warm-up {warmup:.0f} s")
        run([binary, "demo", "--posts", str(args.posts)])
        run([binary, "create-admin", "--email", EMAIL, "--password-stdin"], stdin=PASSWORD + "\n")
        token = run([binary, "token", "create", "--email", EMAIL, "--scope", "posts", "--scope", "read",
                     "--name", "soak editor"])
        log = open(log_path, "ab")
        server = subprocess.Popen([binary, "serve"], cwd=work, env=env, stdout=log, stderr=log)
        children.append(server)
        for _ in range(300):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit(f"folio serve did not answer /healthz; log: {log_path}")

        box = [None]
        _, _, doc = api(box, port, token, "GET", "/api/v1/posts?limit=5&fields=id,slug")
        article = doc["posts"][2]
        _, _, doc = api(box, port, token, "GET", "/api/v1/tags?limit=100")
        tag = max(doc["tags"], key=lambda t: t["post_count"])["slug"]
        kinds = {
            "home": ["/"],
            "article": [f"/posts/{article['slug']}"],
            "tag": [f"/tags/{tag}"],
            "feed": ["/feed.xml"],
            "search": [f"/search?q={w}" for w in SEARCH_WORDS],
        }
        for kind, paths in kinds.items():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", paths[0])
            status = c.getresponse().status
            if status != 200:
                sys.exit(f"GET {paths[0]} ({kind}) answered {status} before the load")
        print(f"article /posts/{article['slug']} (id {article['id']}, saved by the editor), tag /tags/{tag}")

        tally = Tally()
        wrks = {}
        start = time.monotonic()
        for kind, paths in kinds.items():
            lua = os.path.join(work, f"{kind}.lua")
            with open(lua, "w") as f:
                f.write(WRK_LUA.replace("{PATHS}", "{" + ", ".join(json.dumps(p) for p in paths) + "}"))
            p = subprocess.Popen(["wrk", "-t1", f"-c{args.connections}", f"-d{int(duration)}s", "--timeout", "10s",
                                  "-s", lua, base], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            children.append(p)
            wrks[kind] = p
        threads = [threading.Thread(target=editor, args=(port, token, article["id"], tally, stop, args.save_every)),
                   threading.Thread(target=sign_ins, args=(port, tally, stop, args.sign_in_every))]
        for t in threads:
            t.start()

        samples = []  # (seconds since start, VmRSS KiB, fds, threads)
        next_sample = 0.0
        print(f"\n{'t (s)':>6} {'RSS MiB':>8} {'fds':>5} {'threads':>7}")
        while True:
            now = time.monotonic() - start
            last = now >= duration - 0.5  # the last reading, while wrk still runs
            if now >= next_sample or last:
                st = proc_status(server.pid)
                if "VmRSS" not in st:
                    tally.fail(f"Folio is gone at {now:.0f} s (exit status {server.wait()}; see its log)")
                    for p in wrks.values():
                        p.send_signal(signal.SIGINT)  # wrk prints its summary
                    break
                samples.append((now, st["VmRSS"], st.get("fds", 0), st.get("Threads", 0)))
                print(f"{now:>6.0f} {st['VmRSS'] / 1024:>8.1f} {st.get('fds', 0):>5} {st.get('Threads', 0):>7}", flush=True)
                next_sample += 10
            if last:
                break
            time.sleep(min(1.0, max(0.05, min(next_sample, duration - 0.5) - now)))
        stop.set()
        for t in threads:
            t.join()
        wrk_out = {kind: p.communicate()[0] for kind, p in wrks.items()}
        st = proc_status(server.pid)  # once the load has stopped
        idle_rss, hwm = st.get("VmRSS", 0), st.get("VmHWM", 0)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        elapsed = time.monotonic() - start

        print(f"\nrequests by kind over {elapsed:.0f} s (wrk: {args.connections} connections per reader kind):")
        print(f"{'kind':<34} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}  statuses")
        fivexx = 0
        unexpected = []
        for kind, out in wrk_out.items():
            counts = {}
            for line in out.splitlines():
                if line.startswith("STATUS "):
                    _, code, n = line.split()
                    counts[int(code)] = counts.get(int(code), 0) + int(n)
            errors = next((line.split()[1:] for line in out.splitlines() if line.startswith("ERRORS ")), None)
            lat = next((line.split()[1:] for line in out.splitlines() if line.startswith("LATENCY ")), ["?", "?"])
            if errors is None:
                tally.fail(f"wrk for {kind} printed no summary: {out[-500:]}")
                errors = ["?"] * 5
            total = sum(counts.values())
            fivexx += sum(n for c, n in counts.items() if c >= 500)
            unexpected += [f"{kind}: {n} × {c}" for c, n in counts.items() if c != 200]
            errs = dict(zip(["connect", "read", "write", "status", "timeout"], errors))
            bad_errs = {k: v for k, v in errs.items() if v not in ("0", "?") and k != "status"}
            if bad_errs:
                unexpected.append(f"{kind}: socket errors {bad_errs}")
            codes = " ".join(f"{c}:{n}" for c, n in sorted(counts.items()))
            print(f"{'reader: ' + kind:<34} {total:>9} {total / elapsed:>7.1f} {lat[0]:>7} {lat[1]:>7}  {codes}")
        for kind, counts in sorted(tally.counts.items()):
            total = sum(counts.values())
            fivexx += sum(n for c, n in counts.items() if isinstance(c, int) and c >= 500)
            codes = " ".join(f"{c}:{n}" for c, n in sorted(counts.items(), key=lambda kv: str(kv[0])))
            print(f"{kind:<34} {total:>9} {total / elapsed:>7.1f} {'':>7} {'':>7}  {codes}")

        after = [s for s in samples if s[0] >= warmup]
        at_warmup = after[0] if after else samples[-1]
        end = samples[-1]
        peak = max(s[1] for s in samples)
        # One reading swings by 20 MiB or so (a sign-in's argon2 takes 19 MiB, the allocator keeps
        # some of it a while), so growth is judged on medians: of the readings in the window
        # after the warm-up against those of the last window (a minute each, less on short runs).
        window = min(60.0, (duration - warmup) / 2)
        first = sorted(s[1] for s in after if s[0] < warmup + window) or [at_warmup[1]]
        last = sorted(s[1] for s in after if s[0] > end[0] - window) or [end[1]]
        med_warm, med_end = first[len(first) // 2], last[len(last) // 2]
        growth = (med_end - med_warm) * 1024
        # Least-squares trend of the samples after the warm-up, in MiB per minute.
        trend = 0.0
        if len(after) >= 3:
            mx = sum(s[0] for s in after) / len(after)
            my = sum(s[1] for s in after) / len(after)
            sxx = sum((s[0] - mx) ** 2 for s in after)
            trend = sum((s[0] - mx) * (s[1] - my) for s in after) / sxx * 60 / 1024 if sxx else 0.0
        print(f"\nRSS (median of the readings in {window:.0f} s windows): {med_warm / 1024:.1f} MiB after the "
              f"warm-up, {med_end / 1024:.1f} MiB at the end: growth {growth / MIB:+.2f} MiB (target < 5)")
        print(f"RSS single readings: {at_warmup[1] / 1024:.1f} MiB at {at_warmup[0]:.0f} s, {end[1] / 1024:.1f} MiB at "
              f"{end[0]:.0f} s; peak reading {peak / 1024:.1f} MiB, VmHWM {hwm / 1024:.1f} MiB; "
              f"trend after the warm-up {trend:+.3f} MiB/min")
        print(f"open descriptors {at_warmup[2]} → {end[2]}, threads {at_warmup[3]} → {end[3]}; "
              f"RSS once the load stopped {idle_rss / 1024:.1f} MiB")

        with open(log_path, errors="replace") as f:
            log_lines = f.read().splitlines()
        panics = [line for line in log_lines if "panicked" in line]
        noteworthy = [line for line in log_lines if line.strip() and not line.startswith(("Open files", "Rocket has launched", "Warning: Received SIGTERM", "Warning: Shutdown", ">> ", "   >> "))]
        problems = []
        if fivexx:
            problems.append(f"{fivexx} responses were 5xx")
        if growth >= 5 * MIB:
            problems.append(f"RSS grew {growth / MIB:.2f} MiB after the warm-up")
        if panics:
            problems.append("panic in the server's log: " + " | ".join(panics[:5]))
        problems += [f"failed: {f}" for f in tally.failures]
        print(f"5xx responses: {fivexx}")
        for u in unexpected:
            print(f"note: unexpected answers: {u}")
        if noteworthy:
            print(f"server log ({len(noteworthy)} lines besides start-up), first ones:")
            for line in noteworthy[:10]:
                print(f"  {line}")
        if problems:
            for p in problems:
                print(f"PROBLEM: {p}")
            print(f"FAILED; server log: {log_path}")
            args.keep = True
            return 1
        print("OK: no 5xx, RSS growth under 5 MiB")
        return 0
    finally:
        stop.set()
        for p in children:
            if p.poll() is None:
                p.kill()
                p.wait()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
