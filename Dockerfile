# syntax=docker/dockerfile:1
# Janua production image (deployment guide, "Production Dockerfile"), Rust edition:
#   1. chef     : rust:1-bookworm with cargo-chef (pinned) installed once.
#   2. planner  : computes the dependency "recipe" from Cargo.toml/Cargo.lock only.
#   3. builder  : `cargo chef cook` builds every dependency from the recipe -> a cached layer
#                 that is reused as long as Cargo.toml/Cargo.lock do not change; then the
#                 workspace sources are copied and only Janua's own crates are compiled.
#   4. runtime  : distroless/cc (glibc + libgcc + CA certificates, no shell, no package
#                 manager, no curl), non-root uid 10001, read-only-root friendly.
# Build:  docker build -t janua/api:0.1.0 .
# Run:    docker run --read-only -p 8000:8000 -v janua-data:/var/lib/janua \
#           -e SECRET_KEY="$(openssl rand -base64 48)" -e BASE_URL=https://id.example.com \
#           janua/api:0.1.0
# (ENVIRONMENT defaults to production here: it refuses to start without a strong SECRET_KEY and
# an https BASE_URL; docker-compose.yml sets ENVIRONMENT=development for local work.)

ARG RUST_VERSION=1
ARG CARGO_CHEF_VERSION=0.1.78

FROM rust:${RUST_VERSION}-bookworm AS chef
ARG CARGO_CHEF_VERSION
WORKDIR /src
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"

FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Dependency layer: rebuilt only when the recipe (manifests + lock file) changes.
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin janua
# Application layer.
COPY Cargo.toml Cargo.lock ./
COPY crates ./crates
RUN cargo build --release --locked --bin janua \
 && install -D -m 0755 target/release/janua /out/usr/local/bin/janua \
 && install -d -m 0750 /out/var/lib/janua

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="janua" \
      org.opencontainers.image.description="Janua self-hosted identity server" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=builder /out/usr/local/bin/janua /usr/local/bin/janua
# SQLite data directory (used when DATABASE_URL is not PostgreSQL); owned by the runtime user so
# the container works with --read-only / readOnlyRootFilesystem and a volume mounted here.
COPY --from=builder --chown=10001:10001 /out/var/lib/janua /var/lib/janua
# The guide's `uvicorn --host 0.0.0.0 --port 8000 --workers 4` maps to these settings: one
# process whose 4 tokio worker threads serve every request (docs/configuration.md).
ENV HOST=0.0.0.0 \
    PORT=8000 \
    WORKER_THREADS=4 \
    ENVIRONMENT=production \
    LOG_FORMAT=json \
    DATABASE_URL=sqlite:///var/lib/janua/janua.db
WORKDIR /var/lib/janua
VOLUME ["/var/lib/janua"]
USER 10001:10001
EXPOSE 8000
# No curl in the image: the binary checks its own /health (exit 0 on 200).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["janua", "healthcheck"]
# SIGTERM starts the drain (SHUTDOWN_DRAIN_SECONDS, then SHUTDOWN_TIMEOUT_SECONDS).
STOPSIGNAL SIGTERM
ENTRYPOINT ["janua"]
CMD ["serve"]
