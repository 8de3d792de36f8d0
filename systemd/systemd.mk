# systemd/: how tinyfleet reaches a gateway. Install layout (FHS), the systemd
# unit with its sysusers.d/tmpfiles.d entries, man pages, bash completion, and
# the Debian package.
#
#   make install PREFIX=/usr DESTDIR=/tmp/root    programs, unit, config, man, completion
#   make uninstall PREFIX=/usr                    removes them (keeps a changed config)
#   make man                                      $(B)/man/man{1,5,8}/*
#   make deb                                      $(B)/deb/tinyfleet_<version>_<arch>.deb
#
# The config file always goes to $(SYSCONFDIR)/tinyfleet (/etc/tinyfleet): the
# unit's ConfigurationDirectory= and the daemon's default path name it there,
# whatever PREFIX is. An existing config is never overwritten.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
INSTALL ?= install

# The programs, from whichever fragments define them (a missing one is simply
# not installed; tests/integration/71-* checks that all three are).
TF_SBIN_PROGRAMS = $(filter $(B)/tinyfleetd,$(PROGRAMS))
TF_BIN_PROGRAMS = $(filter $(B)/tinyfleetctl $(B)/tinyfleet-node,$(PROGRAMS))
TF_CONFIG := config/tinyfleetd.conf

# --- man pages: man/<name>.<section>.md -> $(B)/man/man<section>/<name>.<section>
# tinyfleetd.conf(5) is built from config/tinyfleetd.conf too (its key list).
MAN_SRCS := $(filter-out $(if $(wildcard $(TF_CONFIG)),,man/tinyfleetd.conf.5.md),$(wildcard man/*.[158].md))
MAN_PAGES := $(foreach s,$(MAN_SRCS),$(B)/man/man$(subst .,,$(suffix $(basename $(s))))/$(notdir $(basename $(s))))
MAN_DATE := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
# Rebuilt when VERSION changes (the footer names it), not on every run.
$(B)/man/.version: tf-force
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ 2>/dev/null || echo '$(VERSION)' >$@
TF_MKMAN = python3 man/mkman --version '$(VERSION)' --date '$(MAN_DATE)'
$(B)/man/man1/%.1: man/%.1.md man/mkman $(B)/man/.version
	@mkdir -p $(@D)
	$(TF_MKMAN) $< >$@.tmp && mv $@.tmp $@
$(B)/man/man5/%.5: man/%.5.md man/mkman $(B)/man/.version $(wildcard $(TF_CONFIG))
	@mkdir -p $(@D)
	$(TF_MKMAN) --config $(TF_CONFIG) $< >$@.tmp && mv $@.tmp $@
$(B)/man/man8/%.8: man/%.8.md man/mkman $(B)/man/.version
	@mkdir -p $(@D)
	$(TF_MKMAN) $< >$@.tmp && mv $@.tmp $@
INTEGRATION_DEPS += $(MAN_PAGES)

.PHONY: man tf-force install-programs install-config install-man install-completion \
	install-service uninstall deb deb-build
tf-force:
man: $(MAN_PAGES)

# --- make install
install-programs: $(TF_SBIN_PROGRAMS) $(TF_BIN_PROGRAMS)
	$(if $(TF_SBIN_PROGRAMS),$(INSTALL) -d $(DESTDIR)$(SBINDIR))
	$(if $(TF_SBIN_PROGRAMS),$(INSTALL) -m 0755 $(TF_SBIN_PROGRAMS) $(DESTDIR)$(SBINDIR)/)
	$(if $(TF_BIN_PROGRAMS),$(INSTALL) -d $(DESTDIR)$(BINDIR))
	$(if $(TF_BIN_PROGRAMS),$(INSTALL) -m 0755 $(TF_BIN_PROGRAMS) $(DESTDIR)$(BINDIR)/)

# The installed config is config/tinyfleetd.conf with one line set: [store]
# path names the service's StateDirectory=, so `tinyfleetd -c ... --enroll`
# run by hand from any directory opens the service's database (the
# built-in default, ./tinyfleet.db, suits the demo).
TF_STATE_DB := /var/lib/tinyfleet/tinyfleet.db
TF_INSTALLED_CONFIG := $(B)/service/tinyfleetd.conf
$(TF_INSTALLED_CONFIG): $(TF_CONFIG) systemd/systemd.mk
	@mkdir -p $(@D)
	awk -v db='$(TF_STATE_DB)' ' \
		/^\[/ { sec = $$0 } \
		sec == "[store]" && !done && /^#?path *=/ { \
			print "# Set by make install (and the package): the service'"'"'s StateDirectory=."; \
			print "path = " db; done = 1; next } \
		{ print } \
		END { if (!done) exit 1 }' $< >$@.tmp || { echo "$<: no [store] path line" >&2; exit 1; }
	mv $@.tmp $@

# Never overwrite: an installed config is the operator's. It is installed
# 0644; tmpfiles.d/tinyfleet.conf narrows it to 0640 root:tinyfleet.
install-config: $(TF_INSTALLED_CONFIG)
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/tinyfleet
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/tinyfleet/tinyfleetd.conf ]; then \
		echo "install: keeping existing $(DESTDIR)$(SYSCONFDIR)/tinyfleet/tinyfleetd.conf (not overwritten)"; \
	else \
		echo "$(INSTALL) -m 0644 $< $(DESTDIR)$(SYSCONFDIR)/tinyfleet/tinyfleetd.conf"; \
		$(INSTALL) -m 0644 $< $(DESTDIR)$(SYSCONFDIR)/tinyfleet/tinyfleetd.conf; \
	fi

install-man: $(MAN_PAGES)
	@set -e; for p in $(MAN_PAGES); do \
		s=$${p##*.}; \
		echo "$(INSTALL) -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/"; \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s; \
		$(INSTALL) -m 0644 $$p $(DESTDIR)$(MANDIR)/man$$s/; \
	done

install-completion: completion/tinyfleetctl.bash
	$(INSTALL) -d $(DESTDIR)$(BASHCOMPDIR)
	$(INSTALL) -m 0644 completion/tinyfleetctl.bash $(DESTDIR)$(BASHCOMPDIR)/tinyfleetctl

# The unit names /usr/sbin and /etc; other prefixes get their own paths.
install-service: systemd/tinyfleetd.service systemd/sysusers.d/tinyfleet.conf \
		systemd/tmpfiles.d/tinyfleet.conf
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
	sed -e 's|/usr/sbin/tinyfleetd|$(SBINDIR)/tinyfleetd|g' \
		-e 's|/etc/tinyfleet/|$(SYSCONFDIR)/tinyfleet/|g' \
		systemd/tinyfleetd.service >$(DESTDIR)$(UNITDIR)/tinyfleetd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tinyfleetd.service
	$(INSTALL) -m 0644 systemd/sysusers.d/tinyfleet.conf $(DESTDIR)$(SYSUSERSDIR)/tinyfleet.conf
	$(INSTALL) -m 0644 systemd/tmpfiles.d/tinyfleet.conf $(DESTDIR)$(TMPFILESDIR)/tinyfleet.conf
	@if [ -z "$(DESTDIR)" ]; then \
		echo "install: now run: systemd-sysusers; systemd-tmpfiles --create;" \
			"systemctl daemon-reload; systemctl enable --now tinyfleetd"; fi

INSTALL_TARGETS += install-programs install-config install-man install-completion install-service

# Removes what install put there. The config stays when the operator changed
# it (it is theirs); the state in /var/lib/tinyfleet and the user always stay.
uninstall: $(TF_INSTALLED_CONFIG)
	rm -f $(DESTDIR)$(SBINDIR)/tinyfleetd $(DESTDIR)$(BINDIR)/tinyfleetctl \
		$(DESTDIR)$(BINDIR)/tinyfleet-node
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/tinyfleetctl
	rm -f $(DESTDIR)$(UNITDIR)/tinyfleetd.service $(DESTDIR)$(SYSUSERSDIR)/tinyfleet.conf \
		$(DESTDIR)$(TMPFILESDIR)/tinyfleet.conf
	@c=$(DESTDIR)$(SYSCONFDIR)/tinyfleet/tinyfleetd.conf; \
	if [ -e $$c ] && cmp -s $(TF_INSTALLED_CONFIG) $$c; then echo "rm -f $$c"; rm -f $$c; \
	elif [ -e $$c ]; then echo "uninstall: keeping $$c (changed from the shipped one)"; fi
	-@rmdir $(DESTDIR)$(SYSCONFDIR)/tinyfleet 2>/dev/null || true

# --- make deb: debian/build-deb stages debian/ under $(B)/deb and runs
# dpkg-buildpackage there; debian/rules calls back into this Makefile with the
# same B and VERSION, so the package reuses the binaries already built.
deb-build: $(TF_SBIN_PROGRAMS) $(TF_BIN_PROGRAMS) $(MAN_PAGES)

deb:
	+@B='$(B)' VERSION='$(VERSION)' debian/build-deb
