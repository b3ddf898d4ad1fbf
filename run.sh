#!/bin/sh
# run.sh: install what is missing, build, and run echod in the foreground on
# 127.0.0.1 port 7007 (TCP and UDP), logging to this terminal.  Ctrl-C stops
# it gracefully.  Try it with: nc 127.0.0.1 7007  /  nc -u 127.0.0.1 7007
set -eu
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"
./scripts/deps.sh build-essential autoconf automake pkg-config \
    libconfig-dev check
./scripts/build.sh build

conf="$top/build/run.conf"
cat > "$conf" <<CONF
# Written by run.sh: a development configuration on loopback.
workers = 2;
listen = (
  { protocol = "tcp"; address = "127.0.0.1"; port = 7007; },
  { protocol = "udp"; address = "127.0.0.1"; port = 7007; }
);
user = "nobody";
group = "nogroup";
pidfile = "$top/build/echod.pid";
log = { facility = "daemon"; level = "info"; };
CONF
echo "run.sh: echod on 127.0.0.1:7007 (tcp, udp); Ctrl-C stops it" >&2
exec "$top/build/src/echod" -f -c "$conf"
