# Samen Meten Utrecht platform: plain GNU make.
#   make            build the server (build/release/samenmeten)
#   make run        install missing packages, start a local PostGIS + the server
#   make demo       load the fixtures into a running `make run` (dashboard at /)
#   make web        the dashboard's libraries from npm into web/vendor/
#   make test       unit tests (cmocka) + end-to-end tests (pytest, real PostGIS)
#   make test-faults  SIGKILL the server and PostgreSQL during uploads (TRIALS=3)
#   make asan       the same tests against an AddressSanitizer+UBSan build
#   make valgrind   unit tests under valgrind
#   make lint       clang-format check, cppcheck, @redocly/cli lint of api/openapi.yaml
#   make fuzz       every parser under libFuzzer for FUZZ_SECONDS (default 30)
#   make bench      benchmarks that print figures
#   make bench-sustained  national load for SUSTAIN_SECONDS (600): figures per minute
#   make schema     sql/schema/current.sql: the schema the migrations make, in one file
#   make clean
# Every target that needs packages installs its own set first (tools/deps.sh:
# as root it installs them, as anyone else it prints the apt-get line and
# stops), then builds in a sub-make, so that pkg-config is asked after the
# install, not before.

FLAVOUR ?= release
BUILD   := build/$(FLAVOUR)
CC      ?= cc

PKGS    := libmicrohttpd jansson libsodium libpq zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -fno-common -fstack-protector-strong
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -pthread -MMD -MP $(WARN) $(PKG_CFLAGS)

ifeq ($(FLAVOUR),release)
  BASE_CFLAGS += -O2 -g -D_FORTIFY_SOURCE=2
else ifeq ($(FLAVOUR),asan)
  BASE_CFLAGS += -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=undefined
  BASE_LDFLAGS += -fsanitize=address,undefined
else ifeq ($(FLAVOUR),debug)
  BASE_CFLAGS += -O0 -g
endif

ALL_CFLAGS  = $(BASE_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(BASE_LDFLAGS) $(LDFLAGS)
LIBS        = $(PKG_LIBS) -lm

SERVER_SRC := $(wildcard server/*.c)
SERVER_OBJ := $(SERVER_SRC:server/%.c=$(BUILD)/server/%.o)
# Everything but main.o links into the unit tests.
LIB_OBJ    := $(filter-out $(BUILD)/server/main.o,$(SERVER_OBJ))

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

BIN := $(BUILD)/samenmeten

.PHONY: all run test test-faults unit e2e asan valgrind lint bench bench-sustained clean deps web \
        demo schema
all: $(BIN)

$(BIN): $(SERVER_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/server/%.o: server/%.c | $(BUILD)/server
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) | $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) -Iserver -o $@ $< $(LIB_OBJ) $(ALL_LDFLAGS) $(LIBS) -lcmocka

$(BUILD)/server $(BUILD)/tests:
	mkdir -p $@

run:
	tools/run-local.sh

deps:
	tools/deps.sh

web:
	tools/web-vendor.sh

demo:
	tools/demo.sh

# The browser tests' driver (playwright-core), pinned by its lockfile.
tests/browser/node_modules: tests/browser/package-lock.json
	cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

test:
	tools/deps.sh test
	tools/web-vendor.sh
	$(MAKE) --no-print-directory $(BIN) $(UNIT_BIN) tests/browser/node_modules
	tools/test.sh $(BUILD)

asan:
	$(MAKE) --no-print-directory FLAVOUR=asan test

# Fault injection (tests/faults): TRIALS trials of concurrent uploads of every
# family while the server and PostgreSQL are killed; KILLS per trial.
TRIALS ?= 3
KILLS  ?= 3
test-faults:
	tools/deps.sh test
	$(MAKE) --no-print-directory $(BIN)
	TRIALS=$(TRIALS) KILLS=$(KILLS) SAMENMETEN_BIN="$(CURDIR)/$(BIN)" /usr/bin/python3 -m pytest \
	  tests/faults -q -s -p no:cacheprovider $(PYTEST_ARGS)

valgrind:
	tools/deps.sh valgrind
	$(MAKE) --no-print-directory $(UNIT_BIN)
	@for t in $(UNIT_BIN); do valgrind -q --error-exitcode=1 --leak-check=full $$t || exit 1; done

lint:
	tools/deps.sh lint
	clang-format --dry-run --Werror server/*.c server/*.h tests/unit/*.c fuzz/*.c fuzz/*.h
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr -I server server
	tools/lint-api.sh

bench:
	tools/deps.sh bench
	$(MAKE) --no-print-directory $(BIN)
	bench/run.sh $(BUILD)

# Sustained national load (bench/bench_sustained.sh): SUSTAIN_SECONDS,
# SUSTAIN_RATE, SUSTAIN_DEVICES, SUSTAIN_DASH_RATE from the environment.
bench-sustained:
	tools/deps.sh bench
	$(MAKE) --no-print-directory $(BIN)
	bench/bench_sustained.sh $(BUILD)

schema: $(BIN)
	SAMENMETEN_BIN=$(BIN) tools/schema-dump.sh sql/schema/current.sql

# make fuzz: each parser under libFuzzer (clang, ASan+UBSan) for FUZZ_SECONDS
# seconds; a crash fails the make and leaves its input in build/fuzz/.
FUZZ_SECONDS ?= 30
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := -std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                $(WARN) -Iserver $(PKG_CFLAGS)
FUZZ_NAMES   := csv jsonin snuffel_csv snuffel_json telraam heatobs experience dataset query \
                segments areas
.PHONY: fuzz fuzz-run
fuzz:
	tools/deps.sh fuzz
	$(MAKE) --no-print-directory fuzz-run
fuzz-run: $(FUZZ_NAMES:%=build/fuzz/fuzz_%)
	@for t in $(FUZZ_NAMES); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  dict=; if [ -f fuzz/dict/$$t.dict ]; then dict=-dict=fuzz/dict/$$t.dict; fi; \
	  build/fuzz/fuzz_$$t -max_len=65536 -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/$$t- $$dict \
	    build/fuzz/corpus/$$t fuzz/corpus/$$t || exit 1; \
	done
build/fuzz/fuzz_csv: fuzz/fuzz_csv.c server/csv.c server/buf.c server/csv.h server/buf.h server/err.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)
build/fuzz/fuzz_jsonin: fuzz/fuzz_jsonin.c server/jsonin.c server/jsonin.h server/err.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)
# The ingest codecs: each with the sources it calls. All read times with
# scalar.c and list bad rows with rowerr.c, whose quote_value lives in
# request.c (which brings problem.c, buf.c and libsodium).
FUZZ_ROWERR_SRC := server/rowerr.c server/request.c server/problem.c server/buf.c \
                   server/scalar.c
FUZZ_HDR        := $(wildcard server/*.h) fuzz/fuzz_common.h
build/fuzz/fuzz_snuffel_csv: fuzz/fuzz_snuffel_csv.c server/snuffel.c server/csv.c server/geo.c \
                             $(FUZZ_ROWERR_SRC) fuzz/fuzz_snuffel.h $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
build/fuzz/fuzz_snuffel_json: fuzz/fuzz_snuffel_json.c server/snuffel.c server/csv.c server/geo.c \
                              server/jsonin.c $(FUZZ_ROWERR_SRC) fuzz/fuzz_snuffel.h $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
build/fuzz/fuzz_telraam: fuzz/fuzz_telraam.c server/telraam.c server/jsonin.c $(FUZZ_ROWERR_SRC) \
                         $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
build/fuzz/fuzz_heatobs: fuzz/fuzz_heatobs.c server/heatobs.c server/heat.c server/jsonin.c \
                         $(FUZZ_ROWERR_SRC) $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
build/fuzz/fuzz_experience: fuzz/fuzz_experience.c server/experience.c server/validate.c \
                            server/geo.c server/jsonin.c $(FUZZ_ROWERR_SRC) $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
build/fuzz/fuzz_dataset: fuzz/fuzz_dataset.c server/dataset.c server/pseudonym.c \
                         server/secretfile.c server/buf.c server/hash.c $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)

# The open endpoints' query parameters: agg_parse and agg_sql, and the
# checks the other handlers make (times, slugs, layers, ids).
build/fuzz/fuzz_query: fuzz/fuzz_query.c server/aggregate.c server/agg_space.c \
                       server/experience_aggregate.c server/experience.c \
                       server/geo.c server/validate.c server/jsonin.c \
                       $(FUZZ_ROWERR_SRC) $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
# The GeoJSON uploads: road segments and area layers.
build/fuzz/fuzz_segments: fuzz/fuzz_segments.c server/segment_geojson.c server/geojson.c server/geo.c \
                          server/validate.c server/jsonin.c $(FUZZ_ROWERR_SRC) $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
build/fuzz/fuzz_areas: fuzz/fuzz_areas.c server/area_geojson.c server/geojson.c server/geo.c \
                       server/validate.c server/jsonin.c $(FUZZ_ROWERR_SRC) $(FUZZ_HDR)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm

clean:
	rm -rf build

-include $(SERVER_OBJ:.o=.d) $(UNIT_BIN:=.d)
