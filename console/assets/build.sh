#!/usr/bin/env bash
# Rebuild the console's vendored assets from the pinned npm packages (package-lock.json).
# Output goes to console/static/console/vendor/ and is committed: `make run` and `make test`
# never run npm. Run this only to upgrade a pinned version, then commit the result.
set -euo pipefail
cd "$(dirname "$0")"
OUT=../static/console/vendor
npm ci --no-audit --no-fund --ignore-scripts
AXE=../../tests/console/browser/vendor/axe
rm -rf "$OUT" "$AXE" && mkdir -p "$OUT/govuk" "$OUT/htmx" "$AXE"
# GOV.UK Frontend patterns, recompiled without the brand: system fonts (no GDS Transport, whose
# licence is for GOV.UK only), our own colours, no crown or crest shipped.
npx sass --pkg-importer=node --no-source-map --style=compressed govuk.scss "$OUT/govuk/govuk-frontend.min.css"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$OUT/govuk/"
# The npm package states "MIT" in package.json and README.md but ships no licence file: the
# repository's LICENSE.txt is reproduced here.
cp govuk-frontend.LICENSE.txt "$OUT/govuk/LICENSE.txt"
cp node_modules/htmx.org/dist/htmx.min.js "$OUT/htmx/"
cp node_modules/htmx.org/LICENSE "$OUT/htmx/LICENSE"
# axe-core is injected only by the browser tests, never served: it lives beside them.
cp node_modules/axe-core/axe.min.js "$AXE/"
cp node_modules/axe-core/LICENSE "$AXE/LICENSE"
# No source maps are shipped: drop the comments that point at them.
sed -i 's|//# sourceMappingURL=.*||' "$OUT/govuk/govuk-frontend.min.js" "$OUT/htmx/htmx.min.js"
for pkg in govuk-frontend htmx.org axe-core; do
  node -e "const p=require('./node_modules/$pkg/package.json');console.log(p.name+' '+p.version+' '+p.license)"
done > "$OUT/VERSIONS.txt"
rm -rf node_modules
