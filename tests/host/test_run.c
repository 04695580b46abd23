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

/* Every option that adds QEMU arguments at once still fits RUNOPTS_MAX_ARGV. */
TEST(argv_everything_fits)
{
	static char path[1024], kargs[2048];
	char *w[64] = {
		"img.elf",	    "--vsock", "/tmp/v.sock", "--fs",	"/srv:share",
		"--console",	    path,      "--virtio",    "modern", "--machine",
		"acpi=off,pic=off", "--cpus",  "64",	      "--mem",	"1T"
	};
	static struct runopts_argv a;
	const char *why, *bad;
	struct run_opts o;
	int k = 15;

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
