/* SPDX-License-Identifier: MIT */
/*
 * The pure half of `toro run` and `toro test`: their options, the QEMU command line
 * built from them, and what a QEMU exit status means. host/run.c does the process
 * work; keeping this part here lets host unit tests cover it.
 *
 * Exit status convention. The guest ends the VM by writing (code + 1) to port 0xf4,
 * where `-device isa-debug-exit,iobase=0xf4,iosize=4` makes QEMU exit with status
 * (value << 1) | 1 = 2 * code + 3. The +1 keeps every guest exit code apart from
 * QEMU's own statuses (0 = normal shutdown, 1 = error):
 *   status s odd, s >= 3   guest exit code (s - 3) / 2, 0..126
 *   status 0               the guest reset or powered off without an exit code
 *                          (with -no-reboot a triple fault ends up here)
 *   status 1 or even       QEMU failed
 */
#ifndef LIB_RUNOPTS_H
#define LIB_RUNOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNOPTS_QEMU "qemu-system-x86_64" /* default QEMU binary */
#define RUNOPTS_MAX_CPUS 64 /* --cpus upper bound */
#define RUNOPTS_DEFAULT_MEM (128ull << 20) /* --mem default: 128 MiB */
#define RUNOPTS_MIN_MEM (1ull << 20) /* the image loads at 1 MiB */
#define RUNOPTS_MAX_MEM (1ull << 40) /* 1 TiB: beyond is a typo */
#define RUNOPTS_MEM_ALIGN 4096u /* guest RAM comes in pages */
#define RUNOPTS_MAX_TIMEOUT_MS (100000000ull * 1000) /* about three years */
#define RUNOPTS_MAX_ARGV 128 /* QEMU arguments, with the NULL */
#define RUNOPTS_ARGV_BUF 8192 /* bytes for the built arguments (holds -append) */
#define RUNOPTS_MAX_PUBLISH 16 /* --publish options */
#define RUNOPTS_FS_TAG_MAX 36 /* bytes of virtio-fs config field `tag` */
#define RUNOPTS_FS_DIR_MAX 4096 /* --fs DIR, with its NUL (Linux PATH_MAX) */
#define RUNOPTS_FS_TAG "toro" /* the tag when --fs gives none */
#define RUNOPTS_GDB_HOST "127.0.0.1" /* --gdb PORT listens here */
#define RUNOPTS_GDB_HOST_MAX 253 /* --gdb HOST: a DNS name's longest */
#define RUNOPTS_SUN_PATH_MAX 107 /* a Unix socket path's bytes (sun_path less NUL) */
#define RUNOPTS_GDB_TIMEOUT_S 30 /* toro debug: gdb's remotetimeout; see below */
#define RUNOPTS_TRACE_FILE \
	"toro-trace.log" /* --trace's log when --trace-file is not given */
#define RUNOPTS_TRACE_PATTERNS 16 /* patterns in one --trace */
#define RUNOPTS_TRACE_PORT "2" /* the virtio-console port of the kernel's dump */

/* Exit codes of `toro run` besides the guest's own 0..126. */
#define TORO_EXIT_USAGE 2 /* bad options */
#define TORO_EXIT_TIMEOUT 124 /* --timeout expired; the VM was stopped */
#define TORO_EXIT_QEMU 125 /* QEMU failed, was killed, or the guest reset */
#define TORO_EXIT_NOEXEC 127 /* QEMU could not be started */
/* Stopped by SIGHUP, SIGINT or SIGTERM: 128 + the signal (129, 130, 143). */

/* Options of one VM run. */
struct run_opts {
	const char *image; /* PVH ELF image, the one positional argument */
	const char *qemu; /* QEMU binary; RUNOPTS_QEMU unless TORO_QEMU says */
	const char *machine; /* extra `-M microvm,...` options, or NULL */
	const char *console; /* virtio console: FILE or unix:PATH, or NULL */
	bool virtio_modern; /* virtio-mmio version 2 instead of QEMU's legacy default */
	bool virtio_given; /* --virtio was given (--fs makes modern the default) */
	const char *vsock; /* --vsock PATH: the hybrid vsock socket, or NULL */
	const char *publish[RUNOPTS_MAX_PUBLISH]; /* --publish [ADDR:]HOST:GUEST */
	int npublish; /* entries in publish */
	/* Set by the caller, not an option: the vhost-user socket of toro-vsockd. A
	 * vsock device is added when it is set. Either backend makes guest RAM a
	 * shared memfd, since a vhost-user backend maps it. */
	const char *vsock_backend;
	/* --fs DIR[:TAG]: the host directory virtiofsd shares (copied, since TAG
	 * is cut off), "" if none. TAG is after the last ':', so a DIR with a ':'
	 * needs an explicit TAG; DIR is never on QEMU's command line, and may
	 * hold any byte. TAG is, so it keeps to characters QEMU takes as is. */
	char fs_dir[RUNOPTS_FS_DIR_MAX];
	char fs_tag[RUNOPTS_FS_TAG_MAX + 1]; /* 1..36 of [A-Za-z0-9._-], NUL-ended */
	/* Set by the caller, not an option: virtiofsd's vhost-user socket. The
	 * vhost-user-fs device is added when it is set. */
	const char *fs_backend;
	/*
	 * The kernel's GDB stub. --gdb [HOST:]PORT or unix:PATH is where QEMU
	 * listens for gdb; the stub serves on virtio-console port 1 (a
	 * virtserialport nr=1 named org.toro.gdb), or with --gdb-uart on COM2
	 * (0x2f8, IRQ 3). --gdb-wait and --gdb-uart become the kernel parameter
	 * gdb=[uart][,wait], unless the kernel arguments hold a gdb= of their own.
	 */
	char gdb_host[RUNOPTS_GDB_HOST_MAX + 1]; /* TCP: the address, else "" */
	unsigned int gdb_port; /* TCP: 1..65535, else 0 */
	const char *gdb_path; /* unix:PATH: the socket, else NULL */
	/* Set by the caller, not an option (toro debug): a listening socket QEMU
	 * takes over as the stub's endpoint, or -1. */
	int gdb_fd;
	bool gdb_wait; /* --gdb-wait: the kernel waits for gdb before main */
	bool gdb_uart; /* --gdb-uart: the stub serves on COM2 */
	/* Set by the caller before runopts_parse(): the options of toro debug,
	 * which picks the endpoint itself (no --gdb) and takes --gdb-batch. */
	bool debug;
	const char *gdb_batch; /* toro debug --gdb-batch FILE: gdb -batch -x FILE */
	/*
	 * --trace EVENTS: QEMU's trace events matching the comma-separated
	 * patterns (virtio_*,apic_*) go to trace_file through its log backend,
	 * with wall times (-D, -msg timestamp=on); the kernel's trace rings
	 * (trace=all, unless the kernel arguments hold a trace= of their own) go
	 * to trace_file.guest through virtio-console port 2, org.toro.trace, and
	 * QEMU also logs each write there (virtio_console_flush_buf), which puts
	 * both on one time base for `toro trace`.
	 */
	const char *trace_events;
	const char *trace_file; /* --trace-file FILE, or RUNOPTS_TRACE_FILE */
	/* Set by the caller, not an option (host/run.c): a connected socket QEMU
	 * takes as the trace port's chardev, or -1: the port writes FILE.guest. */
	int trace_fd;
	uint64_t mem; /* guest RAM in bytes, a multiple of RUNOPTS_MEM_ALIGN */
	uint64_t timeout_ms; /* stop the VM after this long; 0 = never */
	unsigned int cpus; /* virtual CPUs, 1..RUNOPTS_MAX_CPUS */
	bool kvm; /* accelerate with KVM (the caller probes /dev/kvm) */
	bool dry_run; /* print the QEMU command line instead of running it */
	bool help; /* --help was given; nothing else was checked */
	bool timeout_set; /* --timeout was given (a caller default applies if not) */
	int nargs; /* kernel arguments: the words after `--` */
	char *const *args; /* them, pointing into the caller's argv */
};

/* A built QEMU command line; argv points into buf. */
struct runopts_argv {
	const char *argv[RUNOPTS_MAX_ARGV]; /* NULL-terminated, for execvp */
	int argc; /* entries before the NULL */
	char buf[RUNOPTS_ARGV_BUF]; /* the strings that are not constants */
	size_t used; /* bytes of buf taken */
};

/* What a QEMU exit status means; see the convention above. */
enum runopts_status {
	RUNOPTS_GUEST_EXIT, /* the guest gave an exit code */
	RUNOPTS_GUEST_RESET, /* it reset or powered off without one */
	RUNOPTS_QEMU_FAILED, /* QEMU itself failed */
};

/* Defaults: 1 CPU, 128 MiB, no timeout, RUNOPTS_QEMU, TCG, fs tag "toro", no gdb. */
void runopts_init(struct run_opts *o);

/*
 * Parses the arguments after the subcommand: options (`--opt V` or `--opt=V`) and
 * one IMAGE in any order, then `--` and the kernel arguments. On error returns
 * -EINVAL with *why set to a message naming the problem (static text) and *bad to
 * the offending word, or NULL.
 */
int runopts_parse(struct run_opts *o, int argc, char *const argv[], const char **why,
		  const char **bad);

/* "4096", "512K", "128M", "2G" (suffixes are binary, either case). */
int runopts_parse_size(const char *s, uint64_t *bytes);
/* 1..RUNOPTS_MAX_CPUS. */
int runopts_parse_cpus(const char *s, unsigned int *cpus);
/* Seconds, decimals allowed ("2", "0.5"); result in ms, more than 0. */
int runopts_parse_seconds(const char *s, uint64_t *ms);

/*
 * Writes a size the way QEMU's -m takes it: in the largest unit that divides it
 * ("128M", "1032K"). Returns 0 or -ENOSPC.
 */
int runopts_format_size(uint64_t bytes, char *buf, size_t len);

/* The Unix socket path of `--console unix:PATH`, or NULL. */
const char *runopts_console_socket(const struct run_opts *o);

/* Builds the QEMU command line; 0, or -E2BIG when it does not fit. */
int runopts_build_argv(const struct run_opts *o, struct runopts_argv *a);

/* Whether QEMU gets the GDB stub's endpoint: --gdb, or the caller's gdb_fd. */
bool runopts_gdb_on(const struct run_opts *o);

/*
 * The gdb command of toro debug: `GDB -q IMAGE -ex 'set remotetimeout T' -ex
 * 'target remote TARGET'`, then `-batch -x FILE` with --gdb-batch. The stub
 * answers only once the kernel has booted; gdb gives up on an answer after 2 s
 * by default, and then misreads the ones that follow, hence
 * RUNOPTS_GDB_TIMEOUT_S. 0, or -E2BIG.
 */
int runopts_build_gdb_argv(const struct run_opts *o, const char *gdb, const char *target,
			   struct runopts_argv *a);

/* Maps QEMU's exit status (0..255); *code gets the guest's exit code if any. */
enum runopts_status runopts_map_status(int status, int *code);

/*
 * Quotes one word for a POSIX shell: unchanged if it is plain, else in single
 * quotes. Returns 0 or -ENOSPC.
 */
int runopts_shell_quote(const char *s, char *buf, size_t len);

#endif
