# zcp: copy bytes between files, pipes and sockets by the fastest kernel path.

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -MMD -MP -D_GNU_SOURCE
# The progress line is drawn by a thread.
CFLAGS += -pthread
LDLIBS ?=
LDLIBS += -laio -luring

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

SRCS := $(wildcard src/*.c)
OBJS := $(SRCS:.c=.o)
SAN_DIR := build-san
SAN_OBJS := $(patsubst src/%.c,$(SAN_DIR)/%.o,$(SRCS))
SAN_FLAGS := -O1 -g -fsanitize=address,undefined,float-cast-overflow \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow

all: zcp

zcp: $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(SAN_DIR)/%.o: src/%.c | $(SAN_DIR)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -c -o $@ $<

$(SAN_DIR):
	mkdir -p $@

$(SAN_DIR)/zcp: $(SAN_OBJS)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(LDFLAGS) -o $@ $(SAN_OBJS) $(LDLIBS)

# The suite runs twice: against the normal build, then under
# AddressSanitizer and UndefinedBehaviorSanitizer.
check: deps-check zcp $(SAN_DIR)/zcp
	ZCP=$(CURDIR)/zcp bats tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ZCP=$(CURDIR)/$(SAN_DIR)/zcp bats tests

# libFuzzer harnesses (fuzz/) for the number, address and --flags
# parsers, built with clang and the sanitizers; each runs FUZZ_TIME
# seconds from the committed seeds in fuzz/corpus/. New inputs it finds
# go to build-fuzz/corpus-*, not into the repository.
FUZZ_CC ?= clang
FUZZ_TIME ?= 20
FUZZ_DIR := build-fuzz
FUZZ_TARGETS := size endpoint flags
FUZZ_OBJS := $(patsubst src/%.c,$(FUZZ_DIR)/%.o,$(filter-out src/main.c,$(SRCS)))
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined

$(FUZZ_DIR)/%.o: src/%.c | $(FUZZ_DIR)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(CFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer -Isrc -o $@ $< \
		$(FUZZ_OBJS) $(LDLIBS)

.SECONDARY: $(FUZZ_OBJS)

$(FUZZ_DIR):
	mkdir -p $@

fuzz: deps-fuzz $(addprefix $(FUZZ_DIR)/fuzz_,$(FUZZ_TARGETS))
	set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$t; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -timeout=5 \
			-rss_limit_mb=1024 -print_final_stats=1 \
			$(FUZZ_DIR)/corpus-$$t fuzz/corpus/$$t; \
	done

demo: deps-demo zcp
	scripts/demo

# Explicit targets: make looks for no pattern rule for a .PHONY target.
deps-build deps-check deps-demo deps-man deps-deb deps-bench deps-fuzz:
	@scripts/deps $(@:deps-%=%)

install: zcp
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(FISHCOMPDIR)
	install -m 755 zcp $(DESTDIR)$(BINDIR)/zcp
	install -m 644 man/zcp.1 $(DESTDIR)$(MANDIR)/man1/zcp.1
	install -m 644 completions/bash/zcp $(DESTDIR)$(BASHCOMPDIR)/zcp
	install -m 644 completions/zsh/_zcp $(DESTDIR)$(ZSHCOMPDIR)/_zcp
	install -m 644 completions/fish/zcp.fish $(DESTDIR)$(FISHCOMPDIR)/zcp.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/zcp $(DESTDIR)$(MANDIR)/man1/zcp.1 \
		$(DESTDIR)$(BASHCOMPDIR)/zcp $(DESTDIR)$(ZSHCOMPDIR)/_zcp \
		$(DESTDIR)$(FISHCOMPDIR)/zcp.fish

# The page is generated from --help and man/zcp.h2m, and committed so that
# building and installing never need help2man. Regenerate it whenever
# --help or the include file changes.
man: deps-man zcp
	help2man --no-info --include=man/zcp.h2m -o man/zcp.1-t ./zcp && \
		mv man/zcp.1-t man/zcp.1

# A binary package: the install target staged under Debian's paths, a
# generated DEBIAN/control, Depends from the libraries zcp links.
DEB_DIR ?= build-deb
DEB_OUT ?= .
DEB_ROOT = $(DEB_DIR)/debian/zcp
DEB_MAINTAINER ?= zcp developers <zcp@localhost>
deb: deps-deb zcp
	rm -rf $(DEB_DIR)
	$(MAKE) install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
		ZSHCOMPDIR=/usr/share/zsh/vendor-completions
	gzip -9n $(DEB_ROOT)/usr/share/man/man1/zcp.1
	install -d $(DEB_ROOT)/usr/share/doc/zcp $(DEB_ROOT)/DEBIAN
	install -m 644 LICENSE $(DEB_ROOT)/usr/share/doc/zcp/copyright
	printf 'Source: zcp\n\nPackage: zcp\nArchitecture: any\n' \
		> $(DEB_DIR)/debian/control
	cd $(DEB_DIR) && dpkg-shlibdeps -O debian/zcp/usr/bin/zcp > substvars
	v=$$(./zcp --version | cut -d' ' -f2) && \
	arch=$$(dpkg --print-architecture) && \
	{ echo "Package: zcp"; \
	  echo "Version: $$v"; \
	  echo "Architecture: $$arch"; \
	  echo "Maintainer: $(DEB_MAINTAINER)"; \
	  echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)"; \
	  sed -n 's/^shlibs:Depends=/Depends: /p' $(DEB_DIR)/substvars; \
	  echo "Section: utils"; \
	  echo "Priority: optional"; \
	  echo "Description: copy bytes between files, pipes and sockets, fast"; \
	  echo " zcp copies from a file, pipe, device or TCP/Unix socket to another"; \
	  echo " by the fastest kernel path that serves the pair: copy_file_range,"; \
	  echo " splice, sendfile, Linux AIO, io_uring or read/write."; \
	} > $(DEB_ROOT)/DEBIAN/control && \
	dpkg-deb --root-owner-group --build $(DEB_ROOT) \
		$(DEB_OUT)/zcp_$${v}_$$arch.deb

clean:
	rm -rf zcp src/*.o src/*.d $(SAN_DIR) $(FUZZ_DIR) $(DEB_DIR) man/zcp.1-t \
		zcp_*.deb

.PHONY: all check demo fuzz install uninstall man deb clean deps-check \
	deps-build deps-demo deps-man deps-deb deps-bench deps-fuzz

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
