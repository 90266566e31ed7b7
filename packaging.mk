# packaging.mk — packages, systemd unit, man pages, Kubernetes manifests.
# Included from the Makefile (its variables: VERSION, BUILD, BIN, PREFIX, ...).
#
#   make install-extra   configuration, systemd unit, man pages (DESTDIR too)
#   make deb             Debian package from packaging/debian   -> build/pkg/
#   make rpm             RPM from packaging/rpm/bpfalert.spec   -> build/pkg/
#   make lint-packages   lintian on the Debian package (errors and warnings fail)
#   make verify-unit     systemd-analyze verify + security (exposure <= 3.0)
#   make validate-k8s    the Kubernetes manifests against the API schemas
#   make man             render the man pages with every warning on
#   make k8s-rules       copy rules/ to packaging/k8s/rules/ (the ConfigMap's)
#   make test-packages   all of the above and more: scripts/package-tests
#                        (as root: installs, upgrades and purges the .deb)

PKG_OUT        ?= build/pkg
# Packages are built outside build/: the Makefile includes every *.d below
# it, and package trees have rules.d directories (and dependency files of
# their own build).
PKG_WORK       ?= $(or $(TMPDIR),/tmp)/bpfalert-pkg-$(shell id -u)-$(shell printf %s '$(CURDIR)' | cksum | cut -d' ' -f1)
SYSTEMDUNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
MAN_PAGES      := packaging/man/bpfalert.8 packaging/man/bpfalert.conf.5 packaging/man/bpfalert-rules.5
K8S_VALIDATE   ?= build/k8s-validate
# The highest exposure systemd-analyze security may rate the unit, times 10.
UNIT_EXPOSURE_MAX ?= 30

.PHONY: install-extra deb rpm lint-packages verify-unit validate-k8s man k8s-rules test-packages

# Never replaces a configuration file that is already there (a local
# `make install` over an edited one); packages install into an empty DESTDIR.
install-extra:
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/bpfalert
	[ -e $(DESTDIR)$(SYSCONFDIR)/bpfalert/bpfalert.conf ] || \
	  install -m 0644 packaging/bpfalert.conf $(DESTDIR)$(SYSCONFDIR)/bpfalert/bpfalert.conf
	install -d -m 0755 $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|/usr/bin/bpfalert|$(BINDIR)/bpfalert|g' packaging/systemd/bpfalert.service \
	  > $(DESTDIR)$(SYSTEMDUNITDIR)/bpfalert.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/bpfalert.service
	for m in $(MAN_PAGES); do s=$${m##*.}; \
	  install -d -m 0755 $(DESTDIR)$(MANDIR)/man$$s; \
	  sed '1s/"bpfalert [^"]*"/"bpfalert $(VERSION)"/' $$m > $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	  chmod 0644 $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; \
	done

# The source tree as a package builds it: the working tree without build
# output, version control or node modules, with VERSION as given to make.
define pkg_stage
	rm -rf $(1) && mkdir -p $(1)
	tar -cf - --exclude=node_modules --anchored --exclude=./.git --exclude=./build \
	  --exclude='./build-*' --exclude=./bpfalert . | tar -xf - -C $(1)
	echo '$(VERSION)' > $(1)/VERSION
endef

DEB_STAGE = $(PKG_WORK)/deb/bpfalert-$(VERSION)

deb:
	$(call pkg_stage,$(DEB_STAGE))
	cp -r packaging/debian $(DEB_STAGE)/debian
	@# A version other than the changelog's (make deb VERSION=x) gets an entry.
	cd $(DEB_STAGE) && if [ "$$(dpkg-parsechangelog -S Version)" != '$(VERSION)' ]; then \
	  { printf 'bpfalert (%s) unstable; urgency=medium\n\n  * Build of version %s.\n\n -- %s  %s\n\n' \
	      '$(VERSION)' '$(VERSION)' "$$(dpkg-parsechangelog -S Maintainer)" "$$(date -R)"; \
	    cat debian/changelog; } > debian/changelog.new && mv debian/changelog.new debian/changelog; fi
	cd $(DEB_STAGE) && DEB_BUILD_OPTIONS="$${DEB_BUILD_OPTIONS:-parallel=$$(nproc)}" \
	  dpkg-buildpackage -us -uc -ui
	@# The .changes and everything it lists (lintian reads them together).
	mkdir -p $(PKG_OUT)/deb
	rm -f $(PKG_OUT)/deb/bpfalert[_-]$(VERSION)[._]* $(PKG_OUT)/deb/bpfalert-dbgsym_$(VERSION)_*
	cp $(PKG_WORK)/deb/bpfalert_$(VERSION)[._]* $(PKG_WORK)/deb/bpfalert-dbgsym_$(VERSION)_* $(PKG_OUT)/deb/
	cp $(PKG_WORK)/deb/bpfalert_$(VERSION)_*.deb $(PKG_OUT)/
	@ls -1 $(PKG_OUT)/bpfalert_$(VERSION)_*.deb

RPM_TOP = $(PKG_WORK)/rpmbuild

rpm:
	$(call pkg_stage,$(PKG_WORK)/rpm/bpfalert-$(VERSION))
	mkdir -p $(RPM_TOP)/SOURCES $(PKG_OUT)
	tar -C $(PKG_WORK)/rpm -czf $(RPM_TOP)/SOURCES/bpfalert-$(VERSION).tar.gz bpfalert-$(VERSION)
	@# --nodeps: BuildRequires name RPM packages, which a Debian host's
	@# rpm database does not have (packaging/rpm/README).
	rpmbuild -bb --nodeps --define '_topdir $(RPM_TOP)' --define 'bpfalert_version $(VERSION)' \
	  --define '_smp_mflags -j$(shell nproc)' packaging/rpm/bpfalert.spec
	cp $(RPM_TOP)/RPMS/*/bpfalert-$(VERSION)-1*.rpm $(PKG_OUT)/
	@ls -1 $(PKG_OUT)/bpfalert-$(VERSION)-1*.rpm

lint-packages:
	lintian --fail-on error,warning --info $(PKG_OUT)/deb/bpfalert_$(VERSION)_*.changes

verify-unit: $(BIN)
	@mkdir -p $(BUILD)/unit
	@# The unit as installed, but running the binary just built.
	sed 's|/usr/bin/bpfalert|$(abspath $(BIN))|g' packaging/systemd/bpfalert.service \
	  > $(BUILD)/unit/bpfalert.service
	systemd-analyze verify --man=no $(BUILD)/unit/bpfalert.service
	systemd-analyze security --offline=true --threshold=$(UNIT_EXPOSURE_MAX) \
	  packaging/systemd/bpfalert.service | tail -1

# Node modules go to a scratch directory, never into the tree.
validate-k8s:
	@mkdir -p $(K8S_VALIDATE)
	cp packaging/k8s/package.json packaging/k8s/package-lock.json $(K8S_VALIDATE)/
	cd $(K8S_VALIDATE) && npm ci --no-audit --no-fund --loglevel=error
	@if command -v kubectl >/dev/null 2>&1; then \
	  kubectl kustomize packaging/k8s > $(K8S_VALIDATE)/rendered.yaml && \
	  set -- --rendered $(K8S_VALIDATE)/rendered.yaml; fi; \
	NODE_PATH=$(abspath $(K8S_VALIDATE))/node_modules node packaging/k8s/validate.js "$$@"

k8s-rules:
	rm -f packaging/k8s/rules/*.rules packaging/k8s/rules/*.json
	cp rules/*.rules packaging/k8s/rules/
	for f in rules/*.json; do [ ! -e "$$f" ] || cp "$$f" packaging/k8s/rules/; done

# groff prints every warning (-ww) on stderr; none may appear.
man:
	@for m in $(MAN_PAGES); do \
	  out=$$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings=w -E UTF-8 -l -Tutf8 $$m 2>&1 >/dev/null; \
	         groff -ww -man -Tutf8 $$m 2>&1 >/dev/null); \
	  if [ -n "$$out" ]; then echo "$$m:"; echo "$$out"; exit 1; fi; echo "man: $$m renders cleanly"; \
	done

test-packages:
	bash scripts/package-tests
