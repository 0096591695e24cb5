#!/bin/sh
# One image, every natgw program: the first argument names the app under
# dist/apps (api-gateway, allocator, dataplane-executor, cli); the rest is
# passed to it. `exec` makes node the child of tini, so SIGTERM reaches Nest's
# shutdown hooks directly.
set -eu

NATGW_HOME="${NATGW_HOME:-/app}"

apps() {
  for main in "$NATGW_HOME"/dist/apps/*/src/main.js; do
    [ -f "$main" ] || continue
    app="${main%/src/main.js}"
    printf ' %s' "${app##*/}"
  done
}

if [ "$#" -eq 0 ]; then
  echo "usage: natgw <app> [args...]; apps:$(apps)" >&2
  exit 64
fi

app="$1"
shift
case "$app" in
  */* | .*)
    echo "natgw: \"$app\" is not an app name; apps:$(apps)" >&2
    exit 64
    ;;
esac
main="$NATGW_HOME/dist/apps/$app/src/main.js"
if [ ! -f "$main" ]; then
  echo "natgw: unknown app \"$app\"; apps:$(apps)" >&2
  exit 64
fi
exec node "$main" "$@"
