/* SPDX-License-Identifier: MIT */
/*
 * The socket calls' own rules, with a real vsock device and toro-vsockd behind it
 * (args: --vsock), or with no device at all (no_device). Data transfer with host
 * programs is tested from the outside: tests/integration/vsock.sh.
 */
#include <stdatomic.h>
#include <toro/ktest.h>
#include <toro/toro.h>

#define MS 1000000ll

static bool no_device(void)
{
	return toro_param("no_device") != NULL;
}

/* Skips the test, saying why, when this run has no vsock device. */
static bool have_device(void)
{
	if (no_device())
		ktest_skip("no vsock device");
	return !no_device();
}

KTEST(vsock, without_a_device_every_call_says_enodev)
{
	if (!no_device()) {
		ktest_skip("a vsock device is present");
		return;
	}
	KEXPECT_EQ(toro_listen(7, 1), -ENODEV);
	KEXPECT_EQ(toro_connect(TORO_VSOCK_CID_HOST, 7, 1000 * MS), -ENODEV);
	KEXPECT_EQ(toro_poll(NULL, 0, 0), -ENODEV);
}

KTEST(vsock, a_port_has_one_listener)
{
	if (!have_device())
		return;
	int a = toro_listen(1234, 4);

	KEXPECT_TRUE(a > 0);
	KEXPECT_EQ(toro_listen(1234, 4), -EADDRINUSE);
	KEXPECT_EQ(toro_close(a), 0);
	a = toro_listen(1234, 4);
	KEXPECT_TRUE(a > 0);
	KEXPECT_EQ(toro_close(a), 0);
	KEXPECT_EQ(toro_close(a), -EBADF);
}

KTEST(vsock, sockets_are_descriptors_like_files)
{
	struct toro_pollfd p[2];
	struct toro_stat st;
	char c;

	if (!have_device())
		return;
	int l = toro_listen(1240, 4);

	KEXPECT_GT(l, 0);
	KEXPECT_EQ(toro_write(l, "x", 1), -ENOTCONN); /* listening, not connected */
	KEXPECT_EQ(toro_pread(l, &c, 1, 0), -ESPIPE);
	KEXPECT_EQ(toro_lseek(l, 0, TORO_SEEK_SET), -ESPIPE);
	KEXPECT_EQ(toro_fstat(l, &st), 0);
	KEXPECT_EQ(st.mode & TORO_S_IFMT, 0140000);
	KEXPECT_EQ(toro_readdir(l, NULL), -ENOTDIR);
	p[0].sock = l;
	p[0].events = TORO_POLLIN;
	p[1].sock = 999999;
	p[1].events = TORO_POLLIN;
	KEXPECT_EQ(toro_poll(p, 2, 0), 1);
	KEXPECT_EQ(p[0].revents, 0);
	KEXPECT_EQ(p[1].revents, TORO_POLLNVAL);
	KEXPECT_EQ(toro_close(l), 0);
	KEXPECT_EQ(toro_read(l, &c, 1), -EBADF);
}

KTEST(vsock, accept_times_out)
{
	if (!have_device())
		return;
	int l = toro_listen(1235, 4);
	uint64_t t0 = toro_now_ns();

	KEXPECT_EQ(toro_accept(l, NULL, NULL, 0), -EAGAIN); /* 0: do not wait */
	KEXPECT_EQ(toro_accept(l, NULL, NULL, 20 * MS), -ETIMEDOUT);
	KEXPECT_TRUE(toro_now_ns() - t0 >= 20 * MS);
	toro_close(l);
}

KTEST(vsock, calls_on_the_wrong_kind_of_socket)
{
	if (!have_device())
		return;
	int l = toro_listen(1236, 4);
	char c;

	KEXPECT_EQ(toro_recv(999, &c, 1, 0), -EBADF);
	KEXPECT_EQ(toro_send(0, &c, 1, 0), -EBADF);
	KEXPECT_EQ(toro_recv(l, &c, 1, 0), -ENOTCONN);
	KEXPECT_EQ(toro_send(l, &c, 1, 0), -ENOTCONN);
	KEXPECT_EQ(toro_shutdown(l, TORO_SHUT_WR), -ENOTCONN);
	KEXPECT_EQ(toro_accept(999, NULL, NULL, 0), -EBADF);
	toro_close(l);
}

KTEST(vsock, no_host_listener_refuses)
{
	if (!have_device())
		return;
	/* toro-vsockd finds no socket PATH_4321 on the host. */
	KEXPECT_EQ(toro_connect(TORO_VSOCK_CID_HOST, 4321, 5000 * MS), -ECONNREFUSED);
	/* Connecting always waits for the peer's answer. */
	KEXPECT_EQ(toro_connect(TORO_VSOCK_CID_HOST, 4321, 0), -EINVAL);
}

KTEST(vsock, poll_times_out_and_flags_bad_sockets)
{
	if (!have_device())
		return;
	struct toro_pollfd p[2] = { { toro_listen(1237, 4), TORO_POLLIN, -1 },
				    { 999, TORO_POLLIN, -1 } };

	KEXPECT_EQ(toro_poll(p, 1, 10 * MS), 0);
	KEXPECT_EQ(p[0].revents, 0);
	KEXPECT_EQ(toro_poll(p, 2, -1), 1);
	KEXPECT_EQ(p[1].revents, TORO_POLLNVAL);
	/* Negative sockets are skipped; with nothing to wait on, poll waits out
	 * its timeout. */
	p[1].sock = -1;
	uint64_t t0 = toro_now_ns();

	KEXPECT_EQ(toro_poll(&p[1], 1, 5 * MS), 0);
	KEXPECT_EQ(p[1].revents, 0);
	KEXPECT_TRUE(toro_now_ns() - t0 >= 5 * MS);
	toro_close(p[0].sock);
}

KTEST(vsock, an_old_socket_number_never_reaches_a_new_socket)
{
	if (!have_device())
		return;
	int old = toro_listen(1239, 1), same_slot = 0;

	KEXPECT_EQ(toro_close(old), 0);
	/* Go round every slot: one new socket takes the old one's. */
	for (int i = 0; i < 5000 && !same_slot; i++) {
		int s = toro_listen(1239, 1);

		KEXPECT_TRUE(s > 0);
		if (s != old && (s - 1) % 4096 == (old - 1) % 4096) {
			same_slot = 1;
			KEXPECT_EQ(toro_accept(old, NULL, NULL, 0), -EBADF);
			KEXPECT_EQ(toro_close(old), -EBADF);
		}
		KEXPECT_EQ(toro_close(s), 0);
	}
	KEXPECT_TRUE(same_slot);
}

static atomic_int accept_result;

static int accepter(void *arg)
{
	atomic_store(&accept_result, toro_accept((int)(intptr_t)arg, NULL, NULL, -1));
	return 0;
}

KTEST(vsock, closing_a_listener_wakes_its_accepter_on_another_cpu)
{
	if (!have_device())
		return;
	int l = toro_listen(1238, 4), cpu = toro_ncpus() - 1, id;

	atomic_store(&accept_result, 1);
	id = toro_thread_create(accepter, (void *)(intptr_t)l, cpu, 0);
	KEXPECT_TRUE(id > 0);
	/* Let it block in accept (it cannot return before the close). */
	for (int i = 0; i < 10; i++)
		toro_sleep_ns(MS);
	KEXPECT_EQ(atomic_load(&accept_result), 1);
	KEXPECT_EQ(toro_close(l), 0);
	KEXPECT_EQ(toro_thread_join(id, NULL), 0);
	KEXPECT_EQ(atomic_load(&accept_result), -EBADF);
}

int main(void)
{
	/* The service thread lives for the whole run: start it before the tests
	 * count memory. */
	if (!no_device()) {
		int l = toro_listen(65000, 1); /* and the descriptor table */

		toro_poll(NULL, 0, 0);
		if (l > 0)
			toro_close(l);
	}
	return ktest_run_all();
}
