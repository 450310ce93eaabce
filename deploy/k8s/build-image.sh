#!/usr/bin/env bash
# Builds the simctl:latest image without any registry: a static binary, busybox for /bin/sh, and the
# deploy scripts, imported as a root filesystem.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target x86_64-unknown-linux-gnu
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/deploy" "$root/tmp"
cp target/x86_64-unknown-linux-gnu/release/simctl "$root/simctl"
cp deploy/shard-entry.sh deploy/merge-shards.sh "$root/deploy/"
busybox=$(command -v busybox || true)
if [ -z "$busybox" ]; then
    echo "install busybox-static (apt-get install busybox-static) for the image's shell" >&2
    exit 1
fi
cp "$busybox" "$root/bin/busybox"
for tool in sh seq; do ln -s busybox "$root/bin/$tool"; done
tar -C "$root" -cf - . | docker import -c 'ENV PATH=/bin' -c 'ENTRYPOINT ["/simctl"]' - simctl:latest
echo "built simctl:latest"
