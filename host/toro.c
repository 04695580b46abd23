/* SPDX-License-Identifier: MIT */
/*
 * The `toro` host tool: the command line of `toro run`, `toro test` and `toro
 * debug`. Options are parsed by lib/runopts.c; host/run.c runs QEMU; host/ktest.c
 * judges tests; host/debug.c runs gdb beside the VM.
 */
#include <stdio.h>
#include <string.h>

#include "host/daemon.h"
#include "host/debug.h"
#include "host/fs.h"
#include "host/image.h"
#include "host/ktest.h"
#include "host/run.h"
#include "host/trace.h"
#include "host/vsock.h"
#include "lib/runopts.h"

static const char usage_top[] =
	"usage: toro run IMAGE [options] [-- kernel args...]\n"
	"       toro test [options] IMAGE [-- kernel args...]\n"
	"       toro debug IMAGE [options] [-- kernel args...]\n"
	"       toro trace FILE [--json OUT]\n"
	"Run 'toro run --help', 'toro test --help', 'toro debug --help' or\n"
	"'toro trace --help' for the options.\n";

static const char usage_opts[] =
	"options:\n"
	"  --cpus N        virtual CPUs, 1..64 (default 1)\n"
	"  --mem SIZE      guest RAM: bytes or a K/M/G/T suffix, a multiple of 4K,\n"
	"                  from 1M to 1T (default 128M)\n"
	"  --timeout S     stop the VM after S seconds, decimals allowed%s\n"
	"  --machine OPTS  more -M microvm options, e.g. acpi=off\n"
	"  --console FILE  add a virtio console writing to FILE; the kernel log\n"
	"                  then goes there (panics still go to the serial port)\n"
	"  --console unix:PATH  the same on a Unix socket QEMU listens on; what a\n"
	"                  client sends there is the guest's console input\n"
	"  --virtio MODE   virtio-mmio interface: legacy (QEMU's default) or modern\n"
	"  --vsock PATH    add a vsock device served by toro-vsockd: host programs\n"
	"                  connect to the Unix socket PATH and write CONNECT <port>;\n"
	"                  guest connections to host port P go to PATH_P\n"
	"  --publish [ADDR:]HOSTPORT:GUESTPORT  forward TCP ADDR:HOSTPORT (default\n"
	"                  address 127.0.0.1) to the guest's vsock port; repeatable\n"
	"  --fs DIR[:TAG]  share the host directory DIR with the guest through\n"
	"                  virtio-fs, served by virtiofsd (run as root). TAG, its\n"
	"                  name for the guest (default " RUNOPTS_FS_TAG "), is 1..36 of\n"
	"                  A-Z a-z 0-9 . _ - after the last ':', so a DIR with ':'\n"
	"                  needs one. At most one --fs; it implies --virtio modern\n";

/* The options of toro run and toro test only: the GDB stub, tracing, dry runs. */
static const char usage_gdb[] =
	"  --gdb [HOST:]PORT  QEMU listens on TCP HOST:PORT (default host\n"
	"                  127.0.0.1) for gdb, which talks to the kernel's GDB stub\n"
	"                  on virtio-console port 1 (--console's is port 0)\n"
	"  --gdb unix:PATH the same on a Unix socket\n"
	"  --gdb-wait      with --gdb: the kernel waits for gdb before main\n"
	"                  (kernel parameter gdb=wait)\n"
	"  --gdb-uart      with --gdb: the stub serves on a second UART (COM2)\n"
	"                  instead, more slowly (gdb=uart). A gdb= word of your own\n"
	"                  after -- replaces what these two add\n"
	"  --trace EVENTS  log QEMU's trace events matching the comma-separated\n"
	"                  patterns (e.g. 'virtio_*,apic_*') to FILE, and the\n"
	"                  kernel's trace rings (trace=all unless a trace= is\n"
	"                  given after --) to FILE.guest; then 'toro trace FILE'\n"
	"  --trace-file FILE  where --trace writes (default " RUNOPTS_TRACE_FILE ")\n"
	"  --dry-run       print the QEMU command line and exit\n";

/* The options only toro debug has. */
static const char usage_debug_opts[] =
	"  --gdb-uart      the stub serves on a second UART (COM2) instead of\n"
	"                  virtio-console port 1, more slowly (gdb=uart,wait)\n"
	"  --gdb-batch FILE  run gdb -batch -x FILE: FILE's commands, then exit\n";

static const char usage_tail[] =
	"  -h, --help      this text\n"
	"Words after -- are joined by spaces into the kernel command line.\n"
	"Environment: TORO_QEMU names the QEMU binary (default " RUNOPTS_QEMU "),\n"
	"TORO_VSOCKD toro-vsockd (default: beside toro), TORO_VIRTIOFSD virtiofsd\n"
	"(default " VIRTIOFSD_PATH ", from qemu-system-common).\n"
	"KVM is used when /dev/kvm can be opened read-write, else TCG;\n"
	"TORO_ACCEL=tcg asks for TCG anyway (the test suites do, for repeatable runs).\n";

static const char usage_debug[] =
	"usage: toro debug IMAGE [options] [-- kernel args...]\n"
	"Boot IMAGE as 'toro run' does, with the kernel's GDB stub waiting before\n"
	"main (gdb=wait) on a Unix socket of its own, and start gdb connected to it:\n"
	"  " DEBUG_GDB " -q IMAGE -ex 'target remote SOCKET'\n"
	"The guest's serial output still goes to stdout; Ctrl-C in gdb interrupts\n"
	"the guest. When gdb exits the VM is stopped; when the VM ends first, quit\n"
	"gdb. A gdb= word of your own after -- replaces toro's gdb=wait.\n"
	"TORO_GDB names the debugger (default " DEBUG_GDB ").\n";

static const char usage_debug_exit[] =
	"exit status: gdb's; 2 for bad options, 127 if QEMU or gdb could not be\n"
	"started, 129 or 143 when stopped by SIGHUP or SIGTERM.\n";

static const char usage_run[] =
	"usage: toro run IMAGE [options] [-- kernel args...]\n"
	"Boot a PVH image under QEMU (-M microvm) with its serial console on stdio.\n";

/* The exit status convention of lib/runopts.h, as the user sees it. */
static const char usage_run_exit[] =
	"exit status:\n"
	"  0..126  the guest's exit code (the guest writes code+1 to port 0xf4,\n"
	"          so QEMU exits with 2*code+3)\n"
	"  2       bad options\n"
	"  124     the timeout expired; the VM was stopped\n"
	"  125     QEMU failed or was killed, or the guest stopped without an\n"
	"          exit code (reset, power-off, triple fault), or toro-vsockd or\n"
	"          virtiofsd did not start\n"
	"  127     QEMU could not be started\n"
	"  129, 130, 143  stopped by SIGHUP, SIGINT (Ctrl-C), SIGTERM\n";

static const char usage_test[] =
	"usage: toro test [options] IMAGE [-- kernel args...]\n"
	"Boot a test image with stdin from /dev/null, echo its console, parse its\n"
	"KTAP version 1 output and end with 'N passed, N failed[, N skipped]'.\n"
	"Missing results, no KTAP, the timeout, QEMU failing, and a non-zero guest\n"
	"exit code with no failed test each count as failed.\n";

static const char usage_test_exit[] =
	"exit status: 0 if nothing failed, 1 if something did, 2 for bad options,\n"
	"129, 130, 143 when stopped by SIGHUP, SIGINT, SIGTERM.\n";

static void help(const char *cmd)
{
	if (strcmp(cmd, "run") == 0) {
		fputs(usage_run, stdout);
		printf(usage_opts, " (default: none)");
		fputs(usage_gdb, stdout);
		fputs(usage_tail, stdout);
		fputs(usage_run_exit, stdout);
	} else if (strcmp(cmd, "debug") == 0) {
		fputs(usage_debug, stdout);
		printf(usage_opts, " (default: none)");
		fputs(usage_debug_opts, stdout);
		fputs(usage_tail, stdout);
		fputs(usage_debug_exit, stdout);
	} else {
		fputs(usage_test, stdout);
		printf(usage_opts, " (default 120)");
		fputs(usage_gdb, stdout);
		fputs(usage_tail, stdout);
		fputs(usage_test_exit, stdout);
	}
}

/* `toro run`, `toro test` and `toro debug`: argv starts after the subcommand. */
static int cmd_vm(const char *cmd, int argc, char *const argv[])
{
	struct run_opts o;
	struct run_io io = {
		.stdin_fd = 0, .stdout_fd = 1, .close_fd = -1, .watch_fd = -1
	};
	const char *why, *bad;
	bool test = strcmp(cmd, "test") == 0, debug = strcmp(cmd, "debug") == 0;

	runopts_init(&o);
	o.debug = debug;
	if (runopts_parse(&o, argc, argv, &why, &bad)) {
		if (bad)
			fprintf(stderr, "toro %s: %s: '%s'\n", cmd, why, bad);
		else
			fprintf(stderr, "toro %s: %s\n", cmd, why);
		fprintf(stderr, "Try 'toro %s --help'.\n", cmd);
		return TORO_EXIT_USAGE;
	}
	if (o.help) {
		help(cmd);
		return 0;
	}
	if (test && !o.timeout_set)
		o.timeout_ms = KTEST_DEFAULT_TIMEOUT_MS;
	run_probe_host(&o);
	if (!o.dry_run) {
		char err[RUNOPTS_FS_DIR_MAX + 512];

		if (image_check(o.image, o.mem, err, sizeof(err)) ||
		    virtiofsd_check(&o, err, sizeof(err))) {
			fprintf(stderr, "toro %s: %s\n", cmd, err);
			return TORO_EXIT_USAGE;
		}
	}
	struct virtiofsd f = { .pidfd = -1, .log_fd = -1 };
	struct vsockd v = { .pid = 0 };
	int code = TORO_EXIT_QEMU, sig;

	/* From here on a signal must not skip stopping the daemons. */
	daemon_catch_signals();
	/* Ctrl-C in gdb must not reach them. */
	if (debug)
		daemon_detach();
	if (vsockd_start(&o, &v) == 0 && virtiofsd_start(&o, &f) == 0 &&
	    !daemon_signal()) {
		if (o.dry_run)
			code = run_print_cmdline(&o) ? TORO_EXIT_QEMU : 0;
		else if (test)
			code = ktest_run(&o);
		else if (debug)
			code = debug_run(&o);
		else
			code = run_vm(&o, &io, NULL);
	}
	/* run_vm() reads the signals that come while QEMU runs itself. */
	sig = daemon_signal();
	if (sig) {
		fprintf(stderr, "toro: got %s, stopping\n", strsignal(sig));
		code = 128 + sig;
	}
	virtiofsd_stop(&f);
	vsockd_stop(&v);
	return code;
}

int main(int argc, char *argv[])
{
	if (argc >= 2 && (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "test") == 0 ||
			  strcmp(argv[1], "debug") == 0))
		return cmd_vm(argv[1], argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "trace") == 0)
		return trace_main(argc - 2, argv + 2);
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_top, stdout);
		return 0;
	}
	fputs(usage_top, stderr);
	return TORO_EXIT_USAGE;
}
