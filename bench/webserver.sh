#!/bin/sh
# Web server: requests per second and latency percentiles from wrk (keep-alive,
# 2 threads, 16 connections, 5 s) for a 4 KiB and a 1 MiB file, against
# examples/webserver (through `toro run --fs --publish`) and against Debian's
# nginx serving the same directory on host loopback, in the same run, with the
# ratio toro / nginx.
#   bench/webserver.sh BUILD_DIR
# Environment: WEB_SECONDS (default 5), WEB_CONNS (default 16).
set -u
[ -n "${WEB_DEBUG:-}" ] && set -x
O=${1:?usage: bench/webserver.sh BUILD_DIR}
secs=${WEB_SECONDS:-5}
conns=${WEB_CONNS:-16}
dir=$(mktemp -d /tmp/webbench.XXXXXX)
vm="" ngx=""
cleanup() {
	[ -n "$vm" ] && kill "$vm" 2>/dev/null && wait "$vm" 2>/dev/null
	[ -n "$ngx" ] && kill "$ngx" 2>/dev/null && wait "$ngx" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$dir/site" "$dir/nginx/logs"
# nginx workers run as nobody: they must be able to read the site.
chmod 755 "$dir"
head -c 4096 /dev/urandom >"$dir/site/4k.bin"
head -c 1048576 /dev/urandom >"$dir/site/1m.bin"
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
tport=$(free_port)
nport=$(free_port)

cat >"$dir/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 100000;
	types { application/octet-stream bin; }
	server { listen 127.0.0.1:$nport; root $dir/site; }
}
CONF
/usr/sbin/nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" 2>"$dir/nginx.err" &
ngx=$!
"$O/toro" run "$O/examples/webserver.elf" --cpus 2 --fs "$dir/site" \
	--publish "127.0.0.1:$tport:80" --timeout 900 -- -- 0 1 >"$dir/console" 2>&1 </dev/null &
vm=$!
i=0
until grep -q 'listening on vsock' "$dir/console" && curl -sf -o /dev/null \
	"http://127.0.0.1:$nport/4k.bin"; do
	i=$((i + 1))
	if [ $i -gt 1200 ] || ! kill -0 "$vm" 2>/dev/null; then
		echo "webserver: a server did not start" >&2
		cat "$dir/console" "$dir/nginx.err" >&2
		exit 1
	fi
	sleep 0.05
done

# wrk's requests/s and 50/99th percentile latency in ms: "RPS P50 P99".
run_wrk() {
	wrk -t2 -c"$conns" -d"${secs}s" --latency "$1" 2>&1 | awk '
		function ms(v) {
			if (v ~ /us$/) return v / 1000
			if (v ~ /ms$/) return v + 0
			if (v ~ /s$/) return v * 1000
			return v
		}
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/Non-2xx/ { bad = 1 }
		END { if (bad || rps == "") print "0 0 0"; else printf "%s %.2f %.2f\n", rps, p50, p99 }'
}

echo "web server, wrk -t2 -c$conns -d${secs}s keep-alive (requests/s, latency p50/p99 ms):"
for f in 4k.bin 1m.bin; do
	# Interleaved, so that a slow patch of the machine hits both.
	set -- $(run_wrk "http://127.0.0.1:$tport/$f")
	t_rps=$1 t50=$2 t99=$3
	set -- $(run_wrk "http://127.0.0.1:$nport/$f")
	n_rps=$1 n50=$2 n99=$3
	awk -v f="$f" -v tr="$t_rps" -v t50="$t50" -v t99="$t99" -v nr="$n_rps" -v n50="$n50" \
		-v n99="$n99" 'BEGIN {
		printf "  %-7s toro %9.1f  (%7.2f / %7.2f)   nginx %9.1f  (%7.2f / %7.2f)   ratio %.3f\n",
			f, tr, t50, t99, nr, n50, n99, (nr > 0 ? tr / nr : 0) }'
done
