#!/usr/bin/env python3
"""Folio's crash test: kill -9 under write load, round after round, on one SQLite file.

Each round starts `folio serve` on the same database, runs WRITERS clients creating posts through
the write API (`POST /api/v1/admin/posts`, a bearer token each) and one editor changing the title
of a few posts of its own (`PATCH` with `If-Match`, as an editor saves), then sends SIGKILL after
a random 1-4 s. It then copies the database and its WAL as the kill left them, and checks the copy
with the sqlite3 CLI (Python's sqlite3 module without it): `PRAGMA integrity_check`,
`foreign_key_check`, the search index's own integrity-check, that every post whose creation was
answered 2xx exists with its slug and title, and that each edited post holds its last
acknowledged title (or one sent after it that got no answer because of the kill). The next round
first checks that the restarted server counts the same posts. Exit status 1 on any lost write,
integrity failure, 5xx other than 503, or a panic in the server's log.

    FOLIO_BIN=target/release/folio bench/crash.py
    bench/crash.py --rounds 5 --writers 8 --seed 42

Knobs: --rounds (20), --writers (4), --edited (posts the editor works on, 3), --min-kill and
--max-kill (seconds, 1 and 4), --port (a free one), --seed, --keep (keep the scratch directory).
FOLIO_BIN names the binary (default target/release/folio; FOLIO_RELEASE_BIN works too).
The scratch directory is made under $TMPDIR.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

EMAIL = "crash@example.org"
PASSWORD = "correct horse battery staple"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """One keep-alive HTTP connection to Folio with a bearer token."""

    def __init__(self, port, token, timeout=15):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers dict, parsed JSON or None); raises OSError/HTTPException when the
        answer never came."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        h = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        h.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=h)
            res = self.conn.getresponse()
            data = res.read()
        except Exception:
            self.close()
            raise
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return res.status, {k.lower(): v for k, v in res.getheaders()}, parsed

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Ledger:
    """What the server acknowledged, across rounds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created = {}  # id -> (slug, title), creations answered 201
        self.unanswered = []  # titles of creations sent that got no answer
        self.edited = {}  # id -> {"acked": title, "version": v, "maybe": set of titles sent since}


def run(cmd, env, stdin=None):
    out = subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
    return out.stdout.strip()


def sql_rows(path, query):
    """Rows of `query` on the database file `path` (sqlite3 CLI when present)."""
    if shutil.which("sqlite3"):
        out = subprocess.run(["sqlite3", "-json", path, query], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.strip() or f"sqlite3 exited {out.returncode}")
        return [list(r.values()) for r in json.loads(out.stdout)] if out.stdout.strip() else []
    con = sqlite3.connect(path)
    try:
        rows = [list(r) for r in con.execute(query).fetchall()]
        con.commit()
        return rows
    finally:
        con.close()


def check_copy(src, dest_dir, ledger):
    """Copies the database and its WAL as the kill left them and checks the copy; a dict of
    findings."""
    os.makedirs(dest_dir, exist_ok=True)
    copy = os.path.join(dest_dir, "folio.db")
    for suffix in ("", "-wal"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, copy + suffix)
    found = {"problems": []}
    try:
        rows = sql_rows(copy, "PRAGMA integrity_check")
        found["integrity"] = "; ".join(str(r[0]) for r in rows)
    except Exception as e:  # noqa: BLE001 - any failure to open is a finding
        found["integrity"] = f"error: {e}"
    if found["integrity"] != "ok":
        found["problems"].append(f"integrity_check: {found['integrity']}")
        return found
    fk = sql_rows(copy, "PRAGMA foreign_key_check")
    if fk:
        found["problems"].append(f"foreign_key_check: {fk[:5]}")
    for table in ("post_search", "page_search"):
        try:
            sql_rows(copy, f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        except Exception as e:  # noqa: BLE001
            found["problems"].append(f"{table} integrity-check: {e}")
    stored = {r[0]: (r[1], r[2], r[3]) for r in sql_rows(copy, "SELECT id, slug, title, version FROM posts")}
    found["posts"] = len(stored)
    with ledger.lock:
        lost = []
        for pid, (slug, title) in ledger.created.items():
            row = stored.get(pid)
            if pid in ledger.edited:
                if row is None:
                    lost.append(f"post {pid} ({slug}) missing")
                continue
            if row is None or row[0] != slug or row[1] != title:
                lost.append(f"post {pid}: acknowledged ({slug!r}, {title!r}), stored {row!r}")
        stale = []
        for pid, e in ledger.edited.items():
            row = stored.get(pid)
            if row is None:
                continue
            if row[1] != e["acked"] and row[1] not in e["maybe"]:
                stale.append(f"post {pid}: acknowledged title {e['acked']!r} (v{e['version']}), stored {row[1]!r} (v{row[2]})")
            elif row[2] < e["version"]:
                stale.append(f"post {pid}: acknowledged version {e['version']}, stored {row[2]}")
        titles = {r[1] for r in stored.values()}
        found["unanswered_committed"] = sum(1 for t in ledger.unanswered if t in titles)
        found["unanswered"] = len(ledger.unanswered)
    found["lost"] = lost + stale
    found["problems"] += lost + stale
    return found


def writer(api, ledger, stop, rnd, w, stats):
    n = 0
    while not stop.is_set():
        n += 1
        title = f"Crash r{rnd} w{w} n{n} {secrets.token_hex(3)}"
        body = {
            "title": title,
            "body_markdown": f"Written by writer {w} in round {rnd}.\n\n" + "Some text. " * 40,
            "tags": ["crash", f"round {rnd}"],
        }
        if n % 2:
            body["status"] = "published"
        try:
            status, _, doc = api.request("POST", "/api/v1/admin/posts", body)
        except Exception as e:  # noqa: BLE001 - no answer: the kill, or a defect if before it
            if not isinstance(e, ConnectionRefusedError):  # it was sent: it may have been stored
                with ledger.lock:
                    ledger.unanswered.append(title)
            if stats.no_answer(stop):
                break
            time.sleep(0.05)
            continue
        stats.status(status)
        if status == 201 and doc:
            with ledger.lock:
                ledger.created[doc["id"]] = (doc["slug"], doc["title"])
            stats.ack()


def editor(api, ledger, stop, rnd, ids, stats):
    n = 0
    etags = {}
    while not stop.is_set():
        for pid in ids:
            if stop.is_set():
                break
            n += 1
            try:
                if pid not in etags:
                    status, headers, _ = api.request("GET", f"/api/v1/admin/posts/{pid}")
                    stats.status(status)
                    if status != 200:
                        continue
                    etags[pid] = headers["etag"]
                title = f"Edited r{rnd} n{n} {secrets.token_hex(3)}"
                with ledger.lock:
                    ledger.edited[pid]["maybe"].add(title)
                status, headers, doc = api.request(
                    "PATCH", f"/api/v1/admin/posts/{pid}", {"title": title}, {"If-Match": etags[pid]}
                )
            except Exception:  # noqa: BLE001
                etags.pop(pid, None)
                if stats.no_answer(stop):
                    return
                time.sleep(0.05)
                continue
            stats.status(status)
            if status == 200 and doc:
                etags[pid] = headers["etag"]
                with ledger.lock:
                    e = ledger.edited[pid]
                    e["acked"], e["version"], e["maybe"] = doc["title"], doc["version"], set()
                stats.ack(edit=True)
            else:
                etags.pop(pid, None)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.created = self.edits = self.before_kill = self.after_kill = 0
        self.statuses = {}

    def ack(self, edit=False):
        with self.lock:
            if edit:
                self.edits += 1
            else:
                self.created += 1

    def status(self, code):
        with self.lock:
            self.statuses[code] = self.statuses.get(code, 0) + 1

    def no_answer(self, stop):
        """Counts a request that got no answer; whether the server was killed by then."""
        with self.lock:
            if stop.is_set() or self.killed:
                self.after_kill += 1
                return True
            self.before_kill += 1
            return False

    killed = False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 20)))
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--edited", type=int, default=3)
    ap.add_argument("--min-kill", type=float, default=1.0)
    ap.add_argument("--max-kill", type=float, default=4.0)
    ap.add_argument("--port", type=int, default=int(os.environ.get("PORT", 0)) or None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()

    binary = os.environ.get("FOLIO_BIN") or os.environ.get("FOLIO_RELEASE_BIN") or os.path.join(ROOT, "target/release/folio")
    binary = os.path.realpath(binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no Folio binary at {binary}: build it (cargo build --release) or set FOLIO_BIN")
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    port = args.port or free_port()
    work = tempfile.mkdtemp(prefix="folio-crash-")
    db = os.path.join(work, "folio.db")
    log_path = os.path.join(work, "server.log")
    env = dict(os.environ)
    env.update(
        ROCKET_PROFILE="release",
        ROCKET_PORT=str(port),
        ROCKET_ADDRESS="127.0.0.1",
        ROCKET_LOG_LEVEL="critical",
        ROCKET_SECRET_KEY=__import__("base64").b64encode(os.urandom(32)).decode(),
        DATABASE_URL=f"sqlite://{db}",
    )
    server = None

    def cleanup(*_):
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(130))
    try:
        print(f"binary {binary}\nscratch {work}, port {port}, seed {seed}, {args.rounds} rounds, "
              f"{args.writers} writers + 1 editor on {args.edited} posts, kill after {args.min_kill}-{args.max_kill} s")
        run([binary, "migrate"], env)
        run([binary, "create-admin", "--email", EMAIL, "--password-stdin"], env, stdin=PASSWORD + "\n")
        ledger = Ledger()
        failures = []
        totals = {"created": 0, "edits": 0, "lost": 0, "unanswered": 0, "committed": 0}
        last_count = None
        print(f"\n{'round':>5} {'kill s':>6} {'created':>8} {'edits':>6} {'cut off':>9} {'of which stored':>15} "
              f"{'lost':>5} {'posts':>6} {'integrity':>9} {'restart sees':>12}  statuses")
        log = open(log_path, "ab")
        log_pos = 0
        for rnd in range(1, args.rounds + 1):
            # Fresh tokens each round: the API allows 600 requests a minute per token.
            tokens = [run([binary, "token", "create", "--email", EMAIL, "--scope", "posts", "--scope", "read",
                           "--name", f"crash r{rnd} #{i}"], env) for i in range(args.writers + 1)]
            server = subprocess.Popen([binary, "serve"], cwd=work, env=env, stdout=log, stderr=log)
            probe = Api(port, tokens[-1], timeout=2)
            for _ in range(300):
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", "/healthz")
                    if conn.getresponse().status == 200:
                        break
                except OSError:
                    pass
                if server.poll() is not None:
                    sys.exit(f"folio serve exited with {server.returncode}; log: {log_path}")
                time.sleep(0.1)
            else:
                sys.exit("folio serve did not answer /healthz within 30 s")
            # The restarted server must see what the checked copy held.
            status, _, doc = probe.request("GET", "/api/v1/admin/posts?limit=1")
            sees = doc["meta"]["total"] if status == 200 else f"HTTP {status}"
            if last_count is not None and sees != min(last_count, 10001):  # the API counts up to 10,001
                failures.append(f"round {rnd}: restarted server counts {sees} posts, the copy {last_count}")
            if rnd == 1:
                for i in range(args.edited):
                    status, _, doc = probe.request("POST", "/api/v1/admin/posts",
                                                   {"title": f"Edited post {i}", "body_markdown": "Edited again and again.",
                                                    "status": "published"})
                    if status != 201:
                        sys.exit(f"creating the edited posts answered {status}: {doc}")
                    ledger.created[doc["id"]] = (doc["slug"], doc["title"])
                    ledger.edited[doc["id"]] = {"acked": doc["title"], "version": doc["version"], "maybe": set()}
            probe.close()

            stop = threading.Event()
            stats = Stats()
            ledger.unanswered = []
            threads = [threading.Thread(target=writer, args=(Api(port, tokens[i]), ledger, stop, rnd, i, stats))
                       for i in range(args.writers)]
            threads.append(threading.Thread(target=editor, args=(Api(port, tokens[-1]), ledger, stop, rnd,
                                                                 sorted(ledger.edited), stats)))
            for t in threads:
                t.start()
            delay = rng.uniform(args.min_kill, args.max_kill)
            time.sleep(delay)
            with stats.lock:
                stats.killed = True
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
            server = None
            time.sleep(0.3)  # let the clients see the refused connections
            stop.set()
            for t in threads:
                t.join()

            found = check_copy(db, os.path.join(work, f"check-{rnd}"), ledger)
            last_count = found.get("posts")
            log.flush()
            with open(log_path, "rb") as f:
                f.seek(log_pos)
                new_log = f.read().decode(errors="replace")
                log_pos = f.tell()
            panics = [line for line in new_log.splitlines() if "panicked" in line or "RUST_BACKTRACE" in line]
            bad = {c: n for c, n in stats.statuses.items() if c >= 500 and c != 503}
            problems = list(found["problems"])
            if bad:
                problems.append(f"server errors: {bad}")
            if panics:
                problems.append("panic in the log: " + " | ".join(panics[:5]))
            if stats.before_kill:
                problems.append(f"{stats.before_kill} requests got no answer before the kill")
            lost = len(found.get("lost", []))
            totals["created"] += stats.created
            totals["edits"] += stats.edits
            totals["lost"] += lost
            totals["unanswered"] += found.get("unanswered", 0)
            totals["committed"] += found.get("unanswered_committed", 0)
            codes = " ".join(f"{c}:{n}" for c, n in sorted(stats.statuses.items()))
            print(f"{rnd:>5} {delay:>6.2f} {stats.created:>8} {stats.edits:>6} {found.get('unanswered', 0):>9} "
                  f"{found.get('unanswered_committed', 0):>15} {lost:>5} {found.get('posts', '?'):>6} "
                  f"{found['integrity'][:9]:>9} {str(sees):>12}  {codes}", flush=True)
            for p in problems:
                print(f"      PROBLEM: {p}")
                failures.append(f"round {rnd}: {p}")

        # A last start: the server must come up on what the last kill left and count the same.
        tokens = [run([binary, "token", "create", "--email", EMAIL, "--scope", "read", "--name", "crash final"], env)]
        server = subprocess.Popen([binary, "serve"], cwd=work, env=env, stdout=log, stderr=log)
        status, doc = "no answer in 30 s", None
        for _ in range(300):
            try:
                status, _, doc = Api(port, tokens[0], timeout=2).request("GET", "/api/v1/admin/posts?limit=1")
                break
            except OSError:
                time.sleep(0.1)
        sees = doc["meta"]["total"] if status == 200 else f"HTTP {status}"
        if last_count is None or sees != min(last_count, 10001):
            failures.append(f"final restart: server counts {sees} posts, the copy {last_count}")
        server.terminate()
        server.wait()
        server = None

        print(f"\ntotal: {args.rounds} rounds, {totals['created']} creations and {totals['edits']} edits acknowledged, "
              f"{totals['lost']} lost; {totals['unanswered']} requests cut off by the kill, "
              f"{totals['committed']} of those creations stored anyway; final restart counts {sees} posts "
              f"(copy {last_count})")
        if failures:
            print(f"FAILED ({len(failures)} problems); server log: {log_path}")
            args.keep = True
            return 1
        print("OK: no acknowledged write lost, integrity ok after every kill")
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
