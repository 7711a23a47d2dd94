# zcp: copy bytes between files, pipes and sockets by the fastest kernel path.

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -Wall -Wextra -MMD -MP -D_GNU_SOURCE
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
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

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

demo: deps-demo zcp
	scripts/demo

deps-%:
	@scripts/deps $*

install: zcp
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 zcp $(DESTDIR)$(BINDIR)/zcp

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/zcp

clean:
	rm -rf zcp src/*.o src/*.d $(SAN_DIR)

.PHONY: all check demo install uninstall clean deps-check deps-demo

-include $(OBJS:.o=.d) $(SAN_OBJS:.o=.d)
