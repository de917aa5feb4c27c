#!/usr/bin/env bash
# Checks deploy/monitoring with Prometheus' promtool (Debian: apt-get install prometheus): the alert rules' syntax,
# their unit tests, and the syntax of every Grafana dashboard query (Grafana's $variables replaced by plain values).
# That every metric they name is exported is MonitoringMetricNamesIT's job (mvn verify).
set -euo pipefail
cd "$(dirname "$0")"
promtool check rules cpns-alerts.yml
promtool test rules cpns-alerts.test.yml
queries="$(mktemp --suffix=.yml)"
trap 'rm -f "$queries"' EXIT
{
  echo 'groups:'
  echo '  - name: dashboard-queries'
  echo '    rules:'
  # a JSON string is a valid YAML double-quoted scalar: each query becomes a recording rule as it is
  grep -o '"expr": "\([^"\\]\|\\.\)*"' cpns-dashboard.json \
    | sed -e 's/^"expr": /      - record: dashboard_query\n        expr: /' \
          -e 's/\$__rate_interval/5m/g; s/\$__range/1h/g; s/\$server/.*/g; s/\$gateway/.*/g'
} > "$queries"
test "$(grep -c 'record: dashboard_query' "$queries")" -eq "$(grep -c '"expr":' cpns-dashboard.json)"
promtool check rules --lint=none "$queries" | sed "s#$queries#the dashboard's queries#"
