# amupgrade: the two commands of a new user are `make run` and `make test`.
GO      ?= go
BIN     := bin/amupgrade
EXAMPLE := examples/fbc-7.5/services
FUZZTIME ?= 30s
# Packages with fuzz targets.
FUZZPKGS := ./amjson/ ./ruleset/ ./ldif/ ./migrate/

.PHONY: all build run test test-long lint fmt-check vet unit golden-check bench fuzz fuzz-short clean

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

# -short: the SIGKILL and concurrency loops run fewer rounds; test-long runs
# them in full (CI does).
unit:
	$(GO) test -race -short ./...

LONGTESTS := TestBinary|TestWriteTreeSurvivesSIGKILL|TestBadInputHugeFile|TestKnownTypesCurrent
test-long:
	$(GO) test -race -run '$(LONGTESTS)' ./atomictree/ ./internal/cli/ ./ruleset/

# CI fails if regenerating the golden files would change anything.
golden-check:
	$(GO) test ./internal/cli -run 'TestGolden' -update >/dev/null
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
