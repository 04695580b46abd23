# Toro build. `make` builds everything into $(O); see README.md for the targets.
#
#   O=DIR       build folder (default: build)
#   CC=...      compiler for the kernel and the images (default: gcc)
#   HOSTCC=...  compiler for host tools and host tests (default: gcc)
#   FUZZCC=...  compiler for libFuzzer harnesses (default: clang)

O ?= build
ifeq ($(origin CC),default)
CC := gcc
endif
HOSTCC ?= gcc
FUZZCC ?= clang
LD ?= ld
NM ?= nm
OBJDUMP ?= objdump
V ?= 0
ifeq ($(V),0)
Q := @
endif

VERSION := 0.1.0

.SECONDEXPANSION:
.SECONDARY:

# ---- kernel and images -----------------------------------------------------
KCFLAGS := -std=c11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-mno-red-zone -mgeneral-regs-only -fno-omit-frame-pointer \
	-mno-omit-leaf-frame-pointer -fno-common -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fcf-protection=none -nostdinc \
	-ffunction-sections -fdata-sections -fno-toplevel-reorder \
	-fno-optimize-sibling-calls \
	-isystem $(shell $(CC) -print-file-name=include) \
	-Iinclude -I. -DTORO_KERNEL -DTORO_VERSION=\"$(VERSION)\" -MMD -MP
KASFLAGS := -Iinclude -I. -D__ASSEMBLY__ -MMD -MP
KLDFLAGS := -nostdlib -static -no-pie --gc-sections -z max-page-size=4096 -z noexecstack --build-id=none \
	-T arch/x86_64/kernel.ld

KERNEL_SRCS := $(wildcard arch/x86_64/*.S arch/x86_64/*.c platform/*.c kernel/*.c lib/*.c \
	drivers/virtio/*.c fs/*.c net/*.c debug/*.c)
# Host-only parts of lib/: the kernel writes trace dumps, never reads them.
KERNEL_SRCS := $(filter-out lib/trace_parse.c,$(KERNEL_SRCS))
KERNEL_OBJS := $(patsubst %,$(O)/k/%.o,$(basename $(KERNEL_SRCS)))

EXAMPLES := $(notdir $(wildcard examples/*))
GUEST_SUITES := $(notdir $(patsubst %/,%,$(dir $(wildcard tests/guest/*/*.c))))
GUEST_SUITES := $(sort $(GUEST_SUITES))
IMAGES := $(EXAMPLES:%=$(O)/examples/%.elf) $(GUEST_SUITES:%=$(O)/tests/guest/%.elf) \
	$(O)/tests/integration/probe.elf $(O)/tests/integration/vsock.elf \
	$(O)/tests/integration/gdb.elf $(O)/bench/sched.elf \
	$(O)/bench/fs.elf

$(O)/k/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(KCFLAGS) -c $< -o $@
$(O)/k/%.o: %.S Makefile
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(KASFLAGS) -c $< -o $@

# Objects of one image: the kernel plus the application's own files.
app_srcs = $(wildcard $(1)/*.c)
examples_objs = $(patsubst %,$(O)/k/%.o,$(basename $(call app_srcs,examples/$(1))))
suite_objs = $(patsubst %,$(O)/k/%.o,$(basename $(call app_srcs,tests/guest/$(1)))) \
	$(if $(wildcard tests/guest/$(1)/main.c),,$(O)/k/tests/guest/ktest_main.o)

# An image is linked twice: the first link gives the addresses of the functions,
# scripts/mksyms.sh turns them into a symbol table, and the second link puts that
# table in .ksyms, after every function, so no function moves. The build checks it.
define link_image
	@mkdir -p $(dir $@)
	$(Q)$(LD) $(KLDFLAGS) -o $@.pass1 $(filter %.o,$^)
	$(Q)sh scripts/mksyms.sh $(NM) $@.pass1 > $@.ksyms.S
	$(Q)$(CC) $(KASFLAGS) -c $@.ksyms.S -o $@.ksyms.o
	$(Q)$(LD) $(KLDFLAGS) -o $@ $(filter %.o,$^) $@.ksyms.o
	$(Q)$(NM) -n $@.pass1 | grep -i ' t ' > $@.pass1.text
	$(Q)$(NM) -n $@ | grep -i ' t ' | cmp -s - $@.pass1.text || \
		{ echo "$@: functions moved between link passes"; rm -f $@; exit 1; }
	$(Q)$(NM) -n $@ > $(basename $@).sym
	$(Q)$(OBJDUMP) -d --no-show-raw-insn $@ > $(basename $@).asm
	$(Q)rm -f $@.pass1 $@.pass1.text $@.ksyms.o
endef

$(O)/examples/%.elf: $(KERNEL_OBJS) $$(call examples_objs,$$*) arch/x86_64/kernel.ld scripts/mksyms.sh
	$(link_image)
$(O)/tests/guest/%.elf: $(KERNEL_OBJS) $$(call suite_objs,$$*) arch/x86_64/kernel.ld scripts/mksyms.sh
	$(link_image)
$(O)/tests/integration/probe.elf: $(KERNEL_OBJS) $(O)/k/tests/integration/probe.o \
		arch/x86_64/kernel.ld scripts/mksyms.sh
	$(link_image)
$(O)/tests/integration/vsock.elf: $(KERNEL_OBJS) $(O)/k/tests/integration/vsock/main.o \
		arch/x86_64/kernel.ld scripts/mksyms.sh
	$(link_image)
$(O)/tests/integration/gdb.elf: $(KERNEL_OBJS) $(O)/k/tests/integration/gdb/main.o \
		arch/x86_64/kernel.ld scripts/mksyms.sh
	$(link_image)
$(O)/bench/fs.elf: $(KERNEL_OBJS) $(O)/k/bench/fs/main.o arch/x86_64/kernel.ld \
		scripts/mksyms.sh
	$(link_image)
$(O)/bench/sched.elf: $(KERNEL_OBJS) $(O)/k/bench/sched/main.o arch/x86_64/kernel.ld \
		scripts/mksyms.sh
	$(link_image)

# ---- host side ---------------------------------------------------------------
HCFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -I. -MMD -MP
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LIB_SRCS := $(wildcard lib/*.c)
HOST_LIB_OBJS := $(LIB_SRCS:%.c=$(O)/h/%.o)
SAN_LIB_OBJS := $(LIB_SRCS:%.c=$(O)/san/%.o)

$(O)/h/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HCFLAGS) -O2 -c $< -o $@
$(O)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(HCFLAGS) $(SANFLAGS) -c $< -o $@

HOST_TOOLS := $(O)/toro $(O)/toro-vsockd
VSOCKD_OBJS := $(patsubst %.c,$(O)/h/%.o,$(wildcard host/vsockd/*.c))
$(O)/toro-vsockd: $(VSOCKD_OBJS) $(HOST_LIB_OBJS)
	$(Q)$(HOSTCC) -o $@ $^
$(O)/toro: $(O)/h/host/toro.o $(O)/h/host/run.o $(O)/h/host/ktest.o $(O)/h/host/image.o \
		$(O)/h/host/vsock.o $(O)/h/host/fs.o $(O)/h/host/daemon.o $(O)/h/host/debug.o \
		$(O)/h/host/trace.o $(HOST_LIB_OBJS)
	$(Q)$(HOSTCC) -o $@ $^

# Host unit tests: tests/host/test_X.c, each linked with the harness and lib/.
HOST_TESTS := $(patsubst tests/host/%.c,$(O)/tests/host/%,$(wildcard tests/host/test_*.c))
$(O)/tests/host/%: $(O)/san/tests/host/%.o $(O)/san/tests/host/check.o $(SAN_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) $(SANFLAGS) -o $@ $^

# libFuzzer harnesses: tests/fuzz/fuzz_X.c.
FUZZERS := $(patsubst tests/fuzz/%.c,$(O)/tests/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZFLAGS := -std=c11 -g -O1 -D_GNU_SOURCE -Iinclude -I. -fsanitize=fuzzer,address,undefined
$(O)/tests/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(Q)$(FUZZCC) $(FUZZFLAGS) -o $@ $< $(LIB_SRCS)

# The boot benchmark's floor image and driver.
$(O)/bench/floor.elf: bench/floor.S bench/floor.ld
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c bench/floor.S -o $@.o
	$(Q)$(LD) -nostdlib -static -T bench/floor.ld -o $@ $@.o
$(O)/bench/bootbench: $(O)/h/bench/bootbench.o
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -o $@ $^
# vsock: the host "guest" (a vhost-user frontend) and the benchmark client.
VSOCK_BENCH := $(O)/bench/vsock-peer $(O)/bench/vsockbench
$(O)/bench/vsock-peer: $(O)/h/bench/vsock_peer.o $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -o $@ $^
$(O)/bench/vsockbench: $(O)/h/bench/vsockbench.o $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(Q)$(HOSTCC) -o $@ $^

# ---- targets -----------------------------------------------------------------
.DEFAULT_GOAL := all
.PHONY: all deps run test check-host check-guest check-integration fuzz bench bench-check fmt \
	lint clean

all: $(IMAGES) $(HOST_TOOLS) $(HOST_TESTS) $(O)/bench/floor.elf $(O)/bench/bootbench \
	$(VSOCK_BENCH)

deps:
	$(Q)sh scripts/deps.sh

run: deps
	$(Q)$(MAKE) -s --no-print-directory $(O)/examples/hello.elf $(O)/toro
	$(O)/toro run $(O)/examples/hello.elf

test: deps
	$(Q)$(MAKE) --no-print-directory all $(FUZZERS)
	$(Q)O=$(O) sh scripts/test.sh all

check-host: all $(FUZZERS)
	$(Q)O=$(O) sh scripts/test.sh host
check-guest: all
	$(Q)O=$(O) sh scripts/test.sh guest
check-integration: all
	$(Q)O=$(O) sh scripts/test.sh integration

FUZZ_SECONDS ?= 60
fuzz: $(FUZZERS)
	$(Q)O=$(O) FUZZ_SECONDS=$(FUZZ_SECONDS) sh scripts/test.sh fuzz

# Deterministic figures (guest instructions under -icount, sizes) against
# bench/budget; make test runs it too.
bench-check: deps
	$(Q)$(MAKE) -s --no-print-directory $(EXAMPLES:%=$(O)/examples/%.elf) $(HOST_TOOLS)
	$(Q)sh bench/check.sh $(O)

bench: export TORO_ACCEL ?= tcg
bench: deps
	$(Q)$(MAKE) -s --no-print-directory $(O)/examples/hello.elf $(O)/toro $(O)/bench/floor.elf \
		$(O)/bench/bootbench $(O)/bench/sched.elf $(O)/tests/integration/probe.elf \
		$(O)/tests/integration/vsock.elf $(O)/toro-vsockd $(VSOCK_BENCH) $(O)/bench/fs.elf \
		$(O)/examples/webserver.elf $(O)/tests/integration/gdb.elf
	$(Q)for cpus in 1 4; do \
		$(O)/bench/bootbench --toro $(O)/toro --image $(O)/examples/hello.elf \
			--floor $(O)/bench/floor.elf --cpus $$cpus || exit 1; echo; \
	done
	$(Q)echo "scheduler and mailboxes (2 CPUs, medians of 7 batches):"
	$(Q)$(O)/toro run $(O)/bench/sched.elf --cpus 2 --timeout 300 > $(O)/bench/sched.out
	$(Q)sed -n 's/^bench: /  /p' $(O)/bench/sched.out
	$(Q)echo
	$(Q)sh bench/virtio.sh $(O)
	$(Q)echo
	$(Q)sh bench/vsock.sh $(O)
	$(Q)echo
	$(Q)sh bench/vsockprof.sh $(O)
	$(Q)echo
	$(Q)sh bench/fs.sh $(O)
	$(Q)echo
	$(Q)sh bench/webserver.sh $(O)
	$(Q)echo
	$(Q)sh bench/gdb.sh $(O)
	$(Q)echo
	$(Q)sh bench/bootsvg.sh $(O) $(O)/bench/boot-steps.svg
	$(Q)echo "boot steps by CPU count (guest instructions, -icount): $(O)/bench/boot-steps.svg"

C_FILES = $(shell git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null)
fmt:
	$(Q)clang-format -i $(C_FILES)
lint:
	$(Q)clang-format --dry-run -Werror $(C_FILES)
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem -Iinclude -I. \
		-DTORO_KERNEL arch platform kernel lib host bench drivers
	@echo "lint: clean"

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
