# syntax=docker/dockerfile:1.7
# The occonnect binary (api, worker, codec-server, migrate, search-attributes…) in a small
# non-root image. Build: docker build -t occonnect:local .   (docker-compose.yml does it)
# Migrations, mail templates, the OpenAPI document and the time zone data are embedded in
# the binary; the demo exchange points are copied for `occonnect exchange-points import`.

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/occonnect ./cmd/occonnect

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
COPY --from=build /out/occonnect /usr/local/bin/occonnect
COPY --from=build /src/data/exchange_points_demo.csv /usr/share/occonnect/exchange_points_demo.csv
USER nonroot:nonroot
EXPOSE 8080 8081 9090 9091
ENTRYPOINT ["/usr/local/bin/occonnect"]
CMD ["help"]
