/* SPDX-License-Identifier: MIT */
/* Trace records and the two logs `toro trace` reads; see lib/trace.h. */
#include "lib/trace.h"

#include "lib/fmt.h"
#include "lib/kstring.h"

static const char *const type_names[TRACE_NTYPES] = {
	[TRACE_SWITCH] = "switch",
	[TRACE_SLEEP] = "sleep",
	[TRACE_WAKE] = "wake",
	[TRACE_IRQ] = "irq",
	[TRACE_IPI] = "ipi",
	[TRACE_MBOX_SEND] = "mbox_send",
	[TRACE_MBOX_RECV] = "mbox_recv",
	[TRACE_KICK] = "kick",
	[TRACE_VQ_IRQ] = "vq_irq",
	[TRACE_CALL] = "call",
};

static const char *const call_names[TRACE_NCALLS] = {
	[TRACE_CALL_LISTEN] = "listen",	  [TRACE_CALL_ACCEPT] = "accept",
	[TRACE_CALL_CONNECT] = "connect", [TRACE_CALL_SEND] = "send",
	[TRACE_CALL_RECV] = "recv",	  [TRACE_CALL_SHUTDOWN] = "shutdown",
	[TRACE_CALL_POLL] = "poll",	  [TRACE_CALL_CLOSE] = "close",
	[TRACE_CALL_OPEN] = "open",	  [TRACE_CALL_READ] = "read",
	[TRACE_CALL_WRITE] = "write",	  [TRACE_CALL_PREAD] = "pread",
	[TRACE_CALL_PWRITE] = "pwrite",	  [TRACE_CALL_STAT] = "stat",
};

static const struct {
	const char *name;
	unsigned mask;
} groups[] = {
	{ "sched", TRACE_G_SCHED }, { "irq", TRACE_G_IRQ },	{ "ipi", TRACE_G_IPI },
	{ "mbox", TRACE_G_MBOX },   { "virtq", TRACE_G_VIRTQ }, { "sock", TRACE_G_SOCK },
	{ "file", TRACE_G_FILE },   { "all", TRACE_G_ALL },
};

unsigned trace_group_of(unsigned type, uint32_t a)
{
	switch (type) {
	case TRACE_SWITCH:
	case TRACE_SLEEP:
	case TRACE_WAKE:
		return TRACE_G_SCHED;
	case TRACE_IRQ:
		return TRACE_G_IRQ;
	case TRACE_IPI:
		return TRACE_G_IPI;
	case TRACE_MBOX_SEND:
	case TRACE_MBOX_RECV:
		return TRACE_G_MBOX;
	case TRACE_KICK:
	case TRACE_VQ_IRQ:
		return TRACE_G_VIRTQ;
	case TRACE_CALL:
		if (a == TRACE_CALL_CLOSE)
			return TRACE_G_SOCK | TRACE_G_FILE;
		return a < TRACE_CALL_CLOSE ? TRACE_G_SOCK : TRACE_G_FILE;
	default:
		return 0;
	}
}

const char *trace_type_name(unsigned type)
{
	return type < TRACE_NTYPES ? type_names[type] : NULL;
}

const char *trace_call_name(uint32_t call)
{
	return call < TRACE_NCALLS ? call_names[call] : NULL;
}

int trace_parse_groups(const char *s, const char **bad)
{
	unsigned mask = 0;

	for (;;) {
		size_t n = 0, i;

		while (s[n] && s[n] != ',')
			n++;
		for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
			if (strlen(groups[i].name) == n && !memcmp(groups[i].name, s, n))
				break;
		if (i == sizeof(groups) / sizeof(groups[0])) {
			*bad = s;
			return -1;
		}
		mask |= groups[i].mask;
		if (!s[n])
			return (int)mask;
		s += n + 1;
	}
}

size_t trace_format_rec(char *buf, size_t size, const struct trace_rec *r)
{
	const char *name = trace_type_name(r->type);
	int n = fmt_snprintf(buf, size, "ev %u %llu %s %u %llu %llu\n", (unsigned)r->cpu,
			     (unsigned long long)r->tsc, name ? name : "?",
			     (unsigned)r->a, (unsigned long long)r->b,
			     (unsigned long long)r->c);

	return n > 0 && (size_t)n < size && name ? (size_t)n : 0;
}
