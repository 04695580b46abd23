#!/bin/sh
# examples/webserver end to end: the real QEMU, virtiofsd (`--fs`) and
# toro-vsockd (`--publish`), driven by curl, wget, python3's http.client and raw
# requests through socat. The server runs on 2 CPUs.
# Prints `ok N name` / `not ok N name` and ends with `N passed, N failed`.
set -u
O=${O:-build}
toro="$O/toro"
img="$O/examples/webserver.elf"
dir=$(mktemp -d /tmp/web.XXXXXX)
site="$dir/site"
console="$dir/console"
logs="$console"
# toro's temporary directories go here, apart from other runs on the host.
TMPDIR="$dir/t"
export TMPDIR
. tests/integration/lib.sh

mkdir -p "$site/sub" "$site/nodir" "$site/sub/two words" "$TMPDIR"
printf '<h1>Toro</h1>\n' >"$site/index.html"
printf '<p>sub</p>\n' >"$site/sub/index.html"
printf '<p>two</p>\n' >"$site/sub/two words/index.html"
printf 'plain text\n' >"$site/a.txt"
head -c 4096 /dev/urandom >"$site/4k.bin"
head -c 268435456 /dev/urandom >"$site/big.bin"
printf 'TOPSECRET\n' >"$dir/secret"
ln -s "$dir/secret" "$site/link"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

# As in the README's quick start: --fs with a path relative to where toro runs.
toro_abs=$(cd "$(dirname "$toro")" && pwd)/toro
img_abs=$(cd "$(dirname "$img")" && pwd)/webserver.elf
(cd "$dir" && exec "$toro_abs" run "$img_abs" --cpus 2 --fs site \
	--publish "127.0.0.1:$port:80" --timeout 1200 -- fs_timeout=5 -- 0 1) \
	>"$console" 2>&1 </dev/null &
vm=$!
wait_for 1200 'grep -q "listening on vsock port 80" "$console" || ! kill -0 $vm 2>/dev/null'
check "the server starts" "webserver: listening on vsock port 80" \
	"$(grep '^webserver:' "$console")"

sum() { cksum | cut -d' ' -f1,2; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# raw REQUEST: the bytes, through a TCP connection; prints the whole answer.
raw() { printf "$1" | socat -t 20 -T 30 - "TCP:127.0.0.1:$port" 2>/dev/null; }

check "GET / serves index.html" "<h1>Toro</h1>" "$(curl -s "$url/")"
check "Content-Type from the extension" "text/html; charset=utf-8" \
	"$(curl -s -o /dev/null -w '%{content_type}' "$url/index.html")"
check "curl fetches a file byte-exact" "$(sum <"$site/4k.bin")" "$(curl -s "$url/4k.bin" | sum)"
check "wget fetches a file byte-exact" "$(sum <"$site/4k.bin")" \
	"$(wget -q -O - "$url/4k.bin" | sum)"
check "python3 http.client fetches a file byte-exact" "$(sum <"$site/4k.bin")" "$(
	python3 -c 'import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
c.request("GET", "/4k.bin")
sys.stdout.buffer.write(c.getresponse().read())' "$port" | sum
)"
check "256 MiB arrive byte-exact" "$(sum <"$site/big.bin")" \
	"$(curl -s --max-time 600 "$url/big.bin" | sum)"

head=$(raw 'HEAD /4k.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
check "HEAD gives the length and no body" "HTTP/1.1 200 OK|Content-Length: 4096|" \
	"$(printf '%s' "$head" | tr -d '\r' | grep -E '^HTTP|^Content-Length' | tr '\n' '|')$(
		printf '%s' "$head" | tr -d '\r' | sed '1,/^$/d')"
lm=$(curl -sI "$url/a.txt" | tr -d '\r' | sed -n 's/^Last-Modified: //p')
check "If-Modified-Since = Last-Modified gives 304" "304" \
	"$(code -H "If-Modified-Since: $lm" "$url/a.txt")"
check "an older If-Modified-Since gives 200" "200" \
	"$(code -H "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT" "$url/a.txt")"
check "a range gives 206 and its bytes" "206 $(dd if="$site/4k.bin" bs=1 skip=100 count=100 2>/dev/null | sum)" \
	"$(code -r 100-199 "$url/4k.bin") $(curl -s -r 100-199 "$url/4k.bin" | sum)"
check "a range past the end gives 416" "416" "$(code -r 5000- "$url/4k.bin")"
check "a missing file gives 404" "404" "$(code "$url/nothing")"
check "POST gives 405" "405" "$(code -X POST -d x "$url/a.txt")"
check "a directory without its slash is redirected" "301 /sub/" \
	"$(code "$url/sub") $(curl -s -o /dev/null -w '%{redirect_url}' "$url/sub" | sed 's|^http://[^/]*||')"
check "a directory gives its index.html" "<p>sub</p>" "$(curl -s "$url/sub/")"
check "a redirect to a name with a space is escaped and followed" "<p>two</p>" \
	"$(curl -s -L "$url/sub/two%20words")"
check "a directory without index.html gives 404" "404" "$(code "$url/nodir/")"

# Traversal: nothing outside the site, however spelled.
leaks=""
for p in /../secret /%2e%2e/secret /..%2fsecret /sub/../../secret /%2E%2E/%2e%2e/secret \
	/sub/%2e%2e/%2e%2e/secret /link /link/ '/a.txt%00' /..%5csecret //../secret; do
	got=$(curl -s --path-as-is "$url$p")
	c=$(code --path-as-is "$url$p")
	case "$got" in *TOPSECRET*) leaks="$leaks $p" ;; esac
	case "$c" in 200) leaks="$leaks $p($c)" ;; esac
done
for t in 'http://x/../secret' 'http://x/%2e%2e/secret' '../secret' '/..'; do
	got=$(raw "GET $t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	case "$got" in *TOPSECRET* | "HTTP/1.1 200"*) leaks="$leaks raw:$t" ;; esac
done
check "every traversal attempt is refused" "" "$leaks"

check "malformed requests get 400" "HTTP/1.1 400 Bad Request" \
	"$(raw 'GARBAGE\r\n\r\n' | head -n 1 | tr -d '\r')"
long=$(python3 -c 'print("/" + "a" * 5000)')
check "a too-long URI gets 414" "HTTP/1.1 414 URI Too Long" \
	"$(raw "GET $long HTTP/1.1\r\nHost: x\r\n\r\n" | head -n 1 | tr -d '\r')"
big_header=$(python3 -c 'print("X-Big: " + "b" * 20000)')
check "a too-large head gets 431" "HTTP/1.1 431 Request Header Fields Too Large" \
	"$(raw "GET / HTTP/1.1\r\nHost: x\r\n$big_header\r\n\r\n" | head -n 1 | tr -d '\r')"
check "a large body gets 413" "HTTP/1.1 413 Content Too Large" \
	"$(raw 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n' | head -n 1 | tr -d '\r')"

check "keep-alive: curl reuses the connection" "2" \
	"$(curl -sv "$url/a.txt" "$url/4k.bin" "$url/index.html" -o /dev/null -o /dev/null \
		-o /dev/null 2>&1 | grep -c 'Re-using existing connection')"
pipe=$(raw 'GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	tr -d '\r' | grep -E '^HTTP|^plain|^<h1>' | tr '\n' '|')
check "pipelined requests are answered in order" \
	"HTTP/1.1 200 OK|plain text|HTTP/1.1 200 OK|<h1>Toro</h1>|" "$pipe"

# 200 clients at once, each with one connection for 3 requests.
many=$(python3 - "$port" "$site/4k.bin" <<'PY'
import http.client, sys, threading
port, want = int(sys.argv[1]), open(sys.argv[2], "rb").read()
good = []
def client():
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        n = 0
        for _ in range(3):
            c.request("GET", "/4k.bin")
            r = c.getresponse()
            n += r.status == 200 and r.read() == want
        good.append(n == 3 and c.sock is not None)
    except Exception:
        good.append(False)
ts = [threading.Thread(target=client) for _ in range(200)]
for t in ts: t.start()
for t in ts: t.join()
print(sum(good))
PY
)
check "200 concurrent keep-alive clients, 3 requests each, all byte-exact" "200" "$many"

# A client that goes away in the middle of the big file; the server goes on.
python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
got = 0
while got < 4 << 20:
    got += len(s.recv(65536))
s.close()
PY
check "after a client left mid-download, others are served" "$(sum <"$site/4k.bin")" \
	"$(curl -s "$url/4k.bin" | sum)"

# Slowloris: one byte a second. It is cut off; others are served meanwhile.
python3 - "$port" >"$dir/slow" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.time()
try:
    for b in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
        s.send(bytes([b]))
        s.settimeout(1)
        try:
            if s.recv(4096) is not None:
                break
        except socket.timeout:
            pass
except OSError:
    pass
print(int(time.time() - t0))
PY
slow=$!
t0=$(date +%s)
fast=$(curl -s --max-time 30 "$url/4k.bin" | sum)
t1=$(date +%s)
check "another client is served while a slowloris client trickles" \
	"$(sum <"$site/4k.bin")" "$fast"
wait "$slow"
s=$(cat "$dir/slow")
if [ -n "$s" ] && [ "$s" -ge 8 ] && [ "$s" -le 30 ]; then
	ok "the slowloris client is cut off after the head timeout (${s} s)"
else
	not_ok "the slowloris client is cut off after the head timeout" "after '$s' s"
fi

# virtiofsd dies during a download: 5xx or a closed connection, never a hang.
toro_pid=$(pgrep -P "$vm" -x toro || echo "$vm")
fsd=$(pgrep -f "virtiofsd.*$TMPDIR")
curl -s --max-time 120 "$url/big.bin" -o "$dir/partial" &
dl=$!
wait_for 600 '[ -s "$dir/partial" ]'
kill -KILL $fsd
wait "$dl"
after=$(code --max-time 60 "$url/a.txt")
case "$after" in
5??) ok "with virtiofsd gone the server answers $after" ;;
000) ok "with virtiofsd gone the server closes the connection" ;;
*) not_ok "with virtiofsd gone the server answers 5xx or closes" "got '$after'" ;;
esac
check "the interrupted download is short" "yes" \
	"$([ "$(wc -c <"$dir/partial")" -lt 268435456 ] && echo yes)"
check "the VM still serves what needs no file: a bad request gets 400" \
	"HTTP/1.1 400 Bad Request" "$(raw 'GARBAGE\r\n\r\n' | head -n 1 | tr -d '\r')"
if grep -q 'toro: virtiofsd.*while the VM runs' "$console"; then
	ok "toro says that virtiofsd died"
else
	not_ok "toro says that virtiofsd died"
fi
kill -INT "$vm"
wait "$vm"
rc=$?
vm=""
check "toro stops on Ctrl-C (130)" "130" "$rc"
check "nothing is left behind" "" \
	"$(pgrep -f "virtiofsd.*$TMPDIR|toro-vsockd.*$TMPDIR"; ls -A "$TMPDIR")"
results
