#!/usr/bin/env bash
# Installs every publishable package from its packed tarball (`pnpm pack`, as `npm publish` would
# ship it) into a scratch npm project, then checks what a user of the tarball gets: the LICENSE
# file, and the main entry loading both with `import` and with `require()` (Node >= 20.19 can
# require ES modules). Needs the packages built (`pnpm build`). The tarballs' own dependencies
# come from the npm cache or the registry; install scripts are skipped (nothing here opens a
# database, so better-sqlite3 needs no compiled binary).
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d "${TMPDIR:-/tmp}/playtally-tarballs-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/tarballs" "$scratch/project"

names=()
for dir in packages/*/; do
  names+=("$(node -p "require('./${dir}package.json').name")")
  (cd "$dir" && pnpm pack --pack-destination "$scratch/tarballs" >/dev/null)
done

status=0
for tarball in "$scratch"/tarballs/*.tgz; do
  if ! tar -tzf "$tarball" | grep -x 'package/LICENSE' >/dev/null; then
    echo "✗ $(basename "$tarball") has no LICENSE"
    status=1
  fi
done

cd "$scratch/project"
printf '{ "name": "scratch", "private": true, "version": "0.0.0" }\n' > package.json
npm install --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=error \
  "$scratch"/tarballs/*.tgz >/dev/null

for name in "${names[@]}"; do
  if node -e "const m = require('$name'); if (!Object.keys(m).length) process.exit(1)" &&
    node --input-type=module -e "const m = await import('$name'); if (!Object.keys(m).length) process.exit(1)"; then
    echo "✓ $name: LICENSE, import and require() from the packed tarball"
  else
    echo "✗ $name: import or require() failed from the packed tarball"
    status=1
  fi
done
exit $status
