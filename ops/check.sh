#!/usr/bin/env bash
# Checks the operations files: the Prometheus rules and configuration parse, and the alert unit
# tests pass (promtool); the nginx example parses too when an nginx binary is at hand.
#
#   bash ops/check.sh        (npm run test:alerts)
#
# Needs promtool. If it is missing and we are root, Debian's `prometheus` package (which ships
# it) is installed without starting its services. Set NGINX_BIN=/path/to/nginx to check the nginx
# example with a binary that is not on PATH; without any nginx that check is skipped.
set -euo pipefail
cd "$(dirname "$0")"

PROM_DIR=prometheus
failures=0

log() { printf '%s\n' "$*"; }

listening_on() {
  # True if something listens on TCP port $1 (best effort: needs ss).
  command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

install_promtool() {
  if [ "$(id -u)" -ne 0 ]; then
    log "promtool is missing: install Debian's 'prometheus' package (apt-get install prometheus)."
    exit 1
  fi
  log "Installing promtool (Debian package 'prometheus', services not started)…"

  # Keep the package's maintainer scripts from starting the Prometheus server: a policy-rc.d
  # that denies every start (unless the machine already has its own policy), no runlevel, and
  # no recommended extras (prometheus-node-exporter would be another daemon).
  local policy=/usr/sbin/policy-rc.d created_policy=0 before after pid
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
  fi
  before=$(pgrep -x prometheus || true)

  local rc=0
  {
    apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 \
        prometheus >/dev/null
  } || rc=$?

  if [ "$created_policy" -eq 1 ]; then rm -f "$policy"; fi

  # Should a Prometheus server have started anyway, stop the one(s) this install started.
  after=$(pgrep -x prometheus || true)
  for pid in $after; do
    if ! grep -qx "$pid" <<<"$before"; then
      log "Stopping the Prometheus server that the install started (pid $pid)."
      kill "$pid" 2>/dev/null || true
    fi
  done
  if [ -z "$before" ] && listening_on 9090; then
    log "warning: something is listening on :9090 after the install"
  fi

  if [ "$rc" -ne 0 ] || ! command -v promtool >/dev/null 2>&1; then
    log "Could not install promtool (apt-get exit code $rc)."
    exit 1
  fi
}

run() {
  # run DESCRIPTION COMMAND...: runs it, shows its output, and counts a failure.
  local description=$1
  shift
  log "== $description"
  if "$@"; then
    log "   ok"
  else
    log "   FAILED: $description"
    failures=$((failures + 1))
  fi
}

check_nginx() {
  # nginx -t on a wrapper that includes the example in an http block, with every path nginx
  # writes (pid, logs, temp files) moved into a scratch directory.
  local nginx=$1 scratch
  scratch=$(mktemp -d)
  mkdir -p "$scratch/logs" "$scratch/tmp"
  sed "s#/var/log/nginx/#$scratch/logs/#g" nginx/tag-manager.conf >"$scratch/tag-manager.conf"
  cat >"$scratch/nginx.conf" <<EOF
pid $scratch/nginx.pid;
events {}
http {
    client_body_temp_path $scratch/tmp/body;
    proxy_temp_path $scratch/tmp/proxy;
    fastcgi_temp_path $scratch/tmp/fastcgi;
    uwsgi_temp_path $scratch/tmp/uwsgi;
    scgi_temp_path $scratch/tmp/scgi;
    access_log $scratch/logs/access.log;
    include $scratch/tag-manager.conf;
}
EOF
  local rc=0
  # (nginx reads an NGINX variable of its own, for inherited sockets: keep it out.)
  env -u NGINX "$nginx" -t -q -p "$scratch/" -e "$scratch/logs/error.log" -c "$scratch/nginx.conf" || rc=$?
  rm -rf "$scratch"
  return "$rc"
}

command -v promtool >/dev/null 2>&1 || install_promtool
log "$(promtool --version 2>&1 | head -n 1)"

run "promtool check rules" promtool check rules "$PROM_DIR/recording.yml" "$PROM_DIR/alerts.yml"
run "promtool check config" promtool check config "$PROM_DIR/prometheus.yml"
run "promtool test rules" promtool test rules "$PROM_DIR/alerts.test.yml"

nginx_bin=${NGINX_BIN:-$(command -v nginx || true)}
if [ -n "$nginx_bin" ]; then
  run "nginx -t (nginx/tag-manager.conf)" check_nginx "$nginx_bin"
else
  log "== nginx -t: skipped (no nginx binary; set NGINX_BIN=/path/to/nginx to check the example)"
fi

cases=$(grep -c '^  - name:' "$PROM_DIR/alerts.test.yml")
evals=$(grep -c 'eval_time:' "$PROM_DIR/alerts.test.yml")
if [ "$failures" -ne 0 ]; then
  log "ops/check.sh: $failures check(s) FAILED"
  exit 1
fi
log "ops/check.sh: all checks ok ($cases rule test cases, $evals evaluations)"
