/* SPDX-License-Identifier: MIT */
/* Tests of the pure half of `toro run` (lib/runopts.c). */
#include "lib/runopts.h"

#include <errno.h>

#include "tests/host/check.h"

TEST(size_plain_and_suffixes)
{
	uint64_t v = 0;

	CHECK_EQ(runopts_parse_size("4096", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(runopts_parse_size("1032k", &v), 0);
	CHECK_EQ(v, 1032 * 1024);
	CHECK_EQ(runopts_parse_size("512K", &v), 0);
	CHECK_EQ(v, 512 * 1024);
	CHECK_EQ(runopts_parse_size("128M", &v), 0);
	CHECK_EQ(v, 128ull << 20);
	CHECK_EQ(runopts_parse_size("2g", &v), 0);
	CHECK_EQ(v, 2ull << 30);
	CHECK_EQ(runopts_parse_size("1T", &v), 0);
	CHECK_EQ(v, 1ull << 40);
	CHECK_EQ(runopts_parse_size("18446744073709551615", &v), 0);
	CHECK(v == UINT64_MAX);
}

TEST(size_bad)
{
	uint64_t v = 7;

	CHECK_EQ(runopts_parse_size("", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size("M", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size("-1M", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size(" 1M", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size("1MB", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size("1.5G", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size("12X", &v), -EINVAL);
	CHECK_EQ(runopts_parse_size("18446744073709551616", &v), -EOVERFLOW);
	CHECK_EQ(runopts_parse_size("17179869184G", &v), -EOVERFLOW);
	CHECK_EQ(v, 7); /* untouched on error */
}

TEST(size_format_for_qemu)
{
	char buf[32];

	CHECK_EQ(runopts_format_size(128ull << 20, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "128M");
	CHECK_EQ(runopts_format_size(1032 * 1024, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1032K");
	CHECK_EQ(runopts_format_size(3ull << 30, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "3G");
	CHECK_EQ(runopts_format_size(1ull << 40, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1T");
	CHECK_EQ(runopts_format_size(1536ull << 20, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1536M");
	CHECK_EQ(runopts_format_size(1000, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "1000B");
	CHECK_EQ(runopts_format_size(128ull << 20, buf, 4), -ENOSPC);
}

TEST(cpus_and_seconds)
{
	unsigned int c = 0;
	uint64_t ms = 0;

	CHECK_EQ(runopts_parse_cpus("1", &c), 0);
	CHECK_EQ(c, 1);
	CHECK_EQ(runopts_parse_cpus("64", &c), 0);
	CHECK_EQ(c, 64);
	CHECK_EQ(runopts_parse_cpus("0", &c), -ERANGE);
	CHECK_EQ(runopts_parse_cpus("65", &c), -ERANGE);
	CHECK_EQ(runopts_parse_cpus("99999999999999999999999", &c), -EOVERFLOW);
	CHECK_EQ(runopts_parse_cpus("2x", &c), -EINVAL);
	CHECK_EQ(c, 64);

	CHECK_EQ(runopts_parse_seconds("2", &ms), 0);
	CHECK_EQ(ms, 2000);
	CHECK_EQ(runopts_parse_seconds("0.5", &ms), 0);
	CHECK_EQ(ms, 500);
	CHECK_EQ(runopts_parse_seconds("1.25", &ms), 0);
	CHECK_EQ(ms, 1250);
	CHECK_EQ(runopts_parse_seconds("3.14159", &ms), 0);
	CHECK_EQ(ms, 3141);
	CHECK_EQ(runopts_parse_seconds("0", &ms), -ERANGE);
	CHECK_EQ(runopts_parse_seconds("0.0001", &ms), -ERANGE);
	CHECK_EQ(runopts_parse_seconds("1.", &ms), -EINVAL);
	CHECK_EQ(runopts_parse_seconds(".5", &ms), -EINVAL);
	CHECK_EQ(runopts_parse_seconds("5s", &ms), -EINVAL);
	CHECK_EQ(runopts_parse_seconds("-1", &ms), -EINVAL);
	CHECK_EQ(runopts_parse_seconds("99999999999999999999", &ms), -ERANGE);
}

TEST(exit_status_mapping)
{
	int code = -1;

	/* The guest writes code + 1; QEMU exits with (value << 1) | 1. */
	CHECK_EQ(runopts_map_status((1 << 1) | 1, &code), RUNOPTS_GUEST_EXIT);
	CHECK_EQ(code, 0);
	CHECK_EQ(runopts_map_status((4 << 1) | 1, &code), RUNOPTS_GUEST_EXIT);
	CHECK_EQ(code, 3);
	CHECK_EQ(runopts_map_status(255, &code), RUNOPTS_GUEST_EXIT);
	CHECK_EQ(code, 126);
	code = -1;
	CHECK_EQ(runopts_map_status(0, &code), RUNOPTS_GUEST_RESET);
	CHECK_EQ(runopts_map_status(1, &code), RUNOPTS_QEMU_FAILED);
	CHECK_EQ(runopts_map_status(2, &code), RUNOPTS_QEMU_FAILED);
	CHECK_EQ(runopts_map_status(100, &code), RUNOPTS_QEMU_FAILED);
	CHECK_EQ(runopts_map_status(-1, &code), RUNOPTS_QEMU_FAILED);
	CHECK_EQ(runopts_map_status(257, &code), RUNOPTS_QEMU_FAILED);
	CHECK_EQ(code, -1);
}

/* Parses a NULL-terminated word list into o; returns runopts_parse's result. */
static int parse(struct run_opts *o, const char **why, const char **bad, char **words)
{
	int n = 0;

	while (words[n])
		n++;
	runopts_init(o);
	return runopts_parse(o, n, words, why, bad);
}

/* The built command line as one string, words separated by '|'. */
static const char *joined(const struct run_opts *o)
{
	static struct runopts_argv a;
	static char out[RUNOPTS_ARGV_BUF * 2];
	size_t pos = 0;

	if (runopts_build_argv(o, &a))
		return "E2BIG";
	CHECK(a.argv[a.argc] == NULL);
	for (int i = 0; i < a.argc; i++)
		pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%s%s",
					i ? "|" : "", a.argv[i]);
	return out;
}

TEST(argv_defaults)
{
	char *w[] = { "img.elf", NULL };
	struct run_opts o;
	const char *why, *bad;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	CHECK_STR(o.image, "img.elf");
	CHECK_EQ(o.timeout_ms, 0);
	CHECK(!o.timeout_set);
	CHECK_STR(joined(&o),
		  "qemu-system-x86_64|-M|microvm|-accel|tcg|-cpu|max|-nodefaults|"
		  "-no-user-config|-display|none|-no-reboot|-serial|stdio|"
		  "-device|isa-debug-exit,iobase=0xf4,iosize=4|-smp|1|-m|128M|"
		  "-kernel|img.elf");
}

TEST(argv_all_options)
{
	char *w[] = { "--cpus",	   "4",	  "img.elf",	   "--mem=1032k",
		      "--timeout", "2.5", "--machine",	   "acpi=off",
		      "--dry-run", "--",  "console=ttyS0", "--cpus",
		      "x y",	   NULL };
	struct run_opts o;
	const char *why, *bad;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	o.kvm = true;
	o.qemu = "/opt/qemu";
	CHECK(o.dry_run);
	CHECK(o.timeout_set);
	CHECK_EQ(o.timeout_ms, 2500);
	CHECK_EQ(o.cpus, 4);
	CHECK_EQ(o.mem, 1032 * 1024);
	CHECK_EQ(o.nargs, 3);
	CHECK_STR(
		joined(&o),
		"/opt/qemu|-M|microvm,acpi=off|-accel|kvm|-cpu|max,-arch-capabilities,+invtsc|"
		"-nodefaults|"
		"-no-user-config|-display|none|-no-reboot|-serial|stdio|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=4|-smp|4|-m|1032K|"
		"-kernel|img.elf|-append|console=ttyS0 --cpus \"x y\"");
}

TEST(kernel_args_with_blanks_are_quoted)
{
	char *w[] = { "img.elf", "--", "msg=hello world", "plain", "two words", NULL };
	char *bad[] = { "img.elf", "--", "say \"hi\"", NULL };
	const char *why, *word;
	struct run_opts o;

	runopts_init(&o);
	CHECK_EQ(runopts_parse(&o, 5, w, &why, &word), 0);
	CHECK(strstr(joined(&o), "-append|\"msg=hello world\" plain \"two words\"") !=
	      NULL);
	runopts_init(&o);
	CHECK_EQ(runopts_parse(&o, 3, bad, &why, &word), -EINVAL);
	CHECK_STR(word, "say \"hi\"");
}

TEST(console_and_virtio_options)
{
	char *w[] = { "img.elf", "--console", "out.txt", "--virtio", "modern", NULL };
	char *bad1[] = { "img.elf", "--console", "a,b", NULL };
	char *bad2[] = { "img.elf", "--virtio", "v3", NULL };
	const char *why, *word;
	struct run_opts o;

	runopts_init(&o);
	CHECK_EQ(runopts_parse(&o, 5, w, &why, &word), 0);
	CHECK(strstr(joined(&o), "-kernel|img.elf|-device|virtio-serial-device|-chardev|"
				 "file,id=toro-console,path=out.txt|-device|"
				 "virtconsole,chardev=toro-console|-global|"
				 "virtio-mmio.force-legacy=false") != NULL);
	runopts_init(&o);
	CHECK_EQ(runopts_parse(&o, 3, bad1, &why, &word), -EINVAL);
	runopts_init(&o);
	CHECK_EQ(runopts_parse(&o, 3, bad2, &why, &word), -EINVAL);
}

TEST(vsock_and_publish_options)
{
	char *w[] = { "img.elf", "--vsock",   "/tmp/v.sock",	  "--publish",
		      "8080:80", "--publish", "10.0.0.1:2222:22", "--mem",
		      "64M",	 NULL };
	const char *why, *word;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &word, w), 0);
	CHECK_STR(o.vsock, "/tmp/v.sock");
	CHECK_EQ(o.npublish, 2);
	CHECK_STR(o.publish[1], "10.0.0.1:2222:22");
	/* The options alone add nothing: the caller starts the daemon first. */
	CHECK(strstr(joined(&o), "vsock") == NULL);
	o.vsock_backend = "/run/x/vhost.sock";
	CHECK_STR(joined(&o),
		  "qemu-system-x86_64|-M|microvm,memory-backend=toro-mem|-accel|tcg|"
		  "-cpu|max|-nodefaults|-no-user-config|-display|none|-no-reboot|"
		  "-serial|stdio|-device|isa-debug-exit,iobase=0xf4,iosize=4|-smp|1|"
		  "-m|64M|-kernel|img.elf|-object|"
		  "memory-backend-memfd,id=toro-mem,share=on,size=64M|-chardev|"
		  "socket,id=toro-vsock,path=/run/x/vhost.sock|-device|"
		  "vhost-user-vsock-device,chardev=toro-vsock");
}

TEST(bad_publish_and_vsock)
{
	static const char *const bad[] = {
		"80",	     ":80",	 "8080:",    "0:80",	"65536:80",
		"a:8080:80", "8080:80x", "8080::80", "1:2:3:4", ""
	};
	const char *why, *word;
	struct run_opts o;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *w[] = { "img.elf", "--publish", (char *)bad[i], NULL };

		CHECK_EQ(parse(&o, &why, &word, w), -EINVAL);
		CHECK(strstr(why, "--publish") != NULL);
	}
	char *v[] = { "img.elf", "--vsock", "a,b", NULL };

	CHECK_EQ(parse(&o, &why, &word, v), -EINVAL);
	char *many[40] = { "img.elf" };
	int k = 1;

	for (int i = 0; i < RUNOPTS_MAX_PUBLISH + 1; i++) {
		many[k++] = "--publish";
		many[k++] = "1:1";
	}
	many[k] = NULL;
	CHECK_EQ(parse(&o, &why, &word, many), -EINVAL);
	CHECK(strstr(why, "at most") != NULL);
}

TEST(fs_option)
{
	static char tag36[] = "--fs=/d:abcdefghijklmnopqrstuvwxyz0123456789";
	char *plain[] = { "img.elf", "--fs", "/tmp/x", NULL };
	char *tagged[] = { "--fs=/srv/data:web_1.v-2", "img.elf", NULL };
	char *colons[] = { "img.elf", "--fs", "/a:b/c,d e\\f:d", NULL };
	char *longest[] = { "img.elf", tag36, NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, plain), 0);
	CHECK_STR(o.fs_dir, "/tmp/x");
	CHECK_STR(o.fs_tag, "toro");
	/* The option alone adds nothing: the caller starts virtiofsd first. */
	CHECK(strstr(joined(&o), "fs") == NULL);
	CHECK_EQ(parse(&o, &why, &bad, tagged), 0);
	CHECK_STR(o.fs_dir, "/srv/data");
	CHECK_STR(o.fs_tag, "web_1.v-2");
	/* TAG is after the last ':': a DIR with colons keeps them; it may hold
	 * commas, blanks and backslashes too (it never reaches QEMU). */
	CHECK_EQ(parse(&o, &why, &bad, colons), 0);
	CHECK_STR(o.fs_dir, "/a:b/c,d e\\f");
	CHECK_STR(o.fs_tag, "d");
	CHECK_EQ(parse(&o, &why, &bad, longest), 0);
	CHECK_EQ(strlen(o.fs_tag), RUNOPTS_FS_TAG_MAX);
	/* Without --fs nothing is shared. */
	char *none[] = { "img.elf", NULL };

	CHECK_EQ(parse(&o, &why, &bad, none), 0);
	CHECK_STR(o.fs_dir, "");
}

TEST(bad_fs)
{
	static char tag37[] = "/d:abcdefghijklmnopqrstuvwxyz0123456789X";
	static char long_dir[RUNOPTS_FS_DIR_MAX + 1];
	static const struct {
		const char *val; /* the --fs value */
		const char *why; /* a word the message must hold */
	} cases[] = {
		{ "", "DIR[:TAG]" },	  { ":web", "DIR[:TAG]" },
		{ "/x:", "TAG" },	  { "/x:two words", "TAG" },
		{ "/x:a,b", "TAG" },	  { "/a:b/c", "needs one" },
		{ tag37, "1 to 36" },	  { "/x:tag=1", "TAG" },
		{ long_dir, "too long" },
	};
	const char *why, *bad;
	struct run_opts o;

	memset(long_dir, 'd', sizeof(long_dir) - 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *w[] = { "img.elf", "--fs", (char *)cases[i].val, NULL };

		why = NULL;
		CHECK_EQ(parse(&o, &why, &bad, w), -EINVAL);
		CHECK(why && strstr(why, "--fs") && strstr(why, cases[i].why));
		CHECK(bad == cases[i].val);
	}
	char *twice[] = { "img.elf", "--fs", "/a", "--fs=/b:other", NULL };

	CHECK_EQ(parse(&o, &why, &bad, twice), -EINVAL);
	CHECK(strstr(why, "only one") != NULL);
	CHECK_STR(bad, "/b:other");
	char *novalue[] = { "img.elf", "--fs", NULL };

	CHECK_EQ(parse(&o, &why, &bad, novalue), -EINVAL);
	CHECK_STR(bad, "--fs");
}

TEST(argv_fs)
{
	char *w[] = { "img.elf", "--fs", "/srv:share", "--mem", "256M", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	o.fs_backend = "/tmp/toro-1/fs.sock";
	CHECK_STR(joined(&o),
		  "qemu-system-x86_64|-M|microvm,memory-backend=toro-mem|-accel|tcg|"
		  "-cpu|max|-nodefaults|-no-user-config|-display|none|-no-reboot|"
		  "-serial|stdio|-device|isa-debug-exit,iobase=0xf4,iosize=4|-smp|1|"
		  "-m|256M|-kernel|img.elf|-object|"
		  "memory-backend-memfd,id=toro-mem,share=on,size=256M|-chardev|"
		  "socket,id=toro-fs,path=/tmp/toro-1/fs.sock|-device|"
		  "vhost-user-fs-device,chardev=toro-fs,tag=share|-global|"
		  "virtio-mmio.force-legacy=false");
}

/* virtiofsd serves modern (VIRTIO_F_VERSION_1) devices only. */
TEST(fs_means_modern_virtio)
{
	char *legacy1[] = { "img.elf", "--fs", "/srv", "--virtio", "legacy", NULL };
	char *legacy2[] = { "img.elf", "--virtio=legacy", "--fs", "/srv", NULL };
	char *modern[] = { "img.elf", "--virtio=modern", "--fs", "/srv", NULL };
	char *plain[] = { "img.elf", "--virtio=legacy", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, legacy1), -EINVAL);
	CHECK(strstr(why, "--virtio modern") != NULL);
	CHECK_EQ(parse(&o, &why, &bad, legacy2), -EINVAL);
	CHECK_EQ(parse(&o, &why, &bad, modern), 0);
	CHECK(o.virtio_modern);
	CHECK_EQ(parse(&o, &why, &bad, plain), 0);
	CHECK(!o.virtio_modern);
}

TEST(argv_fs_and_vsock_share_one_memory_backend)
{
	char *w[] = { "img.elf",     "--fs",	  "/srv",     "--vsock",
		      "/tmp/v.sock", "--machine", "acpi=off", NULL };
	const char *why, *bad, *s, *p;
	struct run_opts o;
	int n = 0;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	o.fs_backend = "/tmp/toro-2/fs.sock";
	o.vsock_backend = "/tmp/toro-3/vhost.sock";
	s = joined(&o);
	CHECK(strstr(s, "|-M|microvm,memory-backend=toro-mem,acpi=off|") != NULL);
	for (p = s; (p = strstr(p, "memory-backend-memfd")) != NULL; p++)
		n++;
	CHECK_EQ(n, 1);
	CHECK(strstr(s, "|-kernel|img.elf|-object|"
			"memory-backend-memfd,id=toro-mem,share=on,size=128M|"
			"-chardev|socket,id=toro-vsock,path=/tmp/toro-3/vhost.sock|"
			"-device|vhost-user-vsock-device,chardev=toro-vsock|"
			"-chardev|socket,id=toro-fs,path=/tmp/toro-2/fs.sock|"
			"-device|vhost-user-fs-device,chardev=toro-fs,tag=toro|"
			"-global|virtio-mmio.force-legacy=false") != NULL);
}

/* Parses w as the options of toro debug. */
static int parse_debug(struct run_opts *o, const char **why, const char **bad,
		       char **words)
{
	int n = 0;

	while (words[n])
		n++;
	runopts_init(o);
	o->debug = true;
	return runopts_parse(o, n, words, why, bad);
}

TEST(gdb_option_forms)
{
	char *port[] = { "img.elf", "--gdb", "1234", NULL };
	char *any[] = { "img.elf", "--gdb", "0.0.0.0:1234", NULL };
	char *named[] = { "img.elf", "--gdb=localhost:65535", NULL };
	char *bare[] = { "img.elf", "--gdb", ":1", NULL };
	char *unix_sock[] = { "img.elf", "--gdb", "unix:/tmp/x", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, port), 0);
	CHECK_STR(o.gdb_host, "127.0.0.1");
	CHECK_EQ(o.gdb_port, 1234);
	CHECK(o.gdb_path == NULL);
	CHECK(!o.gdb_wait && !o.gdb_uart);
	CHECK_EQ(parse(&o, &why, &bad, any), 0);
	CHECK_STR(o.gdb_host, "0.0.0.0");
	CHECK_EQ(o.gdb_port, 1234);
	CHECK_EQ(parse(&o, &why, &bad, named), 0);
	CHECK_STR(o.gdb_host, "localhost");
	CHECK_EQ(o.gdb_port, 65535);
	/* gdb's own `target remote :1234` form: the default host. */
	CHECK_EQ(parse(&o, &why, &bad, bare), 0);
	CHECK_STR(o.gdb_host, "127.0.0.1");
	CHECK_EQ(o.gdb_port, 1);
	CHECK_EQ(parse(&o, &why, &bad, unix_sock), 0);
	CHECK_STR(o.gdb_path, "/tmp/x");
	CHECK_STR(o.gdb_host, "");
	CHECK_EQ(o.gdb_port, 0);
	/* Without --gdb there is no stub endpoint and no device. */
	char *none[] = { "img.elf", NULL };

	CHECK_EQ(parse(&o, &why, &bad, none), 0);
	CHECK(!runopts_gdb_on(&o));
	CHECK_EQ(o.gdb_fd, -1);
	CHECK(strstr(joined(&o), "gdb") == NULL);
}

TEST(bad_gdb)
{
	static const char *const expected =
		"--gdb: expected [HOST:]PORT with PORT from 1 to 65535, or unix:PATH, "
		"without commas";
	static char long_path[5 + RUNOPTS_SUN_PATH_MAX + 2] = "unix:/";
	static const char *const bad_forms[] = {
		"0",	     "70000", "65536",	    "host:", "1234,x", "a,b:1234",
		"unix:/a,b", "unix:", "",	    "-1",    "1:2:3",  "ho st:1",
		"x_y:1",     "12ab",  "[::1]:1234", ":",     "host",
	};
	const char *why, *bad;
	struct run_opts o;

	for (size_t i = 0; i < sizeof(bad_forms) / sizeof(bad_forms[0]); i++) {
		char *w[] = { "img.elf", "--gdb", (char *)bad_forms[i], NULL };

		why = NULL;
		CHECK_EQ(parse(&o, &why, &bad, w), -EINVAL);
		CHECK_STR(why ? why : "(null)", expected);
		CHECK(bad == bad_forms[i]);
	}
	/* sun_path holds 107 bytes and the NUL. */
	memset(long_path + 6, 'p', RUNOPTS_SUN_PATH_MAX - 1);
	char *w107[] = { "img.elf", "--gdb", long_path, NULL };

	CHECK_EQ(parse(&o, &why, &bad, w107), 0);
	CHECK_EQ(strlen(o.gdb_path), 107);
	long_path[5 + RUNOPTS_SUN_PATH_MAX] = 'p';
	CHECK_EQ(parse(&o, &why, &bad, w107), -EINVAL);
	CHECK_STR(why, "--gdb: a Unix socket path has at most 107 bytes");

	char *novalue[] = { "img.elf", "--gdb", NULL };

	CHECK_EQ(parse(&o, &why, &bad, novalue), -EINVAL);
	CHECK_STR(why, "option needs a value");
	CHECK_STR(bad, "--gdb");
}

TEST(gdb_wait_and_uart_need_gdb)
{
	char *wait[] = { "img.elf", "--gdb-wait", NULL };
	char *uart[] = { "--gdb-uart", "img.elf", "--", "gdb=uart", NULL };
	char *batch[] = { "img.elf", "--gdb", "1234", "--gdb-batch", "s.gdb", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, wait), -EINVAL);
	CHECK_STR(why, "--gdb-wait needs --gdb [HOST:]PORT or unix:PATH");
	CHECK(bad == NULL);
	CHECK_EQ(parse(&o, &why, &bad, uart), -EINVAL);
	CHECK_STR(why, "--gdb-uart needs --gdb [HOST:]PORT or unix:PATH");
	CHECK(bad == NULL);
	CHECK_EQ(parse(&o, &why, &bad, batch), -EINVAL);
	CHECK_STR(why, "--gdb-batch: only toro debug runs gdb");
	CHECK_STR(bad, "s.gdb");
}

TEST(debug_options)
{
	char *plain[] = { "img.elf", "--gdb-uart", "--gdb-batch=s.gdb", "--gdb-wait",
			  NULL };
	char *gdb[] = { "img.elf", "--gdb", "1234", NULL };
	char *dry[] = { "img.elf", "--dry-run", NULL };
	char *empty[] = { "img.elf", "--gdb-batch=", NULL };
	const char *why, *bad;
	struct run_opts o;

	/* toro debug sets the endpoint itself, after parsing. */
	CHECK_EQ(parse_debug(&o, &why, &bad, plain), 0);
	CHECK(o.gdb_uart && o.gdb_wait);
	CHECK_STR(o.gdb_batch, "s.gdb");
	CHECK(!runopts_gdb_on(&o));
	CHECK_EQ(parse_debug(&o, &why, &bad, gdb), -EINVAL);
	CHECK_STR(why, "--gdb: toro debug chooses the endpoint itself (toro run --gdb "
		       "takes one)");
	CHECK_STR(bad, "1234");
	CHECK_EQ(parse_debug(&o, &why, &bad, dry), -EINVAL);
	CHECK_STR(why, "--dry-run: not for toro debug (toro run --dry-run --gdb PORT "
		       "--gdb-wait shows its QEMU command)");
	CHECK_STR(bad, "--dry-run");
	CHECK_EQ(parse_debug(&o, &why, &bad, empty), -EINVAL);
	CHECK_STR(why, "--gdb-batch: expected a file of gdb commands");
}

TEST(argv_gdb_on_virtio_console_port_1)
{
	char *w[] = { "img.elf", "--gdb", "1234", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	/* No --console: port 0 does not exist, the kernel log stays on the UART. */
	CHECK_STR(
		joined(&o),
		"qemu-system-x86_64|-M|microvm|-accel|tcg|-cpu|max|-nodefaults|"
		"-no-user-config|-display|none|-no-reboot|-serial|stdio|"
		"-device|isa-debug-exit,iobase=0xf4,iosize=4|-smp|1|-m|128M|"
		"-kernel|img.elf|-device|virtio-serial-device|-chardev|"
		"socket,id=toro-gdb,server=on,wait=off,host=127.0.0.1,port=1234,"
		"nodelay=on|-device|virtserialport,chardev=toro-gdb,nr=1,name=org.toro.gdb");
}

TEST(argv_gdb_shares_the_console_device)
{
	char *w[] = { "img.elf", "--console",	     "unix:/tmp/c.sock",
		      "--gdb",	 "unix:/tmp/g.sock", "--gdb-wait",
		      "--",	 "console=uart",     NULL };
	const char *why, *bad, *s, *p;
	struct run_opts o;
	int n = 0;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	s = joined(&o);
	CHECK(strstr(s, "|-kernel|img.elf|-device|virtio-serial-device|-chardev|"
			"socket,id=toro-console,server=on,wait=off,path=/tmp/c.sock|"
			"-device|virtconsole,chardev=toro-console|-chardev|"
			"socket,id=toro-gdb,server=on,wait=off,path=/tmp/g.sock|-device|"
			"virtserialport,chardev=toro-gdb,nr=1,name=org.toro.gdb|"
			"-append|gdb=wait console=uart") != NULL);
	for (p = s; (p = strstr(p, "virtio-serial-device")) != NULL; p++)
		n++;
	CHECK_EQ(n, 1);
}

TEST(argv_gdb_uart)
{
	char *alone[] = { "img.elf", "--gdb", "0.0.0.0:4444", "--gdb-uart", NULL };
	char *both[] = { "img.elf",   "--gdb-wait", "--gdb", "4444", "--gdb-uart",
			 "--console", "out.txt",    "--",    "x=1",  NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, alone), 0);
	/* COM2 needs no virtio-serial-device. */
	CHECK_STR(joined(&o),
		  "qemu-system-x86_64|-M|microvm|-accel|tcg|-cpu|max|-nodefaults|"
		  "-no-user-config|-display|none|-no-reboot|-serial|stdio|"
		  "-device|isa-debug-exit,iobase=0xf4,iosize=4|-smp|1|-m|128M|"
		  "-kernel|img.elf|-chardev|"
		  "socket,id=toro-gdb,server=on,wait=off,host=0.0.0.0,port=4444,"
		  "nodelay=on|-device|isa-serial,chardev=toro-gdb,iobase=0x2f8,irq=3|"
		  "-append|gdb=uart");
	CHECK_EQ(parse(&o, &why, &bad, both), 0);
	CHECK(strstr(joined(&o),
		     "|-kernel|img.elf|-device|virtio-serial-device|-chardev|"
		     "file,id=toro-console,path=out.txt|-device|"
		     "virtconsole,chardev=toro-console|-chardev|"
		     "socket,id=toro-gdb,server=on,wait=off,host=127.0.0.1,port=4444,"
		     "nodelay=on|-device|isa-serial,chardev=toro-gdb,iobase=0x2f8,irq=3|"
		     "-append|gdb=uart,wait x=1") != NULL);
}

TEST(argv_gdb_word_of_the_user_wins)
{
	char *own[] = { "img.elf", "--gdb",	"1", "--gdb-wait", "--gdb-uart",
			"--",	   "gdb=crash", "x", NULL };
	char *app[] = { "img.elf", "--gdb", "1", "--gdb-wait", "--", "--", "gdb=a", NULL };
	char *nowait[] = { "img.elf", "--gdb", "1", "--", "gdb=crash", NULL };
	const char *why, *bad, *s;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, own), 0);
	s = joined(&o);
	CHECK(strstr(s, "|-device|isa-serial,chardev=toro-gdb,iobase=0x2f8,irq=3|"
			"-append|gdb=crash x") != NULL);
	CHECK(strstr(s, "gdb=uart") == NULL);
	/* After a second `--` the words are the application's, not the kernel's. */
	CHECK_EQ(parse(&o, &why, &bad, app), 0);
	CHECK(strstr(joined(&o), "|-append|gdb=wait -- gdb=a") != NULL);
	/* --gdb alone adds no kernel parameter. */
	CHECK_EQ(parse(&o, &why, &bad, nowait), 0);
	CHECK(strstr(joined(&o), "|-append|gdb=crash") != NULL);
	char *bare[] = { "img.elf", "--gdb", "1", NULL };

	CHECK_EQ(parse(&o, &why, &bad, bare), 0);
	CHECK(strstr(joined(&o), "-append") == NULL);
}

/* toro debug: the socket it listens on, handed to QEMU. */
TEST(argv_gdb_fd)
{
	char *w[] = { "img.elf", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse_debug(&o, &why, &bad, w), 0);
	o.gdb_fd = 7;
	o.gdb_wait = true;
	CHECK(runopts_gdb_on(&o));
	CHECK(strstr(joined(&o), "|-kernel|img.elf|-device|virtio-serial-device|-chardev|"
				 "socket,id=toro-gdb,server=on,wait=off,fd=7|-device|"
				 "virtserialport,chardev=toro-gdb,nr=1,name=org.toro.gdb|"
				 "-append|gdb=wait") != NULL);
}

TEST(argv_trace)
{
	char *w[] = { "img.elf",      "--trace", "virtio_*,apic_?et",
		      "--trace-file", "t.log",	 "--",
		      "x=1",	      NULL };
	char *own[] = { "img.elf", "--trace=ioapic_*", "--", "trace=sched", NULL };
	const char *why, *bad, *s;
	struct run_opts o;

	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	CHECK_STR(o.trace_events, "virtio_*,apic_?et");
	CHECK_STR(o.trace_file, "t.log");
	s = joined(&o);
	CHECK(strstr(s,
		     "|-kernel|img.elf|-device|virtio-serial-device|-trace|enable=virtio_*|"
		     "-trace|enable=apic_?et|-trace|enable=virtio_console_flush_buf|"
		     "-trace|enable=virtio_queue_notify|-D|t.log|-msg|timestamp=on|"
		     "-chardev|file,id=toro-trace,path=t.log.guest|-device|"
		     "virtserialport,chardev=toro-trace,nr=2,name=org.toro.trace|"
		     "-append|trace=all x=1") != NULL);
	/* The user's trace= wins; the default file; run_vm's socket. */
	CHECK_EQ(parse(&o, &why, &bad, own), 0);
	o.trace_fd = 9;
	s = joined(&o);
	CHECK(strstr(s, "|-trace|enable=ioapic_*|") != NULL);
	CHECK(strstr(s, "|-D|" RUNOPTS_TRACE_FILE "|") != NULL);
	CHECK(strstr(s, "|-chardev|socket,id=toro-trace,fd=9|") != NULL);
	CHECK(strstr(s, "|-append|trace=sched") != NULL);
	CHECK(strstr(s, "trace=all") == NULL);
}

TEST(bad_trace)
{
	static const char *const bad_events[] = {
		"",	",",   "a,",  ",a",
		"a,,b", "a;b", "a b", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"
	};
	char *file_comma[] = { "img.elf", "--trace", "a", "--trace-file", "a,b", NULL };
	char *file_empty[] = { "img.elf", "--trace", "a", "--trace-file=", NULL };
	const char *why, *bad;
	struct run_opts o;

	for (size_t i = 0; i < sizeof(bad_events) / sizeof(bad_events[0]); i++) {
		char *w[] = { "img.elf", "--trace", (char *)bad_events[i], NULL };

		if (parse(&o, &why, &bad, w) != -EINVAL)
			check_fail(__FILE__, __LINE__, "took --trace '%s'",
				   bad_events[i]);
		else
			CHECK(strstr(why,
				     "--trace: expected QEMU trace event patterns") ==
			      why);
	}
	char *sixteen[] = { "img.elf", "--trace", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p",
			    NULL };

	CHECK_EQ(parse(&o, &why, &bad, sixteen), 0);
	CHECK_EQ(parse(&o, &why, &bad, file_comma), -EINVAL);
	CHECK_STR(why, "--trace-file: expected a file name without commas");
	CHECK_EQ(parse(&o, &why, &bad, file_empty), -EINVAL);
}

/* A built argv as one string, words separated by '|'. */
static const char *join(const struct runopts_argv *a)
{
	static char out[RUNOPTS_ARGV_BUF * 2];
	size_t pos = 0;

	CHECK(a->argv[a->argc] == NULL);
	out[0] = '\0';
	for (int i = 0; i < a->argc; i++)
		pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "%s%s",
					i ? "|" : "", a->argv[i]);
	return out;
}

TEST(gdb_command_of_toro_debug)
{
	static struct runopts_argv a;
	char *w[] = { "img.elf", NULL };
	char *batch[] = { "--gdb-batch", "s.gdb", "img.elf", NULL };
	const char *why, *bad;
	struct run_opts o;

	CHECK_EQ(parse_debug(&o, &why, &bad, w), 0);
	CHECK_EQ(runopts_build_gdb_argv(&o, "gdb", "/tmp/toro-abc/gdb.sock", &a), 0);
	CHECK_STR(join(&a), "gdb|-q|img.elf|-ex|set remotetimeout 30|-ex|"
			    "target remote /tmp/toro-abc/gdb.sock");
	CHECK_EQ(parse_debug(&o, &why, &bad, batch), 0);
	CHECK_EQ(runopts_build_gdb_argv(&o, "/opt/gdb", "/t/gdb.sock", &a), 0);
	CHECK_STR(join(&a), "/opt/gdb|-q|img.elf|-ex|set remotetimeout 30|-ex|"
			    "target remote /t/gdb.sock|-batch|-x|s.gdb");
}

/* Every option that adds QEMU arguments at once still fits RUNOPTS_MAX_ARGV. */
TEST(argv_everything_fits)
{
	static char path[1024], kargs[2048];
	char *w[64] = { "img.elf",
			"--vsock",
			"/tmp/v.sock",
			"--fs",
			"/srv:share",
			"--console",
			path,
			"--virtio",
			"modern",
			"--machine",
			"acpi=off,pic=off",
			"--cpus",
			"64",
			"--mem",
			"1T",
			"--gdb",
			"unix:/tmp/g.sock",
			"--gdb-wait",
			"--trace",
			"a*,b*,c*,d*,e*,f*,g*,h*,i*,j*,k*,l*,m*,n*,o*,p*",
			"--trace-file",
			"/tmp/a-trace-file-with-a-long-name/in-a-folder/toro-trace.log" };
	static struct runopts_argv a;
	const char *why, *bad;
	struct run_opts o;
	int k = 22;

	memcpy(path, "unix:/", 6);
	memset(path + 6, 'p', sizeof(path) - 7);
	memset(kargs, 'k', sizeof(kargs) - 1);
	for (int i = 0; i < RUNOPTS_MAX_PUBLISH; i++) {
		w[k++] = "--publish";
		w[k++] = "127.0.0.1:65535:4294967295";
	}
	w[k++] = "--";
	w[k++] = kargs;
	w[k++] = "two words";
	w[k] = NULL;
	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	o.vsock_backend = "/tmp/toro-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/vhost.sock";
	o.fs_backend = "/tmp/toro-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/fs.sock";
	CHECK_EQ(runopts_build_argv(&o, &a), 0);
	CHECK(a.argc < RUNOPTS_MAX_ARGV);
	CHECK(a.argv[a.argc] == NULL);
	CHECK_STR(a.argv[a.argc - 2], "-append");
}

TEST(argv_too_long)
{
	static char big[RUNOPTS_ARGV_BUF];
	char *w[] = { "img.elf", "--", big, NULL };
	struct run_opts o;
	const char *why, *bad;

	memset(big, 'a', sizeof(big) - 1);
	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	CHECK_STR(joined(&o), "E2BIG");
}

TEST(bad_options)
{
	static const struct {
		char *w[4]; /* the words, NULL-terminated */
		const char *bad; /* the word blamed, or NULL */
	} cases[] = {
		{ { NULL }, NULL },
		{ { "a.elf", "b.elf", NULL }, "b.elf" },
		{ { "a.elf", "--frobnicate", NULL }, "--frobnicate" },
		{ { "a.elf", "--cpus", NULL }, "--cpus" },
		{ { "a.elf", "--cpus", "65", NULL }, "65" },
		{ { "a.elf", "--mem", "100", NULL }, "100" },
		{ { "a.elf", "--mem=1025K", NULL }, "1025K" },
		{ { "a.elf", "--mem", "2T", NULL }, "2T" },
		{ { "a.elf", "--mem", "lots", NULL }, "lots" },
		{ { "a.elf", "--timeout", "0", NULL }, "0" },
		{ { "a.elf", "--machine=", NULL }, "" },
		{ { "a.elf", "--cpusx=2", NULL }, "--cpusx=2" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_opts o;
		const char *why = NULL, *bad = NULL;

		CHECK_EQ(parse(&o, &why, &bad, (char **)cases[i].w), -EINVAL);
		CHECK(why != NULL);
		if (cases[i].bad)
			CHECK_STR(bad ? bad : "(null)", cases[i].bad);
		else
			CHECK(bad == NULL);
	}
}

TEST(help_wins)
{
	char *w[] = { "--cpus", "0", "--help", NULL };
	struct run_opts o;
	const char *why, *bad;

	/* Options before --help are still checked; --help stops the parse. */
	CHECK_EQ(parse(&o, &why, &bad, w), -EINVAL);
	w[1] = "2";
	CHECK_EQ(parse(&o, &why, &bad, w), 0);
	CHECK(o.help);
}

TEST(shell_quote)
{
	char buf[64];

	CHECK_EQ(runopts_shell_quote("isa-debug-exit,iobase=0xf4", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "isa-debug-exit,iobase=0xf4");
	CHECK_EQ(runopts_shell_quote("a b", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "'a b'");
	CHECK_EQ(runopts_shell_quote("it's", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "'it'\\''s'");
	CHECK_EQ(runopts_shell_quote("", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "''");
	CHECK_EQ(runopts_shell_quote("$HOME;*", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "'$HOME;*'");
	CHECK_EQ(runopts_shell_quote("abcdef", buf, 6), -ENOSPC);
	CHECK_EQ(runopts_shell_quote("a b", buf, 5), -ENOSPC);
	CHECK_EQ(runopts_shell_quote("a b", buf, 6), 0);
}
