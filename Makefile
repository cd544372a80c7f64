# Build and install wnet under PREFIX (default /usr/local); DESTDIR for staging.
#   make                 build the installed crates (wnet, wnetd, libwnet) in release mode
#   make install         wnet, wnetd, libwnet.so.1 (SONAME libwnet.so.1, with the libwnet.so
#                        development link), winnetwk.h, wnet.pc, the systemd user unit, man
#                        pages, bash completion; binaries and library stripped
#   make uninstall
#   make deb             target/debian/wnet_VERSION_ARCH.deb (scripts/build-deb, ADR 0013)
#
# LIBDIR defaults to PREFIX/lib (the Debian package uses /usr/lib/<multiarch>). wnet.pc carries
# an -rpath only when LIBDIR is not one of the dynamic linker's default directories.
# STRIP=: installs unstripped binaries.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/user
STRIP ?= strip
VERSION = $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
RELEASE = target/release

# The C ABI's major version: the SONAME. Bump it (and crates/wnet-capi/build.rs) only for an
# incompatible change of winnetwk.h's functions or structures.
SONAME = libwnet.so.1
LIBFILE = $(SONAME).0.0
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
SYSTEM_LIBDIRS = /lib /usr/lib /lib64 /usr/lib64 $(if $(MULTIARCH),/lib/$(MULTIARCH) /usr/lib/$(MULTIARCH))
RPATH = $(if $(filter $(LIBDIR),$(SYSTEM_LIBDIRS)),,-Wl,-rpath,$${libdir} )

.PHONY: all install uninstall deb
all:
	cargo build --release -p wnet -p wnetd -p wnet-capi

# Stripped as dh_strip does: executables lose their debug info, the library its local symbols
# too. A library installed straight into the system (not staged) is made known to the loader.
install: all
	install -Dm755 $(RELEASE)/wnet $(DESTDIR)$(BINDIR)/wnet
	install -Dm755 $(RELEASE)/wnetd $(DESTDIR)$(BINDIR)/wnetd
	install -Dm644 $(RELEASE)/libwnet.so $(DESTDIR)$(LIBDIR)/$(LIBFILE)
	$(STRIP) --remove-section=.comment --remove-section=.note $(DESTDIR)$(BINDIR)/wnet $(DESTDIR)$(BINDIR)/wnetd
	$(STRIP) --remove-section=.comment --remove-section=.note --strip-unneeded $(DESTDIR)$(LIBDIR)/$(LIBFILE)
	ln -sfn $(LIBFILE) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sfn $(SONAME) $(DESTDIR)$(LIBDIR)/libwnet.so
	install -Dm644 include/winnetwk.h $(DESTDIR)$(INCLUDEDIR)/winnetwk.h
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(UNITDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@RPATH@|$(RPATH)|' -e 's|@VERSION@|$(VERSION)|' dist/wnet.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/wnet.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/wnet.pc
	sed -e 's|@BINDIR@|$(BINDIR)|' dist/wnetd.service.in > $(DESTDIR)$(UNITDIR)/wnetd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/wnetd.service
	install -Dm644 docs/man/wnet.1 $(DESTDIR)$(MANDIR)/man1/wnet.1
	install -Dm644 docs/man/wnetd.8 $(DESTDIR)$(MANDIR)/man8/wnetd.8
	install -Dm644 dist/wnet.bash $(DESTDIR)$(COMPLETIONDIR)/wnet
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/wnet $(DESTDIR)$(BINDIR)/wnetd \
	  $(DESTDIR)$(LIBDIR)/$(LIBFILE) $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libwnet.so \
	  $(DESTDIR)$(INCLUDEDIR)/winnetwk.h $(DESTDIR)$(LIBDIR)/pkgconfig/wnet.pc \
	  $(DESTDIR)$(UNITDIR)/wnetd.service $(DESTDIR)$(MANDIR)/man1/wnet.1 $(DESTDIR)$(MANDIR)/man8/wnetd.8 \
	  $(DESTDIR)$(COMPLETIONDIR)/wnet

deb:
	bash scripts/build-deb
