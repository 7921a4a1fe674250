# kpod — GNU make with pkg-config. `make`, `make check`, `make run`; see README.md.
.DEFAULT_GOAL := all
SHELL := /bin/bash

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man
SANITIZE ?= 0
CC ?= gcc
V ?= 0

PKGS := yaml-0.1 libcurl libarchive jansson libcrypto libseccomp libcap-ng libnl-route-3.0 libnl-3.0 libnftables

ifeq ($(SANITIZE),1)
BUILD := build/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build/release
SAN_FLAGS :=
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl, libarchive and libnftables are not linked: lib/util/lazylib.c opens them on first
# use, so that commands which do not need them start without loading ~40 libraries.
LAZY_PKGS := libcurl libarchive libnftables
PKG_LIBS = $(shell pkg-config --libs $(filter-out $(LAZY_PKGS),$(PKGS)) 2>/dev/null) -ldl

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow -Wformat=2 \
	-Wmissing-prototypes -Wstrict-prototypes -fno-strict-aliasing -D_GNU_SOURCE \
	-D_FILE_OFFSET_BITS=64 -ffunction-sections -fdata-sections -Ilib -Icmd -MMD -MP $(SAN_FLAGS) $(PKG_CFLAGS) \
	-DKPOD_VERSION='"$(VERSION)"' -DKPOD_GIT_COMMIT='"$(GIT_COMMIT)"'
override LDFLAGS += $(SAN_FLAGS) -Wl,--as-needed
LDLIBS += $(PKG_LIBS) -lpthread

LIB_SRCS := $(sort $(wildcard lib/*/*.c))
CMD_SRCS := $(sort $(wildcard cmd/*.c))
UNIT_SRCS := $(sort $(wildcard test/unit/test_*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CMD_OBJS := $(CMD_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(BUILD)/test/%)
MAN_SRCS := $(sort $(wildcard man/*.md))
MAN_OUT := $(MAN_SRCS:man/%.md=build/man/%)

ifeq ($(V),0)
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
else
Q :=
say :=
endif

.PHONY: kpod all deps check unit bats run install man completions check-completions format \
	format-check bench clean fuzz

all: kpod

# The per-pod processes are their own small binaries: static (except under the sanitizers)
# so that an idle pod costs little private memory.
ifeq ($(SANITIZE),1)
HELPER_LDFLAGS :=
else
HELPER_LDFLAGS := -static -Wl,--gc-sections
endif
HELPERS := $(BUILD)/kpod-monitor $(BUILD)/kpod-infra
MONITOR_LIBS := -ljansson -lseccomp -lcap-ng -lcrypto -lpthread

kpod: $(BUILD)/kpod $(HELPERS)
	$(Q)ln -sf $(BUILD)/kpod kpod

$(BUILD)/kpod-monitor: $(BUILD)/cmd/helpers/kpod-monitor.o $(BUILD)/libkpod.a
	$(call say,LD,$@)$(CC) $(LDFLAGS) $(HELPER_LDFLAGS) -o $@ $< $(BUILD)/libkpod.a $(MONITOR_LIBS)

$(BUILD)/kpod-infra: $(BUILD)/cmd/helpers/kpod-infra.o
	$(call say,LD,$@)$(CC) $(LDFLAGS) $(HELPER_LDFLAGS) -o $@ $<

$(BUILD)/kpod: $(CMD_OBJS) $(BUILD)/libkpod.a
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $(CMD_OBJS) $(BUILD)/libkpod.a $(LDLIBS)

$(BUILD)/libkpod.a: $(LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/test/%: test/unit/%.c $(BUILD)/libkpod.a test/unit/tap.h
	@mkdir -p $(dir $@)
	$(call say,CC,$@)$(CC) $(CFLAGS) -Itest/unit -o $@ $< $(BUILD)/libkpod.a $(LDFLAGS) $(LDLIBS) \
		$(shell pkg-config --libs $(LAZY_PKGS) 2>/dev/null)

-include $(LIB_OBJS:.o=.d) $(CMD_OBJS:.o=.d) $(BUILD)/cmd/helpers/kpod-monitor.d

# Every build, test and runtime dependency, from Debian. Idempotent; seconds when present.
deps:
	$(Q)./hack/deps.sh

unit: $(UNIT_BINS)
	$(Q)rc=0; for t in $(UNIT_BINS); do \
		echo "# $$t"; \
		KPOD_TEST_FIXTURES=$(CURDIR)/test/unit/fixtures $$t || rc=1; \
	done; exit $$rc

bats: kpod
	$(Q)KPOD_BINARY=$(CURDIR)/kpod bats --tap $(BATS_FLAGS) $(if $(BATS_FILES),$(BATS_FILES),test/bats)

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory bats

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./hack/demo.sh

man: $(MAN_OUT)

build/man/%: man/%.md
	@mkdir -p build/man
	$(call say,MAN,$@)go-md2man -in $< -out $@

completions: kpod
	$(Q)./kpod completion bash > completions/bash/kpod
	$(Q)./kpod completion zsh > completions/zsh/_kpod
	$(Q)./kpod completion fish > completions/fish/kpod.fish

install: kpod man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(BUILD)/kpod $(DESTDIR)$(BINDIR)/kpod
	install -D -m 0755 $(BUILD)/kpod-monitor $(DESTDIR)$(PREFIX)/libexec/kpod/kpod-monitor
	install -D -m 0755 $(BUILD)/kpod-infra $(DESTDIR)$(PREFIX)/libexec/kpod/kpod-infra
	for m in $(MAN_OUT); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -D -m 0644 completions/bash/kpod $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kpod
	install -D -m 0644 completions/zsh/_kpod $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_kpod
	install -D -m 0644 completions/fish/kpod.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/kpod.fish

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(FORMAT_SRCS)

format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./bench/run

# libFuzzer (clang) over the YAML parser and the spec builder. FUZZ_TIME seconds (default 600);
# new inputs go to build/fuzz/corpus, the committed seeds are in test/fuzz/corpus/manifest.
FUZZ_TIME ?= 600
FUZZ_BUILD := build/fuzz
FUZZ_SRCS := $(sort $(wildcard lib/util/*.c lib/manifest/*.c lib/spec/*.c)) test/fuzz/fuzz_manifest.c
FUZZ_FLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Ilib \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

$(FUZZ_BUILD)/fuzz_manifest: $(FUZZ_SRCS) $(wildcard lib/*/*.h)
	@mkdir -p $(dir $@)
	$(call say,FUZZ,$@)clang $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $(FUZZ_SRCS) $(PKG_LIBS)

fuzz: $(FUZZ_BUILD)/fuzz_manifest
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(Q)$(FUZZ_BUILD)/fuzz_manifest -max_total_time=$(FUZZ_TIME) -max_len=65536 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ \
		$(FUZZ_BUILD)/corpus test/fuzz/corpus/manifest

clean:
	rm -rf build kpod
