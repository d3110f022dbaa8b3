#!/bin/bash
# Node ws client + node ws echo engine (the issue's setup): direct, dapscope (capture on), haproxy; 3 alternating rounds.
# Usage: bench/node/run.sh   (PROXY_ARGS="--max-capture-bytes 0" to relay without payload capture)
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
cd "$HERE"; [ -d node_modules/ws ] || npm install --silent >/dev/null
node engine.js > "$WORK"/engine.out 2>&1 & EP=$!
sleep 1; EPORT=$(grep -o '[0-9]*' "$WORK"/engine.out | head -1)
rm -f "$WORK"/b.db*
"${DAPSCOPE:-$HERE/../../build/bin/dapscope}" proxy --listen 127.0.0.1:0 --upstream ws://127.0.0.1:$EPORT --db "$WORK"/b.db --quiet $PROXY_ARGS > "$WORK"/proxy.out 2>&1 & PP=$!
cat > "$WORK"/haproxy.cfg <<CFG
global
  maxconn 1000
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
frontend f
  bind 127.0.0.1:0
  default_backend b
backend b
  server e 127.0.0.1:$EPORT
CFG
HPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -i "s/bind 127.0.0.1:0/bind 127.0.0.1:$HPORT/" "$WORK"/haproxy.cfg
/usr/sbin/haproxy -db -f "$WORK"/haproxy.cfg > "$WORK"/haproxy.out 2>&1 & HP=$!
sleep 1.5
DPORT=$(grep -o 'ws://127.0.0.1:[0-9]*' "$WORK"/proxy.out | head -1 | cut -d: -f3)
for round in 1 2 3; do
  for t in direct:$EPORT dapscope:$DPORT haproxy:$HPORT; do
    name=${t%%:*}; port=${t##*:}
    echo "$name $(node client.js $port)"
  done
done
kill $PP $HP $EP; wait 2>/dev/null; rm -rf "$WORK"
