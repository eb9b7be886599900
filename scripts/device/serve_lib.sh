# Sourced by device scripts that run `missile serve` (after env.sh, which sets MISSILE_BIN).
# start_server CONFIG LOG [TRIES]: starts the server on CONFIG (with "port": 0) in the background, its output in
# LOG, and waits for its "listening on" line (TRIES quarter seconds, default 480); sets $server (the pid) and
# $port, prints LOG, and fails when the server did not start.
start_server() {
  "$MISSILE_BIN/missile" serve --config "$1" > "$2" 2>&1 &
  server=$!
  port=
  for _ in $(seq 1 "${3:-480}"); do
    port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$2")
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.25
  done
  cat "$2"
  [ -n "$port" ]
}
