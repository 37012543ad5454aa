#!/usr/bin/env bash
# The OHIF viewer, prebuilt: the `@ohif/app` npm package ships the built viewer in dist/. We take that one
# tarball with `npm pack` (a plain `npm install @ohif/app` would pull the build's dependencies, and fails on
# ones this registry lacks), check it against the pinned SHA-512 the registry publishes (dist.integrity),
# and unpack dist/ into .cache/ohif/<version>/dist (git-ignored). Idempotent; offline after the first run.
#   scripts/e2e/fetch-ohif.sh        prints the dist folder
# Cold: ≈8 s for the 50 MB tarball, ≈3 s to unpack; warm: a few ms.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Pinned: to move, take a version from `npm view @ohif/app versions` and its `npm view @ohif/app@<v> dist.integrity`.
OHIF_VERSION=3.13.2
OHIF_INTEGRITY=sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA==

cache=${PACS_CACHE_DIR:-$HOME/.cache/pacs}/ohif
tarball=$cache/ohif-app-$OHIF_VERSION.tgz
target=$repo/.cache/ohif/$OHIF_VERSION
say() { printf '[fetch-ohif] %s\n' "$*" >&2; }

# Ready means: unpacked completely from a verified tarball (the marker is written last).
ready() { [[ -f $target/.complete && -f $target/dist/index.html ]]; }
if ready; then
  echo "$target/dist"
  exit 0
fi

mkdir -p "$cache" "$repo/.cache/ohif"
exec 9>"$cache/fetch.lock"
flock 9
# Another run may have finished while this one waited for the lock.
if ready; then
  echo "$target/dist"
  exit 0
fi

# The registry's integrity string is the base64 SHA-512 of the tarball (Subresource Integrity format).
integrity_of() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

if [[ -f $tarball && $(integrity_of "$tarball") != "$OHIF_INTEGRITY" ]]; then
  say "cached $tarball does not match the pinned integrity: fetching it again"
  rm -f "$tarball"
fi
if [[ ! -f $tarball ]]; then
  started=$(date +%s%3N)
  tmp=$(mktemp -d "$cache/pack.XXXXXX")
  say "npm pack @ohif/app@$OHIF_VERSION (about 50 MB, once; cached in $cache)"
  if ! (cd "$tmp" && npm pack --silent "@ohif/app@$OHIF_VERSION" </dev/null >/dev/null); then
    rm -rf "$tmp"
    say "error: npm pack @ohif/app@$OHIF_VERSION failed"
    exit 1
  fi
  actual=$(integrity_of "$tmp/ohif-app-$OHIF_VERSION.tgz")
  if [[ $actual != "$OHIF_INTEGRITY" ]]; then
    rm -rf "$tmp"
    say "error: @ohif/app@$OHIF_VERSION has integrity $actual, pinned $OHIF_INTEGRITY"
    exit 1
  fi
  mv "$tmp/ohif-app-$OHIF_VERSION.tgz" "$tarball"
  rm -rf "$tmp"
  say "fetched in $(($(date +%s%3N) - started)) ms"
fi

started=$(date +%s%3N)
rm -rf "$target"
tmp=$(mktemp -d "$repo/.cache/ohif/unpack.XXXXXX")
# Only package/dist: the tarball's other files are the package's README and metadata.
tar -xzf "$tarball" -C "$tmp" package/dist
mkdir -p "$target"
mv "$tmp/package/dist" "$target/dist"
rm -rf "$tmp"
printf '@ohif/app@%s %s\n' "$OHIF_VERSION" "$OHIF_INTEGRITY" >"$target/.complete"
say "unpacked @ohif/app@$OHIF_VERSION dist/ in $(($(date +%s%3N) - started)) ms"
echo "$target/dist"
