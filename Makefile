# Everyday commands. `make help` lists them.
DATABASE_URL ?= sqlite:fletcher.sqlite
SWIFT_FORMAT_PATHS = Sources Tests migrations bench Package.swift

.PHONY: help build test fmt lint run migrate hash bench ci

help:
	@echo "run      run the server (swift run fletcher serve), configured by the environment and .env"
	@echo "build    debug build of everything"
	@echo "test     the whole test suite on SQLite and a throwaway PostgreSQL (scripts/test; root)"
	@echo "fmt      format the sources in place; lint checks without changing"
	@echo "migrate  apply migrations to DATABASE_URL ($(DATABASE_URL))"
	@echo "hash     KEY=... print the bcrypt hash of a service key"
	@echo "bench    run the benchmarks (release build), write bench/results/latest.json"
	@echo "ci       what CI runs (installs Debian packages: needs root)"

build:
	swift build

test:
	scripts/test

fmt:
	swift format -i -r $(SWIFT_FORMAT_PATHS)

lint:
	swift format lint --strict -r $(SWIFT_FORMAT_PATHS)

run:
	swift run fletcher serve

migrate:
	swift run fletcher migrate --database-url "$(DATABASE_URL)"

hash:
	@test -n "$(KEY)" || (echo "usage: make hash KEY=secret" >&2; exit 2)
	swift run fletcher hash-key --key "$(KEY)"

bench:
	bench/run

ci:
	bash .ci/run
