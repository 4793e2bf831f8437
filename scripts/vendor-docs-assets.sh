#!/usr/bin/env bash
# Refresh the vendored API-reference assets (Swagger UI for /docs, Redoc for /redoc) from the npm
# registry, so both pages render with no network access at run time.
#
# Usage: scripts/vendor-docs-assets.sh [SWAGGER_UI_DIST_VERSION] [REDOC_VERSION]
#   Defaults are the versions vendored today; pass new ones to update. Needs npm and sha256sum.
#   Writes crates/janua/static/vendor/{swagger-ui,redoc}/ (assets, upstream licences, VENDORED.md).
#
# Redoc stays on 2.x on purpose: 3.x is an ES module twice the size that sends telemetry to
# otel.cloud.redocly.com and loads icons from cdn.redocly.com unless told not to.
set -euo pipefail

SWAGGER_VERSION="${1:-5.35.0}"
REDOC_VERSION="${2:-2.5.4}"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$REPO/crates/janua/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log() { printf '%s\n' "$*" >&2; }

# fetch NAME VERSION DIR: unpack the registry tarball of NAME@VERSION into DIR/package.
fetch() {
    local name="$1" version="$2" dir="$3" tarball
    mkdir -p "$dir"
    tarball="$(cd "$dir" && npm pack --silent "$name@$version" | tail -n 1)"
    tar -xzf "$dir/$tarball" -C "$dir"
    local actual
    actual="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$dir/package/package.json" | head -n 1)"
    [[ "$actual" == "$version" ]] || { log "npm gave $name@$actual, wanted $version"; exit 1; }
}

# write_manifest DIR NAME VERSION LICENCE FILE...: VENDORED.md with a checksum for each FILE.
# The backticks in single quotes are Markdown, not command substitution.
# shellcheck disable=SC2016
write_manifest() {
    local dir="$1" name="$2" version="$3" licence="$4"
    shift 4
    {
        printf '# Vendored: %s %s\n\n' "$name" "$version"
        printf -- '- Package: `%s` version `%s` (licence: %s, see `LICENSE`)\n' "$name" "$version" "$licence"
        printf -- '- Source: npm registry, `npm pack %s@%s` (https://www.npmjs.com/package/%s)\n' "$name" "$version" "$name"
        printf -- '- Copied unchanged; source maps are deliberately not vendored.\n'
        printf -- '- Update: `scripts/vendor-docs-assets.sh <swagger-ui-dist version> <redoc version>`,\n'
        printf '  then check that `/docs` and `/redoc` still render offline and commit this folder.\n\n'
        printf '| File | Bytes | SHA-256 |\n|---|---:|---|\n'
        local f
        for f in "$@"; do
            printf '| `%s` | %s | `%s` |\n' "$f" "$(stat -c %s "$dir/$f")" "$(sha256sum "$dir/$f" | cut -d' ' -f1)"
        done
    } >"$dir/VENDORED.md"
}

vendor_swagger_ui() {
    local src="$WORK/swagger/package" dst="$VENDOR/swagger-ui"
    fetch swagger-ui-dist "$SWAGGER_VERSION" "$WORK/swagger"
    rm -rf "$dst"
    mkdir -p "$dst"
    local files=(swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css
        favicon-16x16.png favicon-32x32.png LICENSE NOTICE)
    local f
    for f in "${files[@]}"; do cp "$src/$f" "$dst/$f"; done
    write_manifest "$dst" swagger-ui-dist "$SWAGGER_VERSION" Apache-2.0 "${files[@]}"
    cat >>"$dst/VENDORED.md" <<'EOF'

Notes for the `/docs` page: `swagger-ui-bundle.js` works alone with `layout: "BaseLayout"`
(the standalone preset is not vendored). The online validator badge, which loads an image from
validator.swagger.io, belongs to `StandaloneLayout`; if that layout is ever used, also pass
`validatorUrl: null`. `NOTICE` and `swagger-ui-bundle.js.LICENSE.txt` (licences of the bundled
third-party code) ship with the bundle as Apache-2.0 asks.
EOF
}

vendor_redoc() {
    local src="$WORK/redoc/package" dst="$VENDOR/redoc"
    fetch redoc "$REDOC_VERSION" "$WORK/redoc"
    rm -rf "$dst"
    mkdir -p "$dst"
    cp "$src/LICENSE" "$dst/LICENSE"
    cp "$src/bundles/redoc.standalone.js" "$dst/redoc.standalone.js"
    cp "$src/bundles/redoc.standalone.js.LICENSE.txt" "$dst/redoc.standalone.js.LICENSE.txt"
    write_manifest "$dst" redoc "$REDOC_VERSION" MIT \
        redoc.standalone.js redoc.standalone.js.LICENSE.txt LICENSE
    cat >>"$dst/VENDORED.md" <<'EOF'

`redoc.standalone.js` is upstream `bundles/redoc.standalone.js`. Notes for the `/redoc` page:
load it as a classic `<script>` and use `<redoc spec-url="/openapi.json">` or `Redoc.init`.
The sidebar footer shows a logo from cdn.redoc.ly; offline it is hidden by its own `onError`
handler, and a CSP `img-src 'self' data:` blocks it without breaking the page. Redoc 3.x is not
a drop-in update: it is an ES module and sends telemetry unless `disable-telemetry="true"`.
EOF
}

vendor_swagger_ui
vendor_redoc
log "vendored swagger-ui-dist $SWAGGER_VERSION and redoc $REDOC_VERSION into $VENDOR"
