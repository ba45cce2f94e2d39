#!/usr/bin/env bash
# Builds every image of the platform, here or anywhere:
#   llm-billing/{gateway,keys,metering,ledger,payments,console,standalone,stripe-stand-in,kafka-init}
#     from deploy/images/Dockerfile (one target each, on NODE_IMAGE),
#   llm-billing/postgres from Debian's postgresql-15, llm-billing/kafka from the Maven jars.
# The base images are the public node:24-bookworm-slim and debian:bookworm-slim when a registry
# answers. Where none does (this project's build machine), it makes them offline: a Debian
# bookworm root file system from deb.debian.org with debootstrap, `docker import`ed, plus Node 24
# from the `node` npm package (node_modules, `npm ci` first) and the npm that runs this script.
# Those bases are kept and reused (REBUILD_BASE=1 makes them again).
# Usage: deploy/images/build.sh [target...]     (default: all)
# Environment: IMAGE_TAG (default dev), NODE_IMAGE / DEBIAN_IMAGE (skip the detection),
#              DOCKER (default docker), BUILD_CA_FILE (a proxy's CA for npm, see below).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DOCKER="${DOCKER:-docker}"
TAG="${IMAGE_TAG:-dev}"
PREFIX=llm-billing
APP_TARGETS=(gateway keys metering ledger payments console standalone stripe-stand-in kafka-init)
LOCAL_DEBIAN="$PREFIX/base-debian:bookworm"
LOCAL_NODE="$PREFIX/base-node:24-bookworm"
REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
VERSION="$(node -p "require('./package.json').version" 2>/dev/null || echo dev)"

log() { echo "[images +${SECONDS}s] $*" >&2; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }

"$DOCKER" info >/dev/null 2>&1 || die "no Docker engine answers (start one: dockerd --iptables=false --ip-masq=false &)"

have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
# A public image if it is here or a registry gives it within a minute.
public_image() { have_image "$1" || timeout 60 "$DOCKER" pull -q "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------- offline bases
debian_base() {
  if have_image "$LOCAL_DEBIAN" && [[ "${REBUILD_BASE:-0}" != 1 ]]; then return; fi
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install -y debootstrap)"
  local dir
  dir="$(mktemp -d /tmp/billing-rootfs.XXXXXX)"
  log "debootstrap: Debian bookworm (minbase) into $dir"
  debootstrap --variant=minbase --include=ca-certificates,tini,libstdc++6 bookworm "$dir" \
    http://deb.debian.org/debian >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; die "debootstrap failed (log: $dir.log)"; }
  cat >"$dir/etc/apt/sources.list" <<'SOURCES'
deb http://deb.debian.org/debian bookworm main
deb http://deb.debian.org/debian bookworm-updates main
deb http://deb.debian.org/debian-security bookworm-security main
SOURCES
  # As in Debian's official slim images: no recommends, no downloaded packages or package lists
  # kept, no documentation, manual pages or translations installed.
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dir/etc/apt/apt.conf.d/90no-recommends"
  cat >"$dir/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    'path-exclude /usr/share/lintian/*' >"$dir/etc/dpkg/dpkg.cfg.d/docker-slim"
  rm -rf "$dir"/usr/share/locale/* "$dir"/usr/share/info/*
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/archives/*.deb "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
  tar -C "$dir" -c . | "$DOCKER" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$LOCAL_DEBIAN" >/dev/null
  rm -rf "$dir" "$dir.log"
  log "made $LOCAL_DEBIAN"
}

node_base() {
  if have_image "$LOCAL_NODE" && [[ "${REBUILD_BASE:-0}" != 1 ]]; then return; fi
  local node_bin npm_dir ctx
  node_bin="$(readlink -f node_modules/node/bin/node 2>/dev/null || true)"
  [[ -x "$node_bin" ]] && "$node_bin" --version | grep -q '^v24\.' \
    || die "node_modules/node/bin/node (Node 24) is missing: run npm ci first"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  [[ -f "$npm_dir/package.json" ]] || die "cannot find npm's package folder (from $(command -v npm))"
  ctx="$(mktemp -d /tmp/billing-node-base.XXXXXX)"
  cp "$node_bin" "$ctx/node"
  cp -r "$npm_dir" "$ctx/npm"
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $LOCAL_DEBIAN
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && useradd --uid 1000 --user-group --create-home --shell /bin/sh node \
 && node --version && npm --version
CMD ["node"]
DOCKERFILE
  log "making $LOCAL_NODE (Node $("$node_bin" --version), npm $(npm --version))"
  "$DOCKER" build -q -t "$LOCAL_NODE" "$ctx" >/dev/null
  rm -rf "$ctx"
}

if [[ -z "${DEBIAN_IMAGE:-}" ]]; then
  if public_image debian:bookworm-slim; then DEBIAN_IMAGE=debian:bookworm-slim
  else log "no registry: Debian base from debootstrap"; debian_base; DEBIAN_IMAGE="$LOCAL_DEBIAN"; fi
fi
if [[ -z "${NODE_IMAGE:-}" ]]; then
  if public_image node:24-bookworm-slim; then NODE_IMAGE=node:24-bookworm-slim
  else
    [[ "$DEBIAN_IMAGE" == "$LOCAL_DEBIAN" ]] || debian_base
    node_base; NODE_IMAGE="$LOCAL_NODE"
  fi
fi
log "bases: NODE_IMAGE=$NODE_IMAGE DEBIAN_IMAGE=$DEBIAN_IMAGE"

# ---------------------------------------------------------------- Kafka jars
# As infra-up.sh fetches them (offline first: ~/.m2 may have them all).
ensure_kafka_jars() {
  local version
  version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' deploy/local/kafka/pom.xml)"
  [[ -f "deploy/local/kafka/lib/kafka_2.13-$version.jar" ]] && return
  command -v mvn >/dev/null || { log "no mvn here: the Kafka image fetches its jars itself"; return; }
  log "fetching Kafka $version jars with Maven"
  rm -rf deploy/local/kafka/lib.tmp
  (cd deploy/local/kafka && { mvn -B -q -o dependency:copy-dependencies -DoutputDirectory=lib.tmp >/dev/null 2>&1 \
      || mvn -B -q dependency:copy-dependencies -DoutputDirectory=lib.tmp; }) >&2
  rm -rf deploy/local/kafka/lib && mv deploy/local/kafka/lib.tmp deploy/local/kafka/lib
}

# ---------------------------------------------------------------- images
build() { # name, then docker build arguments
  local name="$1"; shift
  local logfile="$LOGS/$name.log"
  log "building $PREFIX/$name:$TAG (log: $logfile)"
  "$DOCKER" build --network host -t "$PREFIX/$name:$TAG" \
    --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" "$@" >"$logfile" 2>&1 \
    || { tail -40 "$logfile" >&2; die "building $name failed (log: $logfile)"; }
}
LOGS="${IMAGE_BUILD_LOGS:-${TMPDIR:-/tmp}/llm-billing-images}"
mkdir -p "$LOGS"
# Behind a TLS-intercepting proxy npm needs its CA: BUILD_CA_FILE, else the CAs this machine's
# administrator added (/usr/local/share/ca-certificates, Debian's place for them), reach the
# build stages only (see the Dockerfile's EXTRA_CA_CERT).
ca_arg=()
if [[ -n "${BUILD_CA_FILE:-}" ]]; then
  ca_arg=(--build-arg "EXTRA_CA_CERT=$(cat "$BUILD_CA_FILE")")
elif compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  ca_arg=(--build-arg "EXTRA_CA_CERT=$(cat /usr/local/share/ca-certificates/*.crt)")
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${APP_TARGETS[@]}" postgres kafka)
for target in "${targets[@]}"; do
  case "$target" in
    postgres) build postgres --build-arg BASE_IMAGE="$DEBIAN_IMAGE" -f deploy/images/postgres.Dockerfile deploy/images ;;
    kafka) ensure_kafka_jars; build kafka --build-arg BASE_IMAGE="$DEBIAN_IMAGE" -f deploy/images/kafka.Dockerfile deploy ;;
    *)
      [[ " ${APP_TARGETS[*]} " == *" $target "* ]] || die "unknown target $target"
      build "$target" --build-arg NODE_IMAGE="$NODE_IMAGE" "${ca_arg[@]}" \
        -f deploy/images/Dockerfile --target "$target" . ;;
  esac
done

log "done:"
for target in "${targets[@]}"; do
  "$DOCKER" image ls --format '  {{.Repository}}:{{.Tag}}  {{.Size}}' "$PREFIX/$target:$TAG" >&2
done
