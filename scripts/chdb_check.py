#!/usr/bin/env python3
"""Runs Cairn's ClickHouse schema and generated SQL on current ClickHouse, in-process (chDB).

The Rust integration tests run everything on the ClickHouse that Debian ships (18.16); this
script proves the same migrations and the same SQL also run, with the same answers, on a modern
engine (chdb-core, ClickHouse 26.x). It

1. installs chdb-core with pip when `chdb` cannot be imported;
2. applies every migration in schema/ in order, twice (they must be idempotent), in a temporary
   chDB session and database, as the Rust runner does (an `ADD COLUMN` whose column exists is
   skipped);
3. loads the sample data set exported by `cargo run -p cairn-clickhouse --example print_sql`
   (or the JSON-lines file given with --sql), inserting it twice, as a replay would;
4. runs every `query_seqs` SQL from the export and compares its answer with the core predicate's;
5. in a second database loaded once, records the sample's voided statements as the adapter
   does, runs every aggregate request both on the raw table and on the hourly aggregates (with
   the correction for voided statements, or without it on a store that has none) and checks they
   agree, checks that cityHash64 (which `actor_hours` stores) gives 18.16's value, and runs the
   hourly reconcile (delete the
   aggregates, rebuild them from `statements`) and checks the per-hour counts match again; the
   same for query values (per month), and the autocomplete against a raw count; the statements
   whose answer on the sample is known (numeric buckets, funnels: `expect` lines); and the export
   SQL of every sample filter in every format against a reference (matching, not voided, once);
6. runs the adapter's other statements (migration bookkeeping, max seq, discard_after's count,
   ALTER ... DELETE and mutation polling, TRUNCATE, DROP) and checks their deterministic results.

Exits non-zero on any failure.

    python3 scripts/chdb_check.py [--sql var/sql.jsonl]
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATABASE = "cairn_check"  # the example's default database name


def chdb_session():
    try:
        from chdb import session  # noqa: F401
    except ImportError:
        print("chdb not found; pip-installing chdb-core", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "chdb-core"])
    from chdb import session

    return session


def split_statements(sql):
    """Mirror of cairn_clickhouse::migrations::statements: drop `--` comment lines; a statement
    ends at a line whose last non-blank character is `;`."""
    out, current = [], []

    def push():
        stmt = "\n".join(current).strip().rstrip(";").strip()
        if stmt:
            out.append(stmt)
        current.clear()

    for line in sql.splitlines():
        trimmed = line.strip()
        if not trimmed or trimmed.startswith("--"):
            continue
        current.append(line.rstrip())
        if trimmed.endswith(";"):
            push()
    push()
    return out


ADD_COLUMN = re.compile(r"^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)\s[^,]*$", re.S)
DROP_COLUMN = re.compile(r"^ALTER\s+TABLE\s+(\w+)\s+DROP\s+COLUMN\s+(\w+)\s*$", re.S)


def migrate(c, migrations, label):
    """Mirror of the Rust runner: each statement of each file, skipping an `ALTER TABLE t ADD
    COLUMN c` whose column exists and an `ALTER TABLE t DROP COLUMN c` whose column is gone
    (18.16 has neither ADD COLUMN IF NOT EXISTS nor DROP COLUMN IF EXISTS)."""
    for path in migrations:
        for i, stmt in enumerate(split_statements(path.read_text())):
            added, dropped = ADD_COLUMN.match(stmt), DROP_COLUMN.match(stmt)
            altered = added or dropped
            if altered:
                exists = c.run(
                    "SELECT count() FROM system.columns WHERE database = currentDatabase() "
                    f"AND table = '{altered.group(1)}' AND name = '{altered.group(2)}'"
                )
                if (str(exists[0][0]) != "0") == bool(added):
                    continue
            c.attempt(f"{label} {path.name} #{i + 1}", stmt)


def load_export(path):
    if path:
        text = Path(path).read_text()
    else:
        cmd = ["cargo", "run", "-q", "-p", "cairn-clickhouse", "--example", "print_sql", "--", DATABASE]
        text = subprocess.run(cmd, cwd=REPO, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Checker:
    def __init__(self, sess):
        self.sess = sess
        self.failures = []
        self.ran = 0

    def run(self, sql):
        """Runs one statement; returns its rows (JSONCompact data) or [] for statements."""
        self.ran += 1
        text = str(self.sess.query(sql, "JSONCompact"))
        return json.loads(text)["data"] if text.strip() else []

    def attempt(self, label, sql):
        try:
            return self.run(sql)
        except Exception as e:  # chdb raises ChdbError (and RuntimeError in older releases)
            self.failures.append(f"{label}: {e}\n    SQL: {sql}")
            return None

    def expect(self, label, sql, want, poll=False):
        deadline = time.monotonic() + 60
        while True:
            got = self.attempt(label, sql)
            if got is None:
                return
            if norm(got) == norm(want):
                return
            if not poll or time.monotonic() > deadline:
                self.failures.append(f"{label}: got {got}, want {want}\n    SQL: {sql}")
                return
            time.sleep(0.1)


def norm(rows):
    # 64-bit integers come back quoted in JSON; compare everything as text.
    return [[str(c) for c in row] for row in rows]


def close(v):
    if isinstance(v, list):
        return [close(x) for x in v]
    if isinstance(v, float):
        return float(f"{v:.11e}")
    return v


def feed(c, export):
    """Feeds the fan-out views from the rows of `statements`, as the projector does per batch."""
    for f in (e for e in export if e["kind"] == "feed"):
        c.attempt("feed", f["sql"])


def check_aggregates(c, migrations, rows, export):
    """Raw and hourly-aggregate plans agree; the reconcile restores the aggregates."""
    c.run(f"CREATE DATABASE IF NOT EXISTS {DATABASE}_agg")
    c.run(f"USE {DATABASE}_agg")
    migrate(c, migrations, "agg migration")
    c.attempt("agg insert", "INSERT INTO statements FORMAT JSONEachRow\n" + "\n".join(json.dumps(r) for r in rows))
    feed(c, export)
    for r in (e for e in export if e["kind"] == "retract"):
        c.attempt("retract", r["sql"])
        c.expect("voided", "SELECT seq FROM voided ORDER BY seq", [[s] for s in r["seqs"]])
    for h in (e for e in export if e["kind"] == "hash"):
        c.expect("cityHash64", h["sql"], [[h["expect"]]])
    for a in (e for e in export if e["kind"] == "agg"):
        found = c.attempt(f"{a['name']} in_range", a["in_range"])
        if found is not None and (int(found[0][0]) > 0) != a["voided"]:
            c.failures.append(f"{a['name']}: in_range gave {found}\n    SQL: {a['in_range']}")
        raw = c.attempt(f"{a['name']} raw", a["raw"])
        if raw is not None and not raw:
            c.failures.append(f"{a['name']}: no rows\n    SQL: {a['raw']}")
        if raw is not None and a.get("agg"):
            agg = c.attempt(f"{a['name']} aggregate", a["agg"])
            # Float sums depend on summation order: Cairn rounds them to 12 significant digits.
            if agg is not None and json.dumps(close(agg)) != json.dumps(close(raw)):
                c.failures.append(f"{a['name']}: aggregate {agg} != raw {raw}\n    SQL: {a['agg']}")
    # Statements whose answer on the sample is known (numeric buckets, funnels).
    for e in (e for e in export if e["kind"] == "expect"):
        c.expect(e["name"], e["sql"], e["expect"])
    hourly = {e["name"]: e["sql"] for e in export if e["kind"] == "hourly"}
    before = c.attempt("raw_hours", hourly["raw_hours"])
    c.expect("agg_hours", hourly["agg_hours"], before)
    c.attempt("delete_from_hour", hourly["delete_from_hour"])
    c.expect("agg_hours after delete", hourly["agg_hours"], [], poll=True)
    c.attempt("rebuild", hourly["rebuild"])
    c.expect("agg_hours after rebuild", hourly["agg_hours"], before)

    for e in (e for e in export if e["kind"] == "export"):
        want = c.attempt(f"{e['name']} reference", e["ref"])
        got = c.attempt(e["name"], e["sql"])
        if want is None or got is None:
            continue
        if e["seqs"] and norm(got) != norm(want):
            c.failures.append(f"{e['name']}: got {got}, want {want}\n    SQL: {e['sql']}")
        elif len(got) != len(want):
            c.failures.append(f"{e['name']}: {len(got)} rows, want {len(want)}\n    SQL: {e['sql']}")

    values = {e["name"]: e["sql"] for e in export if e["kind"] == "values"}
    # Each autocomplete (a fixed path, extension keys, extension values) against a raw count.
    autocompletes = {n: values[n + "_raw"] for n in values if n.startswith("autocomplete") and n + "_raw" in values}
    wants = {}
    for name, raw in autocompletes.items():
        wants[name] = c.attempt(f"{name}_raw", raw)
        if not wants[name]:
            c.failures.append(f"{name}_raw: no rows")
        c.expect(name, values[name], wants[name])
    months = c.attempt("raw_months", values["raw_months"])
    c.expect("value_months", values["value_months"], months)
    c.attempt("values delete_from_month", values["delete_from_month"])
    c.expect("value_months after delete", values["value_months"], [], poll=True)
    c.attempt("values rebuild", values["rebuild"])
    c.expect("value_months after rebuild", values["value_months"], months)
    for name in autocompletes:
        c.expect(f"{name} after rebuild", values[name], wants[name])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sql", help="JSON lines from the print_sql example (default: run it)")
    args = parser.parse_args()

    export = load_export(args.sql)
    rows = [e["row"] for e in export if e["kind"] == "row"]
    queries = [e for e in export if e["kind"] == "query"]
    steps = [e for e in export if e["kind"] == "step"]
    migrations = sorted((REPO / "schema").glob("[0-9][0-9][0-9][0-9]_*.sql"))
    if not (rows and queries and steps and migrations):
        sys.exit("nothing to check: empty export or no migrations")

    session = chdb_session()
    with tempfile.TemporaryDirectory(prefix="cairn-chdb-") as tmp:
        sess = session.Session(tmp)
        c = Checker(sess)
        version = c.run("SELECT version()")[0][0]
        c.run(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
        c.run(f"USE {DATABASE}")

        for round_ in (1, 2):
            migrate(c, migrations, f"migration (round {round_})")
        for s in (s for s in steps if s["phase"] == "setup"):
            c.attempt(s["name"], s["sql"])

        half = len(rows) // 2
        for label, batch in [("insert", rows), ("replay 1", rows[:half]), ("replay 2", rows[half:])]:
            c.attempt(label, "INSERT INTO statements FORMAT JSONEachRow\n" + "\n".join(json.dumps(r) for r in batch))
            if label == "insert":
                feed(c, export)

        for q in queries:
            c.expect(f"query {q['name']}", q["sql"], [[s] for s in q["expect"]])

        check_aggregates(c, migrations, rows, export)

        c.run(f"USE {DATABASE}")
        for s in (s for s in steps if s["phase"] == "check"):
            if "expect" in s:
                c.expect(s["name"], s["sql"], s["expect"], poll=s.get("poll", False))
            else:
                c.attempt(s["name"], s["sql"])
        sess.close()

    for f in c.failures:
        print("FAIL", f, file=sys.stderr)
    print(
        f"chDB {version}: {len(migrations)} migrations (twice), {len(rows)} rows (twice), "
        f"{len(queries)} queries, {len(steps)} other statements, {c.ran} statements run: "
        f"{'OK' if not c.failures else f'{len(c.failures)} FAILED'}"
    )
    sys.exit(1 if c.failures else 0)


if __name__ == "__main__":
    main()
