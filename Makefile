# pgmq_c/Makefile

MODULE_big = pgmq_c
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c src/*/*.c)))
PGFILEDESC = "pgmq_c - message queues inside PostgreSQL"
PG_CPPFLAGS = -I$(srcdir)/src

# Warnings: PostgreSQL's own flags (from pg_config: -Wall
# -Wmissing-prototypes -Wdeclaration-after-statement ...) plus -Wextra, less
# the classes PostgreSQL's own headers trip.  PGMQC_WERROR=1 (the test
# command sets it) makes every warning an error.
PG_CFLAGS = -Wextra -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers
ifeq ($(PGMQC_WERROR),1)
PG_CFLAGS += -Werror
endif

EXTENSION = pgmq_c pgmq_c_compat pgmq_c_router
DATA = pgmq_c--0.1.0.sql pgmq_c--0.1.0--0.2.0.sql pgmq_c--0.2.0--0.3.0.sql \
	pgmq_c--0.3.0--0.4.0.sql pgmq_c--0.4.0--0.5.0.sql pgmq_c--0.5.0--0.6.0.sql \
	pgmq_c--0.6.0--0.7.0.sql pgmq_c--0.7.0--0.8.0.sql \
	pgmq_c_compat--1.0.0.sql pgmq_c_router--0.1.0.sql

REGRESS = upgrade setup api queue_basic queue_read queue_ack queue_delay queue_txn \
	queue_metrics queue_wait read_acks bad_input topic_basic topic_bad_input limits \
	retries_queue retries_group redrive_keys ordering dedup durability compat router plans cached_objects security_access security_exploit group_blocks_accounting cleanup
REGRESS_OPTS = --inputdir=.

ISOLATION = send_uncommitted read_rollback delayed_in_block backoff_in_block skip_locked stale_receipt topic_groups admin_lock_order partition_lock \
	access_cache dropped_while_waiting ordering_heads ordering_send_order dedup_concurrent dedup_serializable \
	watermark_writer ack_lock_order claim_front lease_end_wake retention_wake dead_letter_keys pop_key_sender dead_letter_dropped \
	dead_letter_cycle
ISOLATION_OPTS = --inputdir=.

TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

# installed into $(pg_config --docdir)/extension/ (see README, Prometheus)
DOCS = prometheus/pgmq_c_queries.yaml prometheus/pgmq_c_alerts.yml

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies unless PostgreSQL was configured with
# --enable-depend: rebuild everything when a header changes.
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)

# PGXS installs DOCS by their base names but removes them by their paths:
# remove the installed names too.
uninstall: uninstall-prometheus-docs
.PHONY: uninstall-prometheus-docs
uninstall-prometheus-docs:
	rm -f $(addprefix '$(DESTDIR)$(docdir)/$(docmoduledir)'/, $(notdir $(DOCS)))
