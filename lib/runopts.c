/* SPDX-License-Identifier: MIT */
/*
 * Options and QEMU command line of `toro run` / `toro test`; see lib/runopts.h for
 * the exit status convention. Everything here is pure: strings in, strings out, so
 * it builds in the kernel too and the host tests cover it.
 */
#include "lib/runopts.h"

#include "lib/kstring.h"
#include "toro/errno.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define TIB (1024ull * GIB)

void runopts_init(struct run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->qemu = RUNOPTS_QEMU;
	o->mem = RUNOPTS_DEFAULT_MEM;
	o->cpus = 1;
	o->gdb_fd = -1;
	o->trace_fd = -1;
	memcpy(o->fs_tag, RUNOPTS_FS_TAG, sizeof(RUNOPTS_FS_TAG));
}

/* Reads a run of decimal digits; -EINVAL if none, -EOVERFLOW past max. */
static int parse_digits(const char **sp, uint64_t max, uint64_t *val)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		uint64_t d = (uint64_t)(*s - '0');

		if (v > (max - d) / 10)
			return -EOVERFLOW;
		v = v * 10 + d;
	}
	*sp = s;
	*val = v;
	return 0;
}

int runopts_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v, mult = 1;
	int err;

	err = parse_digits(&s, UINT64_MAX, &v);
	if (err)
		return err;
	switch (*s) {
	case 'k':
	case 'K':
		mult = KIB;
		break;
	case 'm':
	case 'M':
		mult = MIB;
		break;
	case 'g':
	case 'G':
		mult = GIB;
		break;
	case 't':
	case 'T':
		mult = TIB;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (mult != 1 && *++s != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EOVERFLOW;
	*bytes = v * mult;
	return 0;
}

int runopts_parse_cpus(const char *s, unsigned int *cpus)
{
	uint64_t v;
	int err;

	err = parse_digits(&s, UINT64_MAX, &v);
	if (err)
		return err;
	if (*s != '\0')
		return -EINVAL;
	if (v < 1 || v > RUNOPTS_MAX_CPUS)
		return -ERANGE;
	*cpus = (unsigned int)v;
	return 0;
}

int runopts_parse_seconds(const char *s, uint64_t *ms)
{
	uint64_t whole, frac = 0;
	int err, digits = 0;

	err = parse_digits(&s, RUNOPTS_MAX_TIMEOUT_MS / 1000, &whole);
	if (err)
		return err == -EOVERFLOW ? -ERANGE : err;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		/* Milliseconds are plenty for a timeout: later digits are dropped. */
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 3)
				frac = frac * 10 + (uint64_t)(*s - '0');
		for (; digits < 3; digits++)
			frac *= 10;
	}
	if (*s != '\0')
		return -EINVAL;
	if (whole * 1000 + frac == 0)
		return -ERANGE;
	*ms = whole * 1000 + frac;
	return 0;
}

/* Writes v in decimal at buf[*pos], NUL-terminated; false when it does not fit. */
static bool put_u64(char *buf, size_t len, size_t *pos, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (len - *pos < (size_t)n + 1)
		return false;
	while (n)
		buf[(*pos)++] = tmp[--n];
	buf[*pos] = '\0';
	return true;
}

int runopts_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct {
		uint64_t unit; /* bytes per unit */
		char suffix; /* what QEMU's size syntax calls it */
	} units[] = { { TIB, 'T' }, { GIB, 'G' }, { MIB, 'M' }, { KIB, 'K' }, { 1, 'B' } };
	size_t pos = 0;

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (bytes % units[i].unit != 0)
			continue;
		/* QEMU reads a bare number as MiB, so even bytes get a suffix. */
		if (!put_u64(buf, len, &pos, bytes / units[i].unit) || len - pos < 2)
			return -ENOSPC;
		buf[pos++] = units[i].suffix;
		buf[pos] = '\0';
		return 0;
	}
	return -ENOSPC; /* not reached: every size is a multiple of 1 */
}

/* The option that takes a value, or NULL; *val is set if it came as --opt=val. */
static const char *match_opt(const char *arg, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '\0') {
		*val = NULL;
		return name;
	}
	if (arg[n] == '=') {
		*val = arg + n + 1;
		return name;
	}
	return NULL;
}

/*
 * [ADDR:]HOSTPORT:GUESTPORT with ADDR a dotted IPv4 address, HOSTPORT 1..65535 and
 * GUESTPORT a u32. toro-vsockd checks the address itself; this catches typos
 * before anything starts.
 */
static bool publish_ok(const char *s)
{
	const char *last = NULL, *p;
	uint64_t v;

	for (p = s; *p; p++)
		if (*p == ':')
			last = p;

	if (!last || last == s)
		return false;
	p = last + 1;
	if (parse_digits(&p, 0xffffffffull, &v) || *p)
		return false;
	/* The host port: after the first colon if there are two, else first. */
	const char *host = s, *colon = strchr(s, ':');

	if (colon != last) {
		for (p = s; p < colon; p++)
			if ((*p < '0' || *p > '9') && *p != '.')
				return false;
		host = colon + 1;
	}
	p = host;
	return parse_digits(&p, 65535, &v) == 0 && p == last && v >= 1;
}

/* A virtio-fs tag: 1..RUNOPTS_FS_TAG_MAX bytes QEMU's option syntax takes as is. */
static bool fs_tag_ok(const char *s, size_t n)
{
	if (n < 1 || n > RUNOPTS_FS_TAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* --fs DIR[:TAG]: TAG is after the last ':' (so a DIR with ':' needs a TAG). */
static int set_fs(struct run_opts *o, const char *val, const char **why)
{
	const char *colon = NULL, *p;
	size_t dlen;

	for (p = val; *p; p++)
		if (*p == ':')
			colon = p;
	dlen = colon ? (size_t)(colon - val) : (size_t)(p - val);
	if (o->fs_dir[0]) {
		*why = "--fs: only one directory can be shared";
		return -EINVAL;
	}
	if (dlen == 0) {
		*why = "--fs: expected DIR[:TAG]";
		return -EINVAL;
	}
	if (dlen >= sizeof(o->fs_dir)) {
		*why = "--fs: the directory's path is too long";
		return -EINVAL;
	}
	if (colon && !fs_tag_ok(colon + 1, strlen(colon + 1))) {
		*why = "--fs: TAG must be 1 to 36 of A-Z a-z 0-9 . _ - (the last ':' "
		       "starts TAG, so a DIR with ':' needs one)";
		return -EINVAL;
	}
	memcpy(o->fs_dir, val, dlen);
	o->fs_dir[dlen] = '\0';
	if (colon)
		memcpy(o->fs_tag, colon + 1, strlen(colon + 1) + 1);
	return 0;
}

/* A host name or dotted IPv4 address: 1..RUNOPTS_GDB_HOST_MAX of [A-Za-z0-9.-]. */
static bool host_ok(const char *s, size_t n)
{
	if (n < 1 || n > RUNOPTS_GDB_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* --trace EVENTS: 1..RUNOPTS_TRACE_PATTERNS patterns of [A-Za-z0-9_*?], by commas. */
static int set_trace(struct run_opts *o, const char *val, const char **why)
{
	int n = 1;
	bool empty = true;

	for (const char *s = val;; s++) {
		if (*s == ',' || *s == '\0') {
			if (empty || n > RUNOPTS_TRACE_PATTERNS)
				break;
			if (*s == '\0') {
				o->trace_events = val;
				return 0;
			}
			n++;
			empty = true;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			   (*s >= '0' && *s <= '9') || *s == '_' || *s == '*' ||
			   *s == '?') {
			empty = false;
		} else {
			break;
		}
	}
	*why = "--trace: expected QEMU trace event patterns (letters, digits, _, * and "
	       "?) separated by commas, at most 16, e.g. 'virtio_*,apic_*'";
	return -EINVAL;
}

/*
 * --gdb [HOST:]PORT or unix:PATH. An empty HOST (":1234", as gdb's own
 * `target remote :1234` writes it) is RUNOPTS_GDB_HOST too. IPv6 addresses
 * are not taken: their colons would need brackets QEMU's option parser lacks.
 */
static int set_gdb(struct run_opts *o, const char *val, const char **why)
{
	const char *colon = strchr(val, ':'), *p;
	size_t hlen = colon ? (size_t)(colon - val) : 0;
	uint64_t port;

	*why = "--gdb: expected [HOST:]PORT with PORT from 1 to 65535, or unix:PATH, "
	       "without commas";
	/* QEMU splits its options at commas. */
	if (strchr(val, ','))
		return -EINVAL;
	if (strncmp(val, "unix:", 5) == 0) {
		if (val[5] == '\0')
			return -EINVAL;
		if (strlen(val + 5) > RUNOPTS_SUN_PATH_MAX) {
			*why = "--gdb: a Unix socket path has at most 107 bytes";
			return -EINVAL;
		}
		o->gdb_path = val + 5;
		o->gdb_host[0] = '\0';
		o->gdb_port = 0;
		return 0;
	}
	p = colon ? colon + 1 : val;
	if (parse_digits(&p, 65535, &port) || *p != '\0' || port == 0)
		return -EINVAL;
	if (hlen > 0 && !host_ok(val, hlen))
		return -EINVAL;
	if (hlen == 0) {
		memcpy(o->gdb_host, RUNOPTS_GDB_HOST, sizeof(RUNOPTS_GDB_HOST));
	} else {
		memcpy(o->gdb_host, val, hlen);
		o->gdb_host[hlen] = '\0';
	}
	o->gdb_port = (unsigned int)port;
	o->gdb_path = NULL;
	*why = NULL;
	return 0;
}

/* Sets one valued option; *why names the problem on error. */
static int set_opt(struct run_opts *o, const char *name, const char *val,
		   const char **why)
{
	uint64_t v;
	int err;

	if (strcmp(name, "--cpus") == 0) {
		if (runopts_parse_cpus(val, &o->cpus)) {
			*why = "--cpus: expected a number from 1 to 64";
			return -EINVAL;
		}
	} else if (strcmp(name, "--mem") == 0) {
		err = runopts_parse_size(val, &v);
		if (err) {
			*why = "--mem: expected bytes or a K/M/G/T suffix, e.g. 512M";
			return -EINVAL;
		}
		if (v < RUNOPTS_MIN_MEM || v > RUNOPTS_MAX_MEM) {
			*why = "--mem: must be from 1M to 1T";
			return -EINVAL;
		}
		if (v % RUNOPTS_MEM_ALIGN) {
			*why = "--mem: must be a multiple of 4K";
			return -EINVAL;
		}
		o->mem = v;
	} else if (strcmp(name, "--timeout") == 0) {
		if (runopts_parse_seconds(val, &o->timeout_ms)) {
			*why = "--timeout: expected seconds above 0, e.g. 30 or 2.5";
			return -EINVAL;
		}
		o->timeout_set = true;
	} else if (strcmp(name, "--console") == 0) {
		/* QEMU splits its options at commas: a path with one cannot be passed. */
		if (val[0] == '\0' || strchr(val, ',') || strcmp(val, "unix:") == 0) {
			*why = "--console: expected FILE or unix:PATH, without commas";
			return -EINVAL;
		}
		o->console = val;
	} else if (strcmp(name, "--trace") == 0) {
		return set_trace(o, val, why);
	} else if (strcmp(name, "--trace-file") == 0) {
		if (val[0] == '\0' || strchr(val, ',')) {
			*why = "--trace-file: expected a file name without commas";
			return -EINVAL;
		}
		o->trace_file = val;
	} else if (strcmp(name, "--virtio") == 0) {
		if (strcmp(val, "modern") != 0 && strcmp(val, "legacy") != 0) {
			*why = "--virtio: expected modern or legacy";
			return -EINVAL;
		}
		o->virtio_modern = strcmp(val, "modern") == 0;
		o->virtio_given = true;
	} else if (strcmp(name, "--vsock") == 0) {
		if (val[0] == '\0' || strchr(val, ',')) {
			*why = "--vsock: expected a socket path, without commas";
			return -EINVAL;
		}
		o->vsock = val;
	} else if (strcmp(name, "--publish") == 0) {
		if (!publish_ok(val)) {
			*why = "--publish: expected [ADDR:]HOSTPORT:GUESTPORT, e.g. 8080:80";
			return -EINVAL;
		}
		if (o->npublish == RUNOPTS_MAX_PUBLISH) {
			*why = "--publish: at most 16";
			return -EINVAL;
		}
		o->publish[o->npublish++] = val;
	} else if (strcmp(name, "--fs") == 0) {
		return set_fs(o, val, why);
	} else if (strcmp(name, "--gdb") == 0) {
		if (o->debug) {
			*why = "--gdb: toro debug chooses the endpoint itself (toro run "
			       "--gdb takes one)";
			return -EINVAL;
		}
		return set_gdb(o, val, why);
	} else if (strcmp(name, "--gdb-batch") == 0) {
		if (!o->debug) {
			*why = "--gdb-batch: only toro debug runs gdb";
			return -EINVAL;
		}
		if (val[0] == '\0') {
			*why = "--gdb-batch: expected a file of gdb commands";
			return -EINVAL;
		}
		o->gdb_batch = val;
	} else { /* --machine */
		if (val[0] == '\0') {
			*why = "--machine: expected options, e.g. acpi=off";
			return -EINVAL;
		}
		o->machine = val;
	}
	return 0;
}

static bool has_blank(const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n')
			return true;
	return false;
}

int runopts_parse(struct run_opts *o, int argc, char *const argv[], const char **why,
		  const char **bad)
{
	static const char *const valued[] = { "--cpus",	     "--mem",	    "--timeout",
					      "--machine",   "--console",   "--virtio",
					      "--vsock",     "--publish",   "--fs",
					      "--gdb",	     "--gdb-batch", "--trace",
					      "--trace-file" };

	*why = NULL;
	*bad = NULL;
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *name = NULL, *val = NULL;

		if (strcmp(arg, "--") == 0) {
			o->args = argv + i + 1;
			o->nargs = argc - i - 1;
			/* A word with blanks is passed in double quotes, and the kernel
			 * command line has no way to escape a quote inside quotes. */
			for (int k = 0; k < o->nargs; k++)
				if (has_blank(o->args[k]) && strchr(o->args[k], '"')) {
					*why = "a kernel argument cannot hold both blanks and "
					       "double quotes";
					*bad = o->args[k];
					return -EINVAL;
				}
			break;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			o->help = true;
			return 0;
		}
		if (arg[0] != '-' || arg[1] == '\0') {
			if (o->image) {
				*why = "only one image can be given";
				*bad = arg;
				return -EINVAL;
			}
			o->image = arg;
			continue;
		}
		if (strcmp(arg, "--dry-run") == 0) {
			if (o->debug) {
				*why = "--dry-run: not for toro debug (toro run --dry-run "
				       "--gdb PORT --gdb-wait shows its QEMU command)";
				*bad = arg;
				return -EINVAL;
			}
			o->dry_run = true;
			continue;
		}
		if (strcmp(arg, "--gdb-wait") == 0) {
			o->gdb_wait = true;
			continue;
		}
		if (strcmp(arg, "--gdb-uart") == 0) {
			o->gdb_uart = true;
			continue;
		}
		for (size_t j = 0; j < sizeof(valued) / sizeof(valued[0]) && !name; j++)
			name = match_opt(arg, valued[j], &val);
		if (!name) {
			*why = "unknown option";
			*bad = arg;
			return -EINVAL;
		}
		if (!val) {
			if (i + 1 >= argc) {
				*why = "option needs a value";
				*bad = arg;
				return -EINVAL;
			}
			val = argv[++i];
		}
		if (set_opt(o, name, val, why)) {
			*bad = val;
			return -EINVAL;
		}
	}
	if (!o->image) {
		*why = "no image given";
		return -EINVAL;
	}
	/* toro debug sets the endpoint after parsing; toro run needs --gdb. */
	if (!o->debug && !runopts_gdb_on(o) && (o->gdb_wait || o->gdb_uart)) {
		*why = o->gdb_wait ? "--gdb-wait needs --gdb [HOST:]PORT or unix:PATH" :
				     "--gdb-uart needs --gdb [HOST:]PORT or unix:PATH";
		return -EINVAL;
	}
	/* virtiofsd (libvhost-user) serves devices with VIRTIO_F_VERSION_1 only,
	 * which the legacy virtio-mmio interface cannot negotiate. */
	if (o->fs_dir[0] && o->virtio_given && !o->virtio_modern) {
		*why = "--fs needs --virtio modern: virtiofsd refuses legacy devices";
		return -EINVAL;
	}
	if (o->fs_dir[0])
		o->virtio_modern = true;
	return 0;
}

/* Adds one argument. */
static void add_arg(struct runopts_argv *a, const char *s, bool *full)
{
	if (a->argc >= RUNOPTS_MAX_ARGV - 1) {
		*full = true;
		return;
	}
	a->argv[a->argc++] = s;
	a->argv[a->argc] = NULL;
}

/* Appends n bytes to the string being built in buf (at most one at a time). */
static void buf_add(struct runopts_argv *a, const char *s, size_t n, bool *full)
{
	/* Keep a byte for the NUL. */
	if (RUNOPTS_ARGV_BUF - a->used < n + 1) {
		*full = true;
		return;
	}
	memcpy(a->buf + a->used, s, n);
	a->used += n;
}

/* Ends the string begun at `start` and adds it as an argument. */
static void buf_finish(struct runopts_argv *a, size_t start, bool *full)
{
	if (*full)
		return;
	a->buf[a->used++] = '\0';
	add_arg(a, a->buf + start, full);
}

/* Adds one argument made of two strings: an option's "key=" and its value. */
static void add_cat(struct runopts_argv *a, const char *key, const char *val, bool *full)
{
	size_t start = a->used;

	buf_add(a, key, strlen(key), full);
	buf_add(a, val, strlen(val), full);
	buf_finish(a, start, full);
}

bool runopts_gdb_on(const struct run_opts *o)
{
	return o->gdb_fd >= 0 || o->gdb_path || o->gdb_port;
}

/* Whether the kernel words (those before a second `--`) hold key= already. */
static bool user_word(const struct run_opts *o, const char *key)
{
	for (int i = 0; i < o->nargs && strcmp(o->args[i], "--") != 0; i++)
		if (strncmp(o->args[i], key, strlen(key)) == 0)
			return true;
	return false;
}

/* --trace: QEMU's events to the log, the kernel's dump to port 2 (see run_opts). */
static void add_trace(const struct run_opts *o, struct runopts_argv *a, bool *full)
{
	const char *file = o->trace_file ? o->trace_file : RUNOPTS_TRACE_FILE;
	const char *p = o->trace_events;
	size_t start;

	while (*p) {
		size_t n = 0;

		while (p[n] && p[n] != ',')
			n++;

		add_arg(a, "-trace", full);
		start = a->used;
		buf_add(a, "enable=", 7, full);
		buf_add(a, p, n, full);
		buf_finish(a, start, full);
		p += n + (p[n] == ',');
	}
	/* The time base (host/trace.c): the trace port's writes and their kicks. */
	add_arg(a, "-trace", full);
	add_arg(a, "enable=virtio_console_flush_buf", full);
	add_arg(a, "-trace", full);
	add_arg(a, "enable=virtio_queue_notify", full);
	add_arg(a, "-D", full);
	add_arg(a, file, full);
	add_arg(a, "-msg", full);
	add_arg(a, "timestamp=on", full);
	add_arg(a, "-chardev", full);
	start = a->used;
	if (o->trace_fd >= 0) {
		char num[24];
		size_t pos = 0;

		put_u64(num, sizeof(num), &pos, (uint64_t)o->trace_fd);
		buf_add(a, "socket,id=toro-trace,fd=", 24, full);
		buf_add(a, num, strlen(num), full);
	} else {
		buf_add(a, "file,id=toro-trace,path=", 24, full);
		buf_add(a, file, strlen(file), full);
		buf_add(a, ".guest", 6, full);
	}
	buf_finish(a, start, full);
	add_arg(a, "-device", full);
	add_arg(a,
		"virtserialport,chardev=toro-trace,nr=" RUNOPTS_TRACE_PORT
		",name=org.toro.trace",
		full);
}

/*
 * The stub's endpoint: a socket QEMU listens on, with TCP_NODELAY since gdb
 * waits for the answer to each small packet; and the stub's port: COM2, or
 * port 1 of the virtio-serial-device (port 0 is --console's virtconsole).
 */
static void add_gdb(const struct run_opts *o, struct runopts_argv *a, bool *full)
{
	char num[24];
	size_t start = a->used, pos = 0;

	add_arg(a, "-chardev", full);
	buf_add(a, "socket,id=toro-gdb,server=on,wait=off,", 38, full);
	if (o->gdb_fd >= 0) {
		put_u64(num, sizeof(num), &pos, (uint64_t)o->gdb_fd);
		buf_add(a, "fd=", 3, full);
		buf_add(a, num, strlen(num), full);
	} else if (o->gdb_path) {
		buf_add(a, "path=", 5, full);
		buf_add(a, o->gdb_path, strlen(o->gdb_path), full);
	} else {
		put_u64(num, sizeof(num), &pos, o->gdb_port);
		buf_add(a, "host=", 5, full);
		buf_add(a, o->gdb_host, strlen(o->gdb_host), full);
		buf_add(a, ",port=", 6, full);
		buf_add(a, num, strlen(num), full);
		buf_add(a, ",nodelay=on", 11, full);
	}
	buf_finish(a, start, full);
	add_arg(a, "-device", full);
	add_arg(a,
		o->gdb_uart ? "isa-serial,chardev=toro-gdb,iobase=0x2f8,irq=3" :
			      "virtserialport,chardev=toro-gdb,nr=1,name=org.toro.gdb",
		full);
}

const char *runopts_console_socket(const struct run_opts *o)
{
	return o->console && strncmp(o->console, "unix:", 5) == 0 ? o->console + 5 : NULL;
}

int runopts_build_argv(const struct run_opts *o, struct runopts_argv *a)
{
	static const char *const fixed[] = { "-nodefaults", "-no-user-config", "-display",
					     "none",	    "-no-reboot",      "-serial",
					     "stdio",	    "-device" };
	bool shared_mem = o->vsock_backend || o->fs_backend, gdb = runopts_gdb_on(o);
	/* toro's own gdb= word goes first, unless the user wrote one. */
	bool gdb_word = gdb && (o->gdb_wait || o->gdb_uart) && !user_word(o, "gdb=");
	bool trace_word = o->trace_events && !user_word(o, "trace=");
	char num[24];
	size_t start, pos;
	bool full = false;

	a->argc = 0;
	a->used = 0;
	a->argv[0] = NULL;

	add_arg(a, o->qemu, &full);
	add_arg(a, "-M", &full);
	start = a->used;
	buf_add(a, "microvm", 7, &full);
	/* vhost-user backends map guest RAM: it must be a shared memfd. */
	if (shared_mem)
		buf_add(a, ",memory-backend=toro-mem", 24, &full);
	if (o->machine) {
		buf_add(a, ",", 1, &full);
		buf_add(a, o->machine, strlen(o->machine), &full);
	}
	buf_finish(a, start, &full);
	add_arg(a, "-accel", &full);
	add_arg(a, o->kvm ? "kvm" : "tcg", &full);
	add_arg(a, "-cpu", &full);
	/*
	 * Under KVM, QEMU 7.2 aborts when a (nested) host refuses the
	 * IA32_ARCH_CAPABILITIES MSR it sets for "max"; Toro never reads it.
	 * invtsc makes QEMU publish the TSC frequency (CPUID 0x40000010), which
	 * a noisy host's PIT calibration may fail to find.
	 */
	add_arg(a, o->kvm ? "max,-arch-capabilities,+invtsc" : "max", &full);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		add_arg(a, fixed[i], &full);
	/* See lib/runopts.h for why the guest's exit port sits at 0xf4. */
	add_arg(a, "isa-debug-exit,iobase=0xf4,iosize=4", &full);

	add_arg(a, "-smp", &full);
	start = a->used;
	pos = 0;
	put_u64(num, sizeof(num), &pos, o->cpus);
	buf_add(a, num, strlen(num), &full);
	buf_finish(a, start, &full);

	add_arg(a, "-m", &full);
	if (runopts_format_size(o->mem, num, sizeof(num)))
		return -E2BIG;
	start = a->used;
	buf_add(a, num, strlen(num), &full);
	buf_finish(a, start, &full);

	add_arg(a, "-kernel", &full);
	add_arg(a, o->image, &full);
	if (shared_mem) {
		add_arg(a, "-object", &full);
		add_cat(a, "memory-backend-memfd,id=toro-mem,share=on,size=", num, &full);
	}
	if (o->vsock_backend) {
		add_arg(a, "-chardev", &full);
		add_cat(a, "socket,id=toro-vsock,path=", o->vsock_backend, &full);
		add_arg(a, "-device", &full);
		add_arg(a, "vhost-user-vsock-device,chardev=toro-vsock", &full);
	}
	if (o->fs_backend) {
		add_arg(a, "-chardev", &full);
		add_cat(a, "socket,id=toro-fs,path=", o->fs_backend, &full);
		add_arg(a, "-device", &full);
		add_cat(a, "vhost-user-fs-device,chardev=toro-fs,tag=", o->fs_tag, &full);
	}
	/* One virtio-serial-device carries the console, the stub's and the trace port. */
	if (o->console || (gdb && !o->gdb_uart) || o->trace_events) {
		add_arg(a, "-device", &full);
		add_arg(a, "virtio-serial-device", &full);
	}
	if (o->console) {
		/* A virtio console writing to a file, or on a Unix socket QEMU listens
		 * on (both ways: a client sends the guest's input). */
		const char *sock = runopts_console_socket(o);

		add_arg(a, "-chardev", &full);
		if (sock)
			add_cat(a,
				"socket,id=toro-console,server=on,wait=off,path=", sock,
				&full);
		else
			add_cat(a, "file,id=toro-console,path=", o->console, &full);
		add_arg(a, "-device", &full);
		add_arg(a, "virtconsole,chardev=toro-console", &full);
	}
	if (gdb)
		add_gdb(o, a, &full);
	if (o->trace_events)
		add_trace(o, a, &full);
	if (o->virtio_modern) {
		add_arg(a, "-global", &full);
		add_arg(a, "virtio-mmio.force-legacy=false", &full);
	}
	if (o->nargs > 0 || gdb_word || trace_word) {
		bool sep = false; /* a word is in already: the next needs a blank */

		add_arg(a, "-append", &full);
		start = a->used;
		if (trace_word) {
			buf_add(a, "trace=all", 9, &full);
			sep = true;
		}
		if (gdb_word) {
			buf_add(a, sep ? " gdb=" : "gdb=", sep ? 5 : 4, &full);
			if (o->gdb_uart)
				buf_add(a, o->gdb_wait ? "uart," : "uart",
					o->gdb_wait ? 5 : 4, &full);
			if (o->gdb_wait)
				buf_add(a, "wait", 4, &full);
			sep = true;
		}
		for (int i = 0; i < o->nargs; i++) {
			/* Blanks survive as one word in double quotes, which the
			 * kernel's parser removes ("key=a b" or "a b"). */
			bool blanks = has_blank(o->args[i]);

			if (sep)
				buf_add(a, " ", 1, &full);
			sep = true;
			if (blanks)
				buf_add(a, "\"", 1, &full);
			buf_add(a, o->args[i], strlen(o->args[i]), &full);
			if (blanks)
				buf_add(a, "\"", 1, &full);
		}
		buf_finish(a, start, &full);
	}
	return full ? -E2BIG : 0;
}

int runopts_build_gdb_argv(const struct run_opts *o, const char *gdb, const char *target,
			   struct runopts_argv *a)
{
	char num[24];
	size_t pos = 0;
	bool full = false;

	a->argc = 0;
	a->used = 0;
	a->argv[0] = NULL;
	add_arg(a, gdb, &full);
	add_arg(a, "-q", &full);
	add_arg(a, o->image, &full);
	add_arg(a, "-ex", &full);
	put_u64(num, sizeof(num), &pos, RUNOPTS_GDB_TIMEOUT_S);
	add_cat(a, "set remotetimeout ", num, &full);
	add_arg(a, "-ex", &full);
	add_cat(a, "target remote ", target, &full);
	if (o->gdb_batch) {
		add_arg(a, "-batch", &full);
		add_arg(a, "-x", &full);
		add_arg(a, o->gdb_batch, &full);
	}
	return full ? -E2BIG : 0;
}

enum runopts_status runopts_map_status(int status, int *code)
{
	if (status >= 3 && status <= 255 && (status & 1)) {
		*code = (status - 3) / 2;
		return RUNOPTS_GUEST_EXIT;
	}
	if (status == 0)
		return RUNOPTS_GUEST_RESET;
	return RUNOPTS_QEMU_FAILED;
}

/* Characters a POSIX shell takes literally outside quotes. */
static bool plain_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c != '\0' && strchr("@%+=:,./-_", c) != NULL);
}

int runopts_shell_quote(const char *s, char *buf, size_t len)
{
	size_t pos = 0, i;
	bool plain = s[0] != '\0';

	for (i = 0; s[i] && plain; i++)
		plain = plain_char(s[i]);
	if (plain) {
		if (strlen(s) + 1 > len)
			return -ENOSPC;
		memcpy(buf, s, strlen(s) + 1);
		return 0;
	}
	/* Inside single quotes only ' is special: end the quote, escape it, reopen. */
	if (len < 3)
		return -ENOSPC;
	buf[pos++] = '\'';
	for (i = 0; s[i]; i++) {
		const char *piece = s[i] == '\'' ? "'\\''" : NULL;
		size_t n = piece ? 4 : 1;

		if (len - pos < n + 2)
			return -ENOSPC;
		if (piece)
			memcpy(buf + pos, piece, n);
		else
			buf[pos] = s[i];
		pos += n;
	}
	buf[pos++] = '\'';
	buf[pos] = '\0';
	return 0;
}
