# libvm / vmrun - top-level Makefile: each directory builds itself.
TOP := $(CURDIR)
include config.mk

VERSION := 0.1.0
export DEBUG SANITIZE

.PHONY: all libvm vmrun tools guests tests check bench demo install uninstall clean soak

all: libvm vmrun tools guests libvm-uninstalled.pc

libvm:
	$(MAKE) -C libvm
vmrun tools guests tests: libvm
	$(MAKE) -C $@

libvm-uninstalled.pc: libvm.pc.in Makefile
	sed -e 's|@PREFIX@|$(TOP)|; s|@LIBDIR@|$${prefix}/libvm|; s|@INCLUDEDIR@|$${prefix}/include|' \
	    -e 's|@VERSION@|$(VERSION)|; s|@LIBS_PRIVATE@|$(URING_LIBS) -lm -pthread|' $< > $@

libvm.pc: libvm.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$${prefix}/lib|; s|@INCLUDEDIR@|$${prefix}/include|' \
	    -e 's|@VERSION@|$(VERSION)|; s|@LIBS_PRIVATE@|$(URING_LIBS) -lm -pthread|' $< > $@

check: all
	$(MAKE) -C tests check

soak: all
	./tests/soak.sh

bench: all
	$(MAKE) -C tools bench

demo: all
	./tools/demo.sh

install: all libvm.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/vm
	install -m 755 vmrun/vmrun tools/vmdump $(DESTDIR)$(PREFIX)/bin/
	install -m 644 libvm/libvm.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 include/vm/*.h $(DESTDIR)$(PREFIX)/include/vm/
	install -m 644 libvm.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/vmrun $(DESTDIR)$(PREFIX)/bin/vmdump
	rm -f $(DESTDIR)$(PREFIX)/lib/libvm.a $(DESTDIR)$(PREFIX)/lib/pkgconfig/libvm.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/vm

clean:
	for d in libvm vmrun tools guests tests; do $(MAKE) -C $$d clean; done
	rm -f libvm.pc libvm-uninstalled.pc
