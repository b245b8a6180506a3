# amupgrade: the two commands of a new user are `make run` and `make test`.
GO      ?= go
BIN     := bin/amupgrade
EXAMPLE := examples/fbc-7.5/services
FUZZTIME ?= 30s
# Packages with fuzz targets.
FUZZPKGS := ./amjson/ ./ruleset/ ./ldif/ ./migrate/

.PHONY: all build run test test-race lint fmt-check vet unit golden-check bench fuzz fuzz-short clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/amupgrade

# Upgrade the bundled example tree to AM 8.1 and print every change.
run: build
	@rm -rf build/example-8.1
	./$(BIN) -i $(EXAMPLE) -o build/example-8.1 --fileBasedMode --to 8.1.0 --verbose

test: fmt-check vet unit golden-check

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# staticcheck is a tool dependency pinned in go.mod (go tool staticcheck).
lint: vet
	$(GO) tool staticcheck ./...

# The tests write thousands of small trees, which a RAM disk takes in a fraction of the time a
# disk needs. TESTTMP is where their temporary folders go: /dev/shm where it is a writable tmpfs
# with 2 GiB free that may run programs (go test runs its test binaries from there), else the
# system's temporary folder (also with `make test TESTTMP=`).
TESTTMP ?= $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] \
	&& [ "$$(df -Pk /dev/shm | awk 'NR == 2 { print $$4 }')" -ge 2097152 ] \
	&& awk '$$2 == "/dev/shm" && $$4 ~ /(^|,)noexec(,|$$)/ { found = 1 } END { exit found }' /proc/mounts 2>/dev/null \
	&& echo /dev/shm)
# intmp runs a command with TMPDIR set to a new folder under TESTTMP, removed afterwards.
intmp = if [ -n "$(TESTTMP)" ]; then d=$$(mktemp -d "$(TESTTMP)/amupgrade-test.XXXXXX") && chmod 755 "$$d" \
	&& trap 'rm -rf "$$d"' EXIT INT TERM && export TMPDIR="$$d"; fi; echo "$(1)$${d:+ (TMPDIR=$$d)}"; $(1)

# -short: the SIGKILL and concurrency loops run fewer rounds. The race detector makes the tests
# three times slower, so `make test` runs without it; test-race runs every test under it, the
# loops in full (CI runs both).
unit:
	@$(call intmp,$(GO) test -short ./...)

# TestBadInputHugeFile upgrades a 100 MB file only without -short and the race detector.
test-race:
	@$(call intmp,$(GO) test -race ./...)
	@$(call intmp,$(GO) test -run TestBadInputHugeFile ./internal/cli/)

# CI fails if regenerating the golden files would change anything.
golden-check:
	@$(call intmp,$(GO) test ./internal/cli -run 'TestGolden' -update >/dev/null)
	@git diff --exit-code --stat -- testdata/golden || { echo "golden files are stale: run 'go test ./internal/cli -run TestGolden -update' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- testdata/golden)" || { git status --porcelain -- testdata/golden; echo "golden files are stale or missing from git"; exit 1; }

bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./amjson/ ./atomictree/ ./engine/ ./ruleset/ ./migrate/
	$(GO) run ./tools/benchrun -bin $(BIN)

fuzz:
	@for pkg in $(FUZZPKGS); do \
		for t in $$($(GO) test -list 'Fuzz.*' $$pkg | grep ^Fuzz); do \
			$(GO) test $$pkg -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) || exit 1; done; done

fuzz-short:
	$(MAKE) fuzz FUZZTIME=5s

clean:
	rm -rf bin build

# Chromium from Debian's packages, for the browser test of the HTML report
# (internal/report/browser_test.go skips without it). Installs only when missing.
.PHONY: chromium
chromium:
	@if command -v chromium >/dev/null 2>&1; then echo "chromium is installed: $$(command -v chromium)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	else echo "chromium is missing and there is no apt-get: install Chromium, or the browser test skips"; exit 1; fi
