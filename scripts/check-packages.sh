#!/usr/bin/env bash
# Checks that every publishable package is packaged correctly, as a user would install it:
# publint (exports, files, types) and arethetypeswrong (types resolve for ESM consumers).
# Needs the packages built (`pnpm build`).
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
for dir in packages/*/; do
  name=$(node -p "require('./${dir}package.json').name")
  echo "── ${name}"
  (cd "$dir" && pnpm exec publint --strict) || status=1
  (cd "$dir" && pnpm exec attw --pack . --profile esm-only --format ascii) || status=1
done
exit $status
