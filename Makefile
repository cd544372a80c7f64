# Build and install wnet under PREFIX (default /usr/local); DESTDIR for staging.
#   make                 build everything in release mode
#   make install         binaries, libwnet.so, winnetwk.h, wnet.pc, the systemd user unit, man pages,
#                        bash completion
#   make uninstall
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
LIBDIR = $(PREFIX)/lib
INCLUDEDIR = $(PREFIX)/include
MANDIR = $(PREFIX)/share/man
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions
UNITDIR = $(LIBDIR)/systemd/user
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
RELEASE = target/release

.PHONY: all install uninstall
all:
	cargo build --release --workspace

install: all
	install -Dm755 $(RELEASE)/wnet $(DESTDIR)$(BINDIR)/wnet
	install -Dm755 $(RELEASE)/wnetd $(DESTDIR)$(BINDIR)/wnetd
	install -Dm755 $(RELEASE)/libwnet.so $(DESTDIR)$(LIBDIR)/libwnet.so
	install -Dm644 include/winnetwk.h $(DESTDIR)$(INCLUDEDIR)/winnetwk.h
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(UNITDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' dist/wnet.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/wnet.pc
	sed -e 's|@BINDIR@|$(BINDIR)|' dist/wnetd.service.in > $(DESTDIR)$(UNITDIR)/wnetd.service
	install -Dm644 docs/man/wnet.1 $(DESTDIR)$(MANDIR)/man1/wnet.1
	install -Dm644 docs/man/wnetd.8 $(DESTDIR)$(MANDIR)/man8/wnetd.8
	install -Dm644 dist/wnet.bash $(DESTDIR)$(COMPLETIONDIR)/wnet

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/wnet $(DESTDIR)$(BINDIR)/wnetd $(DESTDIR)$(LIBDIR)/libwnet.so \
	  $(DESTDIR)$(INCLUDEDIR)/winnetwk.h $(DESTDIR)$(LIBDIR)/pkgconfig/wnet.pc \
	  $(DESTDIR)$(UNITDIR)/wnetd.service $(DESTDIR)$(MANDIR)/man1/wnet.1 $(DESTDIR)$(MANDIR)/man8/wnetd.8 \
	  $(DESTDIR)$(COMPLETIONDIR)/wnet
