#!/bin/sh
# Installs the peers of `npm run bench -- peers` from Debian: NATS server
# (JetStream) and RabbitMQ. Idempotent: installs only what is missing. Never
# part of `npm test`. The Node clients (nats, amqplib) are devDependencies.
set -eu
missing=""
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || missing="$missing nats-server"
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing="$missing rabbitmq-server"
if [ -z "$missing" ]; then
  echo "peers already installed: $(nats-server --version 2>/dev/null || /usr/sbin/nats-server --version), rabbitmq-server $(dpkg-query -W -f='${Version}' rabbitmq-server)"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update
# --no-install-recommends: no extra services; the benchmark starts private server instances itself.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
# The Debian package starts a system-wide RabbitMQ where an init system runs; the benchmark does not use it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rabbitmq-server 2>/dev/null; then
  echo "note: a system rabbitmq-server service is running; the benchmark starts its own node on other ports"
fi
echo "installed:$missing"
