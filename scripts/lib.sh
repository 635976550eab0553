# Shared by scripts/run, scripts/test, scripts/admin and scripts/bench. Source it; do not run it.
# Everything here installs or starts what is missing, so the scripts work on a fresh machine.

CV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CV_CACHE="${CASTVAULT_CACHE:-$HOME/.cache/castvault}"
S3PROXY_VERSION=4.1.0

cv_log() { printf '[castvault] %s\n' "$*" >&2; }
cv_die() { printf '[castvault] error: %s\n' "$*" >&2; exit 1; }

cv_apt_install() {
  cv_log "installing $* (apt-get)"
  if [ -z "${CV_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || cv_die "apt-get update failed"
    CV_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || cv_die "apt-get install $* failed"
}

_cv_java_major() { "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }

# Exports JAVA_HOME pointing at a JDK >= 21: $JAVA_HOME when it qualifies, else the newest under /usr/lib/jvm.
cv_require_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    local v; v=$(_cv_java_major "$JAVA_HOME/bin/java")
    if [ "${v:-0}" -ge 21 ]; then export PATH="$JAVA_HOME/bin:$PATH"; return; fi
    cv_log "JAVA_HOME=$JAVA_HOME is Java ${v:-?}; looking for a JDK >= 21"
  fi
  local best="" bestv=0 d v
  for d in /usr/lib/jvm/*/; do
    d=${d%/}
    [ -x "$d/bin/javac" ] || continue
    v=$(_cv_java_major "$d/bin/java")
    if [ "${v:-0}" -ge 21 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
  done
  if [ -z "$best" ]; then
    cv_apt_install openjdk-21-jdk-headless 2>/dev/null || true
    for d in /usr/lib/jvm/*/; do
      d=${d%/}; v=$(_cv_java_major "$d/bin/java")
      if [ "${v:-0}" -ge 21 ]; then best=$d; bestv=$v; fi
    done
  fi
  [ -n "$best" ] || cv_die "no JDK >= 21 found (set JAVA_HOME)"
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}

cv_require_maven() {
  command -v mvn >/dev/null 2>&1 || cv_apt_install maven
}

cv_mvn() { mvn -B -q -f "$CV_ROOT/pom.xml" "$@"; }

_cv_pg_cluster() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }

# Starts the local Debian PostgreSQL when nothing answers on 127.0.0.1:5432.
cv_require_local_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || cv_apt_install postgresql
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    local v; v=$(_cv_pg_cluster)
    [ -n "$v" ] || cv_die "PostgreSQL is installed but has no cluster"
    cv_log "starting PostgreSQL $v"
    pg_ctlcluster --skip-systemctl-redirect "$v" main start || cv_die "could not start PostgreSQL"
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
    pg_isready -q -h 127.0.0.1 -p 5432 || cv_die "PostgreSQL did not come up"
  fi
}

_cv_psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }

# cv_ensure_role NAME PASSWORD [CREATEDB]: a login role that is neither superuser nor BYPASSRLS.
cv_ensure_role() {
  local name=$1 pass=$2 extra=${3:-NOCREATEDB}
  _cv_psql_admin -c "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$name') THEN
        CREATE ROLE $name LOGIN PASSWORD '$pass' NOSUPERUSER NOBYPASSRLS $extra;
      ELSE
        ALTER ROLE $name LOGIN PASSWORD '$pass' NOSUPERUSER NOBYPASSRLS $extra;
      END IF; END \$\$;" >/dev/null || cv_die "could not create role $name"
}

# cv_ensure_database NAME OWNER
cv_ensure_database() {
  local name=$1 owner=$2
  if [ "$(_cv_psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
    _cv_psql_admin -c "CREATE DATABASE $name OWNER $owner" >/dev/null || cv_die "could not create database $name"
  fi
}

cv_s3proxy_jar() {
  local jar="$CV_CACHE/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar"
  if [ ! -f "$jar" ]; then
    mkdir -p "$CV_CACHE"
    cv_log "fetching S3Proxy $S3PROXY_VERSION from Maven Central"
    mvn -B -q dependency:copy -Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
      -DoutputDirectory="$CV_CACHE" >&2 || cv_die "could not fetch S3Proxy"
  fi
  printf '%s\n' "$jar"
}

# _cv_listening PORT PID: PID listens on PORT. Another run's server that took the port between cv_free_port and our
# start must not pass for ours (its run ends, and our tests lose their store); without ss, any listener counts.
_cv_listening() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -q "pid=$2,"
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# cv_start_s3proxy PORT DATADIR ACCESS SECRET: starts S3Proxy as a child process; sets CV_S3PROXY_PID.
cv_start_s3proxy() {
  local port=$1 dir=$2 access=$3 secret=$4 jar
  jar=$(cv_s3proxy_jar)
  mkdir -p "$dir/blobs"
  cat > "$dir/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$access
s3proxy.credential=$secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$dir/blobs
CONF
  "$JAVA_HOME/bin/java" -Xmx512m -jar "$jar" --properties "$dir/s3proxy.conf" >"$dir/s3proxy.log" 2>&1 &
  CV_S3PROXY_PID=$!
  for _ in $(seq 1 100); do
    if _cv_listening "$port" "$CV_S3PROXY_PID"; then return 0; fi
    kill -0 "$CV_S3PROXY_PID" 2>/dev/null || { cat "$dir/s3proxy.log" >&2; cv_die "S3Proxy exited"; }
    sleep 0.2
  done
  cv_die "S3Proxy did not open port $port (log: $dir/s3proxy.log)"
}

# cv_require_nats_server: sets CV_NATS_SERVER, installing Debian's nats-server when it is missing.
cv_require_nats_server() {
  CV_NATS_SERVER=$(command -v nats-server 2>/dev/null || true)
  [ -n "$CV_NATS_SERVER" ] || [ ! -x /usr/sbin/nats-server ] || CV_NATS_SERVER=/usr/sbin/nats-server
  if [ -z "$CV_NATS_SERVER" ]; then
    cv_apt_install nats-server
    CV_NATS_SERVER=$(command -v nats-server 2>/dev/null || echo /usr/sbin/nats-server)
  fi
}

cv_docker_available() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# Prints a free loopback TCP port at or above $1.
cv_free_port() {
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  printf '%s\n' "$p"
}

# Prints a free loopback TCP port at random from 10000 up to the kernel's ephemeral range, for a server started on
# it a moment later. Not from inside that range: there the server's own outgoing connections (to PostgreSQL, to S3)
# can be given the port before it binds it (CI, 2026-11-26: "Port 127.0.0.1:38206 already in use").
cv_random_port() {
  local lo=32768 hi
  [ -r /proc/sys/net/ipv4/ip_local_port_range ] && read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range
  [ "$lo" -gt 11000 ] || lo=32768
  # 1000 ports of room below the range for cv_free_port to step over taken ones
  cv_free_port $((10000 + (RANDOM * 32768 + RANDOM) % (lo - 11000)))
}

CV_DASHBOARD="$CV_ROOT/dashboard"

cv_require_node() {
  command -v npm >/dev/null 2>&1 || cv_apt_install nodejs npm
}

# npm ci when node_modules is missing or older than the lock file.
cv_dashboard_deps() {
  cv_require_node
  local marker="$CV_DASHBOARD/node_modules/.package-lock.json"
  if [ ! -f "$marker" ] || [ "$CV_DASHBOARD/package-lock.json" -nt "$marker" ]; then
    cv_log "installing the dashboard's npm packages (npm ci)"
    (cd "$CV_DASHBOARD" && npm ci --no-audit --no-fund --loglevel=error) >&2 || cv_die "npm ci failed in dashboard/"
  fi
}

# Builds dashboard/dist (which Maven copies into the jar) when it is missing or older than any of its sources.
cv_build_dashboard_if_stale() {
  local stamp="$CV_DASHBOARD/dist/index.html"
  if [ ! -f "$stamp" ] || [ -n "$(cd "$CV_DASHBOARD" && find src index.html package.json package-lock.json vite.config.ts \
        tsconfig.json -type f -newer "$stamp" -print -quit)" ]; then
    cv_dashboard_deps
    cv_log "building the dashboard (npm run build)"
    (cd "$CV_DASHBOARD" && npm run --silent build) >&2 || cv_die "dashboard build failed"
  fi
}

CV_JAR="$CV_ROOT/api/target/castvault.jar"

# Builds the service jar when it is missing or older than any source.
# Extra jar paths (the benchmark's) count too: a build of some modules only (scripts/test -pl api -am) leaves
# the service jar fresh and the others stale.
cv_build_if_stale() {
  local stale="" jar
  for jar in "$CV_JAR" "$@"; do
    if [ ! -f "$jar" ]; then
      stale=1
    elif [ -n "$(find "$CV_ROOT" -path "$CV_ROOT/.git" -prune -o -path '*/target' -prune -o -path '*/node_modules' -prune -o \
          -type f \( -path '*/src/*' -o -name pom.xml -o -name package.json -o -path "$CV_DASHBOARD/dist/*" \) -newer "$jar" -print -quit)" ]; then
      stale=1
    fi
  done
  if [ -n "$stale" ]; then
    cv_log "building the service (mvn package)"
    mvn -B -q -f "$CV_ROOT/pom.xml" install -DskipTests >&2 || cv_die "build failed"
  fi
}

# Points DATABASE_* at the local PostgreSQL (started if needed) unless DATABASE_URL is already set.
cv_default_database() {
  if [ -z "${DATABASE_URL:-}" ]; then
    cv_require_local_postgres
    cv_ensure_role castvault castvault
    cv_ensure_database castvault castvault
    export DATABASE_URL=jdbc:postgresql://127.0.0.1:5432/castvault DATABASE_USER=castvault DATABASE_PASSWORD=castvault
  fi
}
