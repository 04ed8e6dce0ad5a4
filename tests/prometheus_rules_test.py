#!/usr/bin/env python3
"""Checks deploy/prometheus and deploy/grafana (ctest prometheus_rules_test).

1. `promtool check rules` on both rule files, `promtool check config` on
   prometheus.yml, `promtool test rules` on alert-rules.test.yml (each alert
   shown to fire, and not to fire on healthy series).
2. The Grafana dashboard parses, has a datasource variable, every panel's
   targets use it, and every seedlm_* metric named in it or in the rules is
   in the metric contract (docs/OBSERVABILITY.md) below.

Exit 77 (ctest: skipped) when promtool is missing, unless
SEEDLM_REQUIRE_SHARED_DATA=1 (then a failure).
"""
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROM = os.path.join(ROOT, "deploy", "prometheus")
GRAFANA = os.path.join(ROOT, "deploy", "grafana", "seedlm-dashboard.json")

# The metric contract (issue 16): name -> type.
CONTRACT = {
    "seedlm_build_info": "gauge",
    "seedlm_coordinator_jobs": "gauge",
    "seedlm_coordinator_units": "gauge",
    "seedlm_coordinator_blocks_searched_total": "counter",
    "seedlm_coordinator_blocks_accepted_total": "counter",
    "seedlm_coordinator_units_accepted_total": "counter",
    "seedlm_coordinator_lease_grants_total": "counter",
    "seedlm_coordinator_lease_expiries_total": "counter",
    "seedlm_coordinator_completions_rejected_total": "counter",
    "seedlm_coordinator_workers_connected": "gauge",
    "seedlm_coordinator_upload_bytes_total": "counter",
    "seedlm_coordinator_download_bytes_total": "counter",
    "seedlm_coordinator_store_transaction_seconds": "histogram",
    "seedlm_coordinator_assembly_seconds": "histogram",
    "seedlm_coordinator_job_last_progress_timestamp_seconds": "gauge",
    "seedlm_worker_blocks_searched_total": "counter",
    "seedlm_worker_units_done_total": "counter",
    "seedlm_worker_busy_threads": "gauge",
    "seedlm_worker_threads": "gauge",
    "seedlm_worker_search_seconds": "histogram",
    "seedlm_worker_search_seconds_total": "counter",
    "seedlm_serve_requests_total": "counter",
    "seedlm_serve_tokens_generated_total": "counter",
    "seedlm_serve_prompt_tokens_total": "counter",
    "seedlm_serve_time_to_first_token_seconds": "histogram",
    "seedlm_serve_inter_token_latency_seconds": "histogram",
    "seedlm_serve_queue_depth": "gauge",
    "seedlm_serve_running_batch_size": "gauge",
    "seedlm_serve_executors_attached": "gauge",
    "seedlm_serve_weight_bytes_streamed_total": "counter",
    "seedlm_executor_steps_total": "counter",
    "seedlm_executor_step_seconds": "histogram",
    "seedlm_executor_weight_bytes_held": "gauge",
    "seedlm_executor_layers_held": "gauge",
}

METRIC = re.compile(r"(?<![A-Za-z0-9_:])seedlm_[a-z0-9_]+")


def known(name):
    """Whether `name` is a contract series (histograms add three)."""
    if name in CONTRACT:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and CONTRACT.get(base) == "histogram":
            return True
    return False


def run(args, errors):
    r = subprocess.run(args, cwd=PROM, capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        errors.append("%s failed:\n%s%s" % (" ".join(args), r.stdout, r.stderr))
    return r


def check_promtool(errors):
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("SEEDLM_REQUIRE_SHARED_DATA") == "1":
            errors.append("promtool is missing (apt-get install prometheus)")
            return
        print("SKIP: promtool is missing")
        sys.exit(77)
    run([promtool, "check", "rules", "recording-rules.yml", "alert-rules.yml"],
        errors)
    run([promtool, "check", "config", "prometheus.yml"], errors)
    r = run([promtool, "test", "rules", "alert-rules.test.yml"], errors)
    # Every alert of alert-rules.yml is exercised by the unit test.
    with open(os.path.join(PROM, "alert-rules.yml")) as f:
        alerts = re.findall(r"^\s*- alert:\s*(\S+)", f.read(), re.M)
    with open(os.path.join(PROM, "alert-rules.test.yml")) as f:
        tested = set(re.findall(r"alertname:\s*(\S+)", f.read()))
    for a in alerts:
        if a not in tested:
            errors.append("alert %s has no case in alert-rules.test.yml" % a)
    if len(alerts) < 5:
        errors.append("expected at least 5 alerts, found %s" % alerts)


def check_names(text, where, errors):
    for name in sorted(set(METRIC.findall(text))):
        if not known(name):
            errors.append("%s names %s, not in the metric contract" %
                          (where, name))


def check_grafana(errors):
    with open(GRAFANA) as f:
        try:
            dash = json.load(f)
        except ValueError as e:
            errors.append("%s does not parse: %s" % (GRAFANA, e))
            return
    variables = dash.get("templating", {}).get("list", [])
    if not any(v.get("type") == "datasource" and v.get("name") == "datasource"
               for v in variables):
        errors.append("the dashboard has no datasource variable")
    exprs = []
    for p in dash.get("panels", []):
        if p.get("type") == "row":
            continue
        targets = p.get("targets", [])
        if not targets:
            errors.append("panel %r has no targets" % p.get("title"))
        uid = p.get("datasource", {}).get("uid")
        if uid != "${datasource}":
            errors.append("panel %r does not use ${datasource}" % p.get("title"))
        exprs += [t.get("expr", "") for t in targets]
    if len(exprs) < 20:
        errors.append("only %d PromQL targets" % len(exprs))
    check_names("\n".join(exprs), "the Grafana dashboard", errors)
    # Recording rules used by the dashboard must exist.
    with open(os.path.join(PROM, "recording-rules.yml")) as f:
        records = set(re.findall(r"record:\s*(\S+)", f.read()))
    for e in exprs:
        for r in re.findall(r"job:[a-z0-9_:]+", e):
            if r not in records:
                errors.append("the dashboard uses %s, not a recording rule" % r)
    # The dashboard covers every contract metric but seedlm_build_info.
    names = set(METRIC.findall("\n".join(exprs)))
    for f in ("recording-rules.yml",):
        with open(os.path.join(PROM, f)) as fh:
            names |= set(METRIC.findall(fh.read()))
    for m, kind in CONTRACT.items():
        if m == "seedlm_build_info":
            continue
        variants = {m, m + "_bucket"} if kind == "histogram" else {m}
        if not names & variants:
            errors.append("the dashboard shows nothing of %s" % m)


def main():
    errors = []
    check_promtool(errors)
    for f in ("recording-rules.yml", "alert-rules.yml", "prometheus.yml"):
        with open(os.path.join(PROM, f)) as fh:
            check_names(fh.read(), f, errors)
    check_grafana(errors)
    for e in errors:
        print("FAIL:", e)
    if not errors:
        print("OK: rules, config, alert tests and the Grafana dashboard")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
