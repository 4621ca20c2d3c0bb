#!/usr/bin/env bash
# Checks that every publishable package is packaged correctly, as a user would install it:
# publint (exports, files, types) and arethetypeswrong (types resolve for ESM consumers); then
# each packed tarball installed in a scratch project (LICENSE, import and require()), and the
# production deployment of the example server (no test tooling).
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
echo "── packed tarballs"
bash scripts/check-tarballs.sh || status=1
echo "── production deployment"
bash scripts/check-deploy.sh || status=1
exit $status
