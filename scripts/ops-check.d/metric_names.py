#!/usr/bin/env python3
"""Helpers of scripts/ops-check (standard library only).

  metric_names.py dashboard-rules DASHBOARD.json OUT.yml
      writes every query of the Grafana dashboard as a recording rule (Grafana's
      variables replaced by plain values), so that `promtool check rules` parses
      them all.

  metric_names.py lint SCRAPE FINDINGS
      sorts `promtool check metrics`' findings (FINDINGS) on SCRAPE: the
      linter reads the Prometheus 0.0.4 text format, in which an OpenMetrics
      counter's samples (`x_total` under `# TYPE x counter` and `# HELP x`)
      have "no help text"; those are expected, any other finding fails.

  metric_names.py check SCRAPE... -- FILE...
      every metric name (`plinth_…`) FILE uses must be exported: a sample name
      of a SCRAPE (/metrics output), or a name its families' TYPE lines imply
      (a counter `x` is sampled as `x_total`, a histogram as `x_bucket`,
      `x_sum`, `x_count`). A labelled family shows no line at all before its
      first sample; the few that a healthy single-oracle devnet never samples
      are listed in EVENT_ONLY, each checked against its registration in the
      source instead.
"""

import json
import re
import sys

NAME = re.compile(r"\bplinth_[a-zA-Z0-9_]*[a-zA-Z0-9]\b")
# Labelled counters a healthy devnet with one oracle never increments (so never
# shows): the exported name -> (the file registering it, its registered name).
EVENT_ONLY = {
    # Refusing a peer's proposal takes a set of oracles and a lying member.
    "plinth_oracle_cosign_refusals_total": ("crates/oracle/src/metrics.rs", "cosign_refusals"),
    # A custom family failing to score (out of fuel, a trap, a bad output).
    "plinth_oracle_family_failures_total": ("crates/oracle/src/metrics.rs", "family_failures"),
}
SUFFIXES = {
    "counter": ["_total", "_created"],
    "histogram": ["_bucket", "_sum", "_count", "_created"],
    "summary": ["", "_sum", "_count", "_created"],
    "gauge": [""],
    "unknown": [""],
    "info": ["_info"],
    "stateset": [""],
    "gaugehistogram": ["_bucket", "_gsum", "_gcount"],
}


def dashboard_exprs(dash):
    """Every `expr` of the dashboard's panels and rows, with its panel's title."""
    out = []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    out.append((p.get("title", ""), t["expr"]))
            walk(p.get("panels", []))

    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        if v.get("type") == "query" and q:
            out.append((f"variable {v['name']}", q))
    return out


def dashboard_rules(path, out):
    dash = json.load(open(path))
    rules = []
    for i, (title, expr) in enumerate(dashboard_exprs(dash)):
        m = re.fullmatch(r"label_values\((.*),\s*\w+\)", expr.strip())
        if m:
            expr = m.group(1)
        expr = (
            expr.replace("$__rate_interval", "1m")
            .replace("$__range", "1h")
            .replace("$__interval", "1m")
        )
        expr = re.sub(r"\$\{?\w+\}?", ".*", expr)
        rules.append(
            "      - record: dashboard:query_%d\n        # %s\n        expr: %s\n"
            % (i, title.replace("\n", " "), json.dumps(expr))
        )
    with open(out, "w") as f:
        f.write("groups:\n  - name: dashboard\n    rules:\n" + "".join(rules))
    print(f"{len(rules)} queries of {path}")


def exported(scrapes):
    names = set()
    for path in scrapes:
        for line in open(path):
            if line.startswith("# TYPE "):
                _, _, family, kind = line.split()[:4]
                for s in SUFFIXES.get(kind, [""]):
                    names.add(family + s)
            elif line.strip() and not line.startswith("#"):
                names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def lint(scrape, findings):
    counters = set()
    for line in open(scrape):
        if line.startswith("# TYPE ") and line.split()[3] == "counter":
            counters.add(line.split()[2])
    expected, other = [], []
    for line in open(findings):
        line = line.strip()
        if not line:
            continue
        m = re.fullmatch(r"(\S+)_total no help text", line)
        (expected if m and m.group(1) in counters else other).append(line)
    if expected:
        print(f"{len(expected)} expected findings (OpenMetrics counters read as 0.0.4: no help text)")
    for line in other:
        print(f"  {line}")
    return 1 if other else 0


def registered(source, name):
    """Whether `source` registers a metric called `name`."""
    text = open(source).read()
    return re.search(r"register\(\s*\"%s\"" % re.escape(name), text) is not None


def check(args):
    sep = args.index("--")
    scrapes, files = args[:sep], args[sep + 1 :]
    have = exported(scrapes)
    missing = 0
    for path in files:
        used = sorted(set(NAME.findall(open(path).read())))
        seen = [n for n in used if n in have]
        event = [n for n in used if n not in have and n in EVENT_ONLY]
        gone = [n for n in used if n not in have and n not in EVENT_ONLY]
        for n in event:
            if not registered(*EVENT_ONLY[n]):
                gone.append(n)
        note = f" + {len(event)} registered, not sampled on a devnet ({', '.join(event)})" if event else ""
        print(f"{path}: {len(used)} metric names, {len(seen)} scraped{note}")
        for n in gone:
            print(f"  not exported: {n}")
        missing += len(gone)
    return 1 if missing else 0


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "dashboard-rules":
        dashboard_rules(*rest)
    elif cmd == "lint":
        sys.exit(lint(*rest))
    elif cmd == "check":
        sys.exit(check(rest))
    else:
        sys.exit(__doc__)
