# Makefile for otan_enbek
#
# Building is plain PGXS: "make" and "make install" against the PostgreSQL
# whose pg_config comes first in PATH, or the one named by PG_CONFIG.
#
# The set-up targets run scripts that first install the Debian packages the
# project needs, so they must work before pg_config exists.  They do not
# include PGXS:
#   make check      build, install and run every test suite
#   make check-sanitize
#                   build with AddressSanitizer and UndefinedBehaviorSanitizer
#                   and run the regress, pgTAP and integration suites; fails
#                   on any sanitizer report
#   make check-valgrind
#                   deliver 300 signed submissions with the server under
#                   valgrind; fails on a definite leak in the sender
#   make bench-sender
#                   the sender's memory and rate over 10,000 submissions,
#                   and the ratio of its rates to those of the xmlsec1 and
#                   curl command lines on the same documents
#   make demo       run the main job on the bundled sample log (LOG=, FORMAT=)
#   make demo-stop  stop the demo cluster and the local Enbek service
#   make fresh-machine  run the quick start of README.md on a clean Debian 12
#                   root file system (slow; needs root and debootstrap)
#   make concurrency  run ingest, attendance and delivery at once for minutes
#                   (DURATION= seconds) and check what they left
#   make fuzz       build the libFuzzer harnesses of the parsers and run each
#                   for FUZZ_SECONDS (default 60), or FUZZ_RUNS executions
#                   if that comes first; FUZZ_HARNESSES picks some of them

SETUP_GOALS := check check-sanitize check-valgrind bench-sender demo demo-stop \
	bench fresh-machine concurrency fuzz

ifneq ($(filter $(SETUP_GOALS),$(MAKECMDGOALS)),)

.PHONY: $(SETUP_GOALS)

check:
	test/run-tests

check-sanitize:
	OTAN_SANITIZE=1 test/run-tests --suite regress --suite pgtap \
		--suite integration

check-valgrind:
	test/run-tests --suite sender_valgrind

bench-sender:
	test/run-tests --suite sender_bench

demo:
	test/demo/run-demo $(if $(LOG),--log "$(LOG)") $(if $(FORMAT),--format "$(FORMAT)") $(if $(MONTH),--month "$(MONTH)")

demo-stop:
	test/demo/run-demo --stop

bench:
	bench/run-bench

fresh-machine:
	test/fresh-machine

concurrency:
	test/concurrency/run-concurrency

fuzz:
	test/fuzz/run-fuzz --seconds $(or $(FUZZ_SECONDS),60) $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS)) $(FUZZ_HARNESSES)

else

EXTENSION = otan_enbek
EXTVERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" otan_enbek.control)

MODULE_big = otan_enbek
SRCS := $(sort $(wildcard src/*.c src/*/*.c))
OBJS = $(SRCS:.c=.o)

# The install script of the current version is assembled from the parts in
# sql/install, in file name order.  Each upgrade script is assembled the same
# way from sql/upgrade/FROM--TO.  The install scripts of released versions
# are kept as shipped in sql/released, so that every update path can be
# tested from the version users have.
INSTALL_PARTS := $(sort $(wildcard sql/install/*.sql))
UPGRADE_DIRS := $(sort $(wildcard sql/upgrade/*--*))
UPGRADE_SCRIPTS := $(patsubst sql/upgrade/%,sql/$(EXTENSION)--%.sql,\
	$(UPGRADE_DIRS))
DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql $(UPGRADE_SCRIPTS)
DATA = $(wildcard sql/released/$(EXTENSION)--*.sql)

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
SERVER_INCLUDE := $(shell $(PG_CONFIG) --includedir-server)

# Server headers are included as system headers so that -Wextra reports only
# this project's code.
PG_CPPFLAGS = -Isrc -isystem $(SERVER_INCLUDE) \
	$(shell pkg-config --cflags xmlsec1-openssl libxml-2.0 libcurl openssl)
PG_CFLAGS = -std=gnu11 -Wall -Wextra
SHLIB_LINK = $(shell pkg-config --libs xmlsec1-openssl libxml-2.0 libcurl openssl)

EXTRA_CLEAN = $(DATA_built)

include $(PGXS)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(INSTALL_PARTS) otan_enbek.control
	cat $(INSTALL_PARTS) > $@

sql/$(EXTENSION)--%.sql: sql/upgrade/%/*.sql
	cat $(sort $(wildcard sql/upgrade/$*/*.sql)) > $@

endif
