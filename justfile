# Developer shortcuts. Nothing in the README depends on `just`; each recipe is one plain command.

# List the recipes.
default:
    @just --list

# Serve on the embedded SQLite default (./data/leads.db).
run:
    cargo run --release

# The whole test suite, as CI runs it.
test:
    cargo test --workspace

# Clippy with warnings as errors, and the docs without warnings.
lint:
    cargo clippy --workspace --all-targets -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# The load benchmark (see docs/performance.md).
bench *ARGS:
    cargo run --release -p lead-bench -- {{ARGS}}

# Format everything.
fmt:
    cargo fmt --all

# Everything CI checks.
ci:
    bash .ci/run
