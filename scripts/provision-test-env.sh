#!/usr/bin/env bash
# Provisions what the Docker-backed tests need on a Debian machine where we are root: a
# running dockerd, a plain registry on 127.0.0.1:5000 (Debian's docker-registry binary, since
# no public registry is reachable) and the deckhand-test images, built from busybox-static.
#
# Idempotent: each step first checks whether its result is already there. Images carry a
# content hash (of their context, build args and base), pushed as an extra tag c-<hash>;
# when that tag and the real tag name the same manifest, the image is skipped.
set -euo pipefail

readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly IMAGES_DIR="$ROOT/test/support/images"
readonly REGISTRY=127.0.0.1:5000
readonly REPO="$REGISTRY/deckhand-test"
readonly REGISTRY_DIR=/var/lib/deckhand-test-registry
readonly REGISTRY_CONFIG=/etc/deckhand-test-registry/config.yml
readonly REGISTRY_LOG=/var/log/deckhand-test-registry.log
readonly DOCKERD_LOG=/var/log/deckhand-test-dockerd.log
readonly DOCKER_PID_FILE=/var/run/docker.pid
readonly CONTAINERD_PID_FILE=/var/run/docker/containerd/containerd.pid
readonly PACKAGES=(docker.io docker-registry busybox-static iproute2 procps curl)
readonly HASH_LABEL=deckhand.test.content
# Bump to rebuild every image when this script changes how images are made.
readonly RECIPE=1

# Debian's docker.io has no buildx plugin; the classic builder is all these images need.
export DOCKER_BUILDKIT=0

step() { printf '==> %s\n' "$*"; }
die() {
  printf 'provision-test-env: %s\n' "$*" >&2
  exit 1
}

# wait_until SECONDS WHAT LOG CHECK...: runs CHECK every half second until it succeeds, or dies after
# SECONDS with the end of LOG and a sentence naming WHAT did not answer.
wait_until() {
  local seconds=$1 what=$2 log=$3 i
  shift 3
  for ((i = 0; i < seconds * 2; i++)); do
    "$@" && return 0
    sleep 0.5
  done
  tail -n 20 "$log" >&2 || true
  die "$what did not answer within $seconds s; see $log"
}

# Runs a command with its output hidden unless it fails (the docker CLI is chatty, and newer
# clients warn on stderr about the classic builder).
quiet() {
  local out
  if ! out="$("$@" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "failed: $*"
  fi
}

# Two runs at once (two shells, or CI and a person) would race on dockerd and the registry.
# The daemons started below close fd 9, or they would hold the lock for ever.
exec 9>/run/deckhand-test-env.lock
flock 9

install_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    step "packages: present"
    return
  fi
  step "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

docker_up() { timeout 10 docker info >/dev/null 2>&1; }

# True when <pid file> names a live <command>. After a kill -9 a pid file outlives its process,
# whose pid may then be a zombie not yet reaped (dockerd takes those for alive) or another process.
running() {
  local pid state
  [[ -f $1 ]] || return 1
  pid="$(cat "$1")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  state="$(ps -o stat=,comm= -p "$pid" || true)"
  [[ $state =~ ^[^Z].*[[:space:]]$2$ ]]
}

remove_stale_pid_file() {
  if [[ -f $1 ]] && ! running "$1" "$2"; then
    step "dockerd: removing stale $1 ($(cat "$1"))"
    rm -f "$1"
  fi
}

ensure_dockerd() {
  if docker_up; then
    step "dockerd: running"
    return
  fi
  if running "$DOCKER_PID_FILE" dockerd; then
    step "dockerd: pid $(cat "$DOCKER_PID_FILE") is not answering yet, waiting"
  else
    remove_stale_pid_file "$DOCKER_PID_FILE" dockerd
    # dockerd reuses a containerd it believes alive, and waits for it in vain when it is not.
    remove_stale_pid_file "$CONTAINERD_PID_FILE" containerd
    step "dockerd: starting, log in $DOCKERD_LOG"
    setsid dockerd </dev/null >>"$DOCKERD_LOG" 2>&1 9>&- &
  fi
  wait_until 60 "dockerd on /var/run/docker.sock" "$DOCKERD_LOG" docker_up
  step "dockerd: ready"
}

registry_up() { curl -fsS -o /dev/null --max-time 2 "http://$REGISTRY/v2/" 2>/dev/null; }

write_registry_config() {
  local config
  config="$(
    cat <<EOF
# Written by scripts/provision-test-env.sh: the deckhand test registry, no auth, local only.
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR
  delete:
    enabled: true
http:
  addr: $REGISTRY
EOF
  )"
  mkdir -p "$(dirname "$REGISTRY_CONFIG")" "$REGISTRY_DIR"
  if [[ "$(cat "$REGISTRY_CONFIG" 2>/dev/null || true)" != "$config" ]]; then
    printf '%s\n' "$config" >"$REGISTRY_CONFIG"
    step "registry: wrote $REGISTRY_CONFIG"
  fi
}

ensure_registry() {
  write_registry_config
  if registry_up; then
    step "registry: answering on $REGISTRY"
    return
  fi
  if [[ -n "$(ss -ltnH 'sport = :5000')" ]]; then
    # Debian's own docker-registry service listens on :5000 with htpasswd auth; on a machine
    # where the package's service was started, it is in the way.
    if [[ -x /etc/init.d/docker-registry ]] && /etc/init.d/docker-registry status >/dev/null 2>&1; then
      step "registry: stopping Debian's docker-registry service (it requires auth)"
      /etc/init.d/docker-registry stop >/dev/null
    else
      die "port 5000 is taken by something that is not an open registry: $(ss -ltnpH 'sport = :5000')"
    fi
  fi
  step "registry: starting on $REGISTRY, log in $REGISTRY_LOG"
  setsid docker-registry serve "$REGISTRY_CONFIG" </dev/null >>"$REGISTRY_LOG" 2>&1 9>&- &
  wait_until 30 "the registry on http://$REGISTRY/v2/" "$REGISTRY_LOG" registry_up
  step "registry: ready"
}

# The digest the registry holds for <name>:<tag>, or nothing.
manifest_digest() {
  curl -fsSI --max-time 5 \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY/v2/deckhand-test/$1/manifests/$2" 2>/dev/null \
    | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }' || true
}

# True when the registry's <name>:<tag> is the image built from content <hash>.
pushed() {
  local want got
  want="$(manifest_digest "$1" "c-$3")"
  [[ -n $want ]] || return 1
  got="$(manifest_digest "$1" "$2")"
  [[ $want == "$got" ]]
}

# Tests run images from the local daemon too: make its copy match the registry's.
ensure_local() {
  local ref="$REPO/$1:$2" label
  label="$(docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$ref" 2>/dev/null || true)"
  if [[ $label != "$3" ]]; then
    quiet docker pull -q "$ref"
  fi
}

push() {
  # The hash tag goes last: its presence means the real tag was pushed at that content.
  quiet docker push -q "$REPO/$1:$2"
  quiet docker push -q "$REPO/$1:c-$3"
}

sha() { sha256sum | cut -c1-16; }

# Hash of a directory's files (names and contents; modes do not matter, scripts run via sh).
dir_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha
}

BASE_HASH=""

ensure_base() {
  local busybox
  busybox="$(command -v busybox)"
  BASE_HASH="$({
    echo "recipe $RECIPE"
    sha256sum <"$busybox"
  } | sha)"
  if pushed base 1 "$BASE_HASH"; then
    ensure_local base 1 "$BASE_HASH"
    step "image base:1 up to date (c-$BASE_HASH)"
    return
  fi
  step "image base:1 building (c-$BASE_HASH)"
  local root applet
  root="$(mktemp -d)"
  # shellcheck disable=SC2064 # expand now: root is local
  trap "rm -rf '$root'" EXIT
  mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp"
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  for applet in $("$busybox" --list); do
    [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - . \
    | docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["/bin/sh"]' \
      -c "LABEL $HASH_LABEL=$BASE_HASH" \
      - "$REPO/base:1" >/dev/null
  rm -rf "$root"
  trap - EXIT
  docker tag "$REPO/base:1" "$REPO/base:c-$BASE_HASH"
  push base 1 "$BASE_HASH"
  step "image base:1 pushed"
}

# ensure_image <name> <tag> [build-arg...]
ensure_image() {
  local name="$1" tag="$2" ctx="$IMAGES_DIR/$1" hash arg
  shift 2
  [[ -f $ctx/Dockerfile ]] || die "no Dockerfile in $ctx"
  hash="$({
    echo "recipe $RECIPE base $BASE_HASH tag $tag"
    printf 'arg %s\n' "$@"
    dir_hash "$ctx"
  } | sha)"
  if pushed "$name" "$tag" "$hash"; then
    ensure_local "$name" "$tag" "$hash"
    step "image $name:$tag up to date (c-$hash)"
    return
  fi
  step "image $name:$tag building (c-$hash)"
  local build_args=()
  for arg in "$@"; do build_args+=(--build-arg "$arg"); done
  quiet docker build -q --label "$HASH_LABEL=$hash" "${build_args[@]}" \
    -t "$REPO/$name:$tag" -t "$REPO/$name:c-$hash" "$ctx"
  push "$name" "$tag" "$hash"
  step "image $name:$tag pushed"
}

start=$EPOCHREALTIME
install_packages
ensure_dockerd
ensure_registry
ensure_base
ensure_image web 1 CONTENT=v1
ensure_image web 2 CONTENT=v2
ensure_image sleeper 1
ensure_image crasher 1
ensure_image tcp 1
ensure_image imagehealth 1
ensure_image slow 1
step "test environment ready in $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
