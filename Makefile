# bpfalert — build, test, install.
#
#   make                 the bpfalert binary
#   make test            every test suite (one Check summary line at the end)
#   make test-sanitize   the same tests under AddressSanitizer + UBSan
#   make fuzz            libFuzzer harnesses, FUZZ_TIME seconds each
#   make bench           benchmarks; print figures, assert none
#   make test-kernels    the probe suites on Debian's 6.1 and 6.12 kernels, every
#                        hook path, under qemu (KERNEL_JOBS guests at once)
#   make test-all        deps + test + test-kernels + test-sanitize + fuzz + package
#                        tests (what CI runs)
#   make install         honours DESTDIR, PREFIX, SYSCONFDIR
#   make deps            install missing Debian build/test packages (as root)
#   make run             deps, build, and run bpfalert's main job (the daemon)
#   make demo            replay the bundled real events through the shipped rules

PREFIX     ?= /usr
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=

BUILD   ?= build
CC      ?= cc
PKG_CONFIG ?= pkg-config
PKGS    := libpcre2-8 json-c libconfig yaml-0.1 libcurl libmicrohttpd libbpf libelf zlib
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
OPT     ?= -O2 -g
CFLAGS  ?=
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) -MMD -MP \
           -Iengine -Inotifiers -Iprobes -I$(BUILD) -I$(BUILD)/probes \
           -DBPFALERT_VERSION='"$(VERSION)"' \
           -DBPFALERT_SYSCONFDIR='"$(SYSCONFDIR)"' \
           -DBPFALERT_LOCALSTATEDIR='"$(LOCALSTATEDIR)"' \
           -DBPFALERT_HAVE_PROBES=$(if $(wildcard probes/bpf_source.c),1,0) \
           $(shell $(PKG_CONFIG) --cflags $(PKGS))
LIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm
CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check)

ifeq ($(SANITIZE),1)
BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined
LDFLAGS     += -fsanitize=address,undefined
endif

ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)

# ---- probes (eBPF): see the section at the end for the kernel side ----
PROBE_SRC  := $(sort $(filter-out %.bpf.c,$(wildcard probes/*.c)))
PROBE_BPF  := $(sort $(wildcard probes/*.bpf.c))
PROBE_SKEL := $(PROBE_BPF:probes/%.bpf.c=$(BUILD)/probes/%.skel.h)

ENGINE_SRC := $(sort $(wildcard engine/*.c) $(wildcard notifiers/*.c)) $(PROBE_SRC)
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ    := $(filter-out $(BUILD)/engine/main.o,$(ENGINE_OBJ))
TEST_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TEST_OBJ   := $(TEST_SRC:%.c=$(BUILD)/%.o) $(BUILD)/tests/unit/main.o
BENCH_SRC  := $(sort $(wildcard tests/bench/*.c))
BENCH_BIN  := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/bench/%)
FUZZ_SRC   := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TIME  ?= 60

BIN := $(BUILD)/bpfalert

# `make V=1` shows the commands.
Q := $(if $(V),,@)

.PHONY: all test test-bin test-sanitize test-all test-kernels fuzz bench install clean deps run demo
all: $(BIN) bpfalert

bpfalert: $(BIN)
	@if [ "$(BUILD)" = build ]; then ln -sf $(BIN) bpfalert; fi

$(BIN): $(ENGINE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(if $(V),,@echo '  CC      $<')
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The shipped rules, compiled in for a bare `bpfalert run`.
RULE_FILES := $(sort $(wildcard rules/*.rules))
$(BUILD)/embedded_rules.inc: $(RULE_FILES) scripts/embed-rules
	@mkdir -p $(BUILD)
	sh scripts/embed-rules $(RULE_FILES) > $@.tmp && mv $@.tmp $@
$(BUILD)/engine/embedded.o: $(BUILD)/embedded_rules.inc

# Test suites are found by file name: tests/unit/test_foo.c defines
# Suite *foo_suite(void).
$(BUILD)/suites.h: $(TEST_SRC)
	@mkdir -p $(BUILD)
	@for f in $(TEST_SRC); do n=$${f#tests/unit/test_}; echo "SUITE($${n%.c})"; done > $@.tmp
	@cmp -s $@.tmp $@ || mv $@.tmp $@; rm -f $@.tmp

$(BUILD)/tests/unit/%.o: tests/unit/%.c $(BUILD)/suites.h
	@mkdir -p $(dir $@)
	$(if $(V),,@echo '  CC      $<')
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -Itests/unit -c -o $@ $<

$(BUILD)/run-tests: $(TEST_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) $(CHECK_LIBS)

test: $(BIN) $(BUILD)/run-tests
	$(if $(filter 1,$(SANITIZE)),BPFALERT_SANITIZED=1) BPFALERT_BIN=$(abspath $(BIN)) BPFALERT_SRC=$(CURDIR) \
	BPFALERT_TESTDATA=$${BPFALERT_TESTDATA:-$(CURDIR)/tests/data} \
	$(BUILD)/run-tests

SAN_VARS := BUILD=build-san SANITIZE=1 OPT='-O1 -g'
test-sanitize:
	$(MAKE) $(SAN_VARS) test

# What `make test` runs, built (test-all builds it with every core).
test-bin: $(BIN) $(BUILD)/run-tests

# Boots each kernel once per hook path; see scripts/test-kernels.
test-kernels: $(BIN) $(BUILD)/run-tests
	BUILD=$(BUILD) bash scripts/test-kernels

# libFuzzer needs clang.  The sources the harnesses share are compiled once
# (instrumented, without libFuzzer's main), each harness links them.
FUZZ_CFLAGS = -std=c11 -D_GNU_SOURCE -g -O1 -Iengine -Inotifiers -Iprobes -I$(BUILD)/probes \
              -fsanitize=fuzzer,address,undefined \
              -DBPFALERT_VERSION='"$(VERSION)"' \
              -DBPFALERT_HAVE_PROBES=$(if $(wildcard probes/bpf_source.c),1,0) \
              $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ_LIB_OBJ := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(filter-out engine/main.c,$(ENGINE_SRC)))
FUZZ_BIN     := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
# Harnesses run at once by `make fuzz` (each takes one core for FUZZ_TIME s).
FUZZ_JOBS    ?= 2
$(BUILD)/fuzz/obj/%.o: %.c | $(BUILD)/embedded_rules.inc
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  FUZZCC  $<")
	$(Q)clang $(subst -fsanitize=fuzzer,-fsanitize=fuzzer-no-link,$(FUZZ_CFLAGS)) -I$(BUILD) \
	  -MMD -MP -c -o $@ $<
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(if $(V),,@echo "  FUZZ    $@")
	$(Q)clang $(FUZZ_CFLAGS) -I$(BUILD) -o $@ $(filter %.c %.o,$^) $(LIBS)

# fuzz_jsondiff is seeded with every JSON input the tests have.  Each
# harness starts from its committed corpus; FUZZ_JOBS of them run at a time.
fuzz: $(FUZZ_BIN)
	@python3 scripts/fuzz-seeds $(BUILD)/corpus/fuzz_jsondiff
	@$(MAKE) --no-print-directory -j$(FUZZ_JOBS) -O $(FUZZ_BIN:$(BUILD)/fuzz/%=fuzz-run-%)

fuzz-run-%: $(BUILD)/fuzz/%
	@mkdir -p $(BUILD)/corpus/$*; cp -n tests/fuzz/corpus/$*/* $(BUILD)/corpus/$*/ 2>/dev/null; \
	  echo "fuzz: $* for $(FUZZ_TIME)s"; \
	  $< -max_total_time=$(FUZZ_TIME) -max_len=4096 -print_final_stats=1 \
	      $(BUILD)/corpus/$* 2>$(BUILD)/fuzz-$*.log || { tail -50 $(BUILD)/fuzz-$*.log; exit 1; }; \
	  grep -E 'stat::number_of_executed_units|Done' $(BUILD)/fuzz-$*.log | tail -2

$(BUILD)/bench/%: tests/bench/%.c $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $(filter %.c %.o,$^) $(LIBS)

bench: OPT = -O2 -g
bench: $(BIN) $(BENCH_BIN)
	BPFALERT_BIN=$(abspath $(BIN)) BUILD=$(BUILD) \
	BPFALERT_TESTDATA=$${BPFALERT_TESTDATA:-$(CURDIR)/tests/data} \
	sh tests/bench/run.sh

deps:
	sh scripts/install-deps

# The README's build-and-run command: the daemon with its embedded default
# configuration (kernel probes, the shipped rules, alerts on stdout).
run: deps
	$(MAKE) all
	$(BIN) run -f

# The bundled real Tetragon events through the shipped rules and the seed's
# Parseable alerts, without the kernel.
DEMO_EVENTS := tests/data/tetragon/events.jsonl tests/data/tetragon/oreilly.jsonl \
               tests/data/seed/process_exec-speaker.jsonl tests/data/ruletests/tetrademo-events.jsonl
DEMO_RULES  := -r rules -r tests/data/seed/tetrademo.json
demo: all
	@echo "== alerts each bundled event matched (bpfalert replay --matches)"
	@cat $(DEMO_EVENTS) | $(BIN) replay --matches $(DEMO_RULES) -i - | grep -v '"alerts":\[\]' || true
	@echo "== notifications that would be sent (bpfalert replay --dry-run -o text)"
	@cat $(DEMO_EVENTS) | $(BIN) replay --dry-run -o text $(DEMO_RULES) -i -

# The builds use every core; the tests, fuzzers and package tests run one
# step at a time.
JOBS ?= $(shell nproc)
test-all: deps
	$(MAKE) -j$(JOBS) test-bin
	$(MAKE) test
	$(MAKE) test-kernels
	$(MAKE) -j$(JOBS) $(SAN_VARS) test-bin
	$(MAKE) test-sanitize
	$(MAKE) -j$(JOBS) $(FUZZ_BIN)
	$(MAKE) fuzz FUZZ_TIME=$(FUZZ_TIME)
	bash scripts/package-tests

install: $(BIN) $(if $(wildcard packaging.mk),install-extra)
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/bpfalert
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/bpfalert/rules.d
	for f in rules/*.rules rules/*.json; do [ -e "$$f" ] && \
	  install -m 0644 "$$f" $(DESTDIR)$(SYSCONFDIR)/bpfalert/rules.d/; done; true
	install -d -m 0700 $(DESTDIR)$(LOCALSTATEDIR)/lib/bpfalert

clean:
	rm -rf build build-san bpfalert

# ---- probes: kernel side ----
# probes/*.bpf.c are compiled for ARCH (x86_64 or arm64, the directories
# of probes/vmlinux/) against that architecture's committed vmlinux.h;
# `make ARCH=arm64` cross-builds them.  Skeletons come from bpftool.
ARCH            ?= $(shell uname -m | sed -e 's/aarch64/arm64/')
BPF_TARGET_ARCH := $(patsubst x86_64,x86,$(ARCH))
BPF_CLANG       ?= clang
BPFTOOL         ?= bpftool
BPF_CFLAGS      := -g -O2 -target bpf -D__TARGET_ARCH_$(BPF_TARGET_ARCH) \
                   -Iprobes/vmlinux/$(ARCH) -Iprobes -Wall -Werror
PROBE_BPF_OBJ   := $(PROBE_BPF:probes/%.bpf.c=$(BUILD)/probes/%.bpf.o)

$(BUILD)/probes/%.bpf.o: probes/%.bpf.c probes/vmlinux/$(ARCH)/vmlinux.h
	@mkdir -p $(dir $@)
	$(if $(V),,@echo '  BPF     $<')
	$(Q)$(BPF_CLANG) $(BPF_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/probes/%.skel.h: $(BUILD)/probes/%.bpf.o
	$(if $(V),,@echo '  SKEL    $@')
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

.SECONDARY: $(PROBE_BPF_OBJ)

# Every probes/*.c object may include the generated skeletons (the fuzz
# harnesses' objects too).
$(PROBE_SRC:%.c=$(BUILD)/%.o): $(PROBE_SKEL)
$(FUZZ_LIB_OBJ): | $(PROBE_SKEL)
$(BUILD)/fuzz/obj/engine/embedded.o: $(BUILD)/embedded_rules.inc

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

-include packaging.mk
