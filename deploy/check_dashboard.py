#!/usr/bin/env python3
"""Checks the monitoring files against each other and against docs/OPERATIONS.md.

- deploy/grafana/agenfleet.json parses; it has a `datasource` variable of type prometheus; every
  panel (rows aside, panels inside collapsed rows included) has targets, each with an `expr`;
  panel ids are unique; every range in a query is `$__rate_interval`.
- Every series named by the dashboard and by deploy/prometheus/alerts.yml is in the catalog of
  docs/OPERATIONS.md ("Signals"), or is Prometheus' own `up`.
- Every alert's `runbook_url` ends in the anchor of a heading of docs/OPERATIONS.md.
- Every alert has, in deploy/prometheus/alerts.test.yml, a case that fires and one that does not.

With `--dashboard-rules FILE` it also writes the dashboard's queries as recording rules, for
`promtool check rules FILE` to parse them (deploy/check does). With `--list-metrics` it only
prints the series the dashboard and the rules use, one a line.

Standard library only; run from any directory.
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "deploy/grafana/agenfleet.json"
RULES = ROOT / "deploy/prometheus/alerts.yml"
RULE_TESTS = ROOT / "deploy/prometheus/alerts.test.yml"
OPERATIONS = ROOT / "docs/OPERATIONS.md"

PROMETHEUS_OWN = {"up"}
PROMQL_WORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan",
}


def metric_names(expr):
    """The series an expression selects (its identifiers that are not functions or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w:.$])[A-Za-z_:][\w:]*", text):
        word = match.group(0)
        if word.lower() in PROMQL_WORDS or re.match(r"\s*\(", text[match.end():]):
            continue
        names.add(word)
    return names


def catalog():
    """Series names of the Signals section: histograms also as _bucket, _sum, _count."""
    text = OPERATIONS.read_text(encoding="utf-8")
    section = re.search(r"^## Signals.*?(?=^## )", text, re.M | re.S)
    if not section:
        raise SystemExit(f"{OPERATIONS}: no section '## Signals'")
    names = set()
    for line in section.group(0).splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.match(r"`([A-Za-z_:][\w:]*)", cells[0]) if line.startswith("|") else None
        if not match:
            continue
        name = match.group(1)
        names.add(name)
        if len(cells) > 1 and cells[1].startswith("histogram"):
            names.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return names


def github_anchors():
    """The anchors GitHub gives the headings of OPERATIONS.md."""
    anchors, seen = set(), {}
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def dashboard_panels(dashboard, errors):
    """Every panel that shows data, with rows' nested panels; checks ids on the way."""
    ids, found = set(), []

    def visit(panels):
        for panel in panels:
            pid = panel.get("id")
            if pid is None or pid in ids:
                errors.append(f"dashboard: panel {panel.get('title')!r} has a missing or repeated id {pid}")
            ids.add(pid)
            if panel.get("type") == "row":
                visit(panel.get("panels", []))
            else:
                found.append(panel)

    visit(dashboard.get("panels", []))
    return found


def check_dashboard(errors):
    try:
        dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        errors.append(f"{DASHBOARD}: {error}")
        return {}, set()
    variables = dashboard.get("templating", {}).get("list", [])
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource"
               and v.get("query") == "prometheus" for v in variables):
        errors.append("dashboard: no `datasource` variable of type datasource, query prometheus")
    if not isinstance(dashboard.get("schemaVersion"), int):
        errors.append("dashboard: no schemaVersion")
    queries, names = {}, set()
    for panel in dashboard_panels(dashboard, errors):
        title = panel.get("title", "?")
        targets = panel.get("targets") or []
        if not targets:
            errors.append(f"dashboard: panel {panel.get('id')} {title!r} has no targets")
        for target in targets:
            expr = (target.get("expr") or "").strip()
            if not expr:
                errors.append(f"dashboard: panel {panel.get('id')} {title!r} target "
                              f"{target.get('refId')} has no expr")
                continue
            for window in re.findall(r"\[([^\]]*)\]", expr):
                if window != "$__rate_interval":
                    errors.append(f"dashboard: panel {panel.get('id')} {title!r}: range "
                                  f"[{window}] should be [$__rate_interval]")
            queries[f"dashboard:panel_{panel.get('id')}:{target.get('refId', 'A')}"] = expr
            names |= metric_names(expr)
    return queries, names


def rule_exprs(text):
    """The `expr` of each rule in a rules file: one line, or a `|` / `>` block."""
    exprs, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if not match:
            continue
        indent, value = len(match.group(1)), match.group(2).strip()
        if value in ("|", ">", "|-", ">-"):
            block = []
            for following in lines[i + 1:]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                block.append(following.strip())
            value = " ".join(block)
        elif value[:1] in ("'", '"') and value[-1:] == value[:1]:
            value = value[1:-1]
        exprs.append(value)
    return exprs


def check_rules(errors):
    text = RULES.read_text(encoding="utf-8")
    names = set()
    for expr in rule_exprs(text):
        names |= metric_names(expr)
    alerts = re.findall(r"^\s*-\s*alert:\s*(\S+)", text, re.M)
    urls = re.findall(r"runbook_url:\s*[\"']?([^\"'\s]+)", text)
    if len(urls) != len(alerts):
        errors.append(f"{RULES.name}: {len(alerts)} alerts but {len(urls)} runbook_url annotations")
    anchors = github_anchors()
    for url in urls:
        anchor = url.partition("#")[2]
        if not url.split("#")[0].endswith("docs/OPERATIONS.md") or anchor not in anchors:
            errors.append(f"{RULES.name}: runbook_url {url} names no heading of docs/OPERATIONS.md")
    tests = RULE_TESTS.read_text(encoding="utf-8")
    cases = re.findall(r"alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*(\[\s*\])?", tests)
    for alert in alerts:
        fires = any(name == alert and not empty for name, empty in cases)
        quiet = any(name == alert and empty for name, empty in cases)
        if not (fires and quiet):
            errors.append(f"{RULE_TESTS.name}: {alert} needs a case that fires and one that "
                          f"does not (has: fires={fires}, does not={quiet})")
    return names


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboard-rules", metavar="FILE",
                        help="write the dashboard's queries as recording rules to FILE")
    parser.add_argument("--list-metrics", action="store_true",
                        help="print the series the dashboard and the rules use, and exit")
    args = parser.parse_args()

    errors = []
    queries, dashboard_names = check_dashboard(errors)
    rule_names = check_rules(errors)
    used = dashboard_names | rule_names
    if args.list_metrics:
        print("\n".join(sorted(used)))
        return 1 if errors else 0
    known = catalog() | PROMETHEUS_OWN
    for name in sorted(used - known):
        where = " and ".join(w for w, names in (("dashboard", dashboard_names),
                                               ("alerts.yml", rule_names)) if name in names)
        errors.append(f"{where}: `{name}` is not in the Signals catalog of docs/OPERATIONS.md")

    if args.dashboard_rules:
        # Ranges in the Grafana queries become a fixed 5m, so that promtool can parse them.
        lines = ["groups:", "  - name: dashboard-queries", "    rules:"]
        for record, expr in queries.items():
            expr = expr.replace("$__rate_interval", "5m")
            lines += [f"      - record: {record}", f"        expr: {json.dumps(expr)}"]
        Path(args.dashboard_rules).write_text("\n".join(lines) + "\n", encoding="utf-8")

    for error in errors:
        print(f"deploy/check: {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"dashboard: {len(queries)} queries; dashboard and rules use {len(used)} series, "
          "all in the Signals catalog; runbook anchors and rule tests complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
