#!/usr/bin/env bash
# Compile time of kiln-models (every classic architecture declared with `network!`): from
# clean (dependencies included) and after touching one model, in dev and release profiles.
# Uses its own target folder so the workspace's build is left alone.
#
#   bash benches/compile_time.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/compile-time"
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { print e - s }'; }
echo "| profile | from clean (s) | after touching models/src/lenet.rs (s) |"
echo "|---|---|---|"
for profile in dev release; do
  rm -rf "$target"
  clean=$(secs cargo build -p kiln-models --profile "$profile" --target-dir "$target")
  touch models/src/lenet.rs
  touched=$(secs cargo build -p kiln-models --profile "$profile" --target-dir "$target")
  printf '| %s | %.1f | %.1f |\n' "$profile" "$clean" "$touched"
done
rm -rf "$target"
