# One image with every AgenFleet binary; docker-compose picks the one to run.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bins

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/api /src/target/release/projector \
     /src/target/release/scheduler /src/target/release/webhook-dispatcher \
     /src/target/release/agenfleet /usr/local/bin/
USER nobody
