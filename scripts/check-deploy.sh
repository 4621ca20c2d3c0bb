#!/usr/bin/env bash
# Checks that the production deployment of the example server (what its Docker image ships,
# `pnpm deploy --prod`) carries no test or build tooling, and prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/playtally-deploy-XXXXXX")
trap 'rm -rf "$out"' EXIT
rmdir "$out"
pnpm deploy --legacy --filter @playtally/example-server --prod "$out" >/dev/null
tooling=$(ls "$out/node_modules/.pnpm" | grep -E '^(vitest|vite|esbuild|tsx|tsup|typescript|@vitest\+|rolldown)@' || true)
if [ -n "$tooling" ]; then
  echo "✗ the production deployment carries test or build tooling:"
  echo "$tooling" | sed 's/^/    /'
  exit 1
fi
echo "✓ the production deployment of @playtally/example-server carries no test or build tooling ($(du -sh "$out" | cut -f1))"
