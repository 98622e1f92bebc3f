# syntax=docker/dockerfile:1
# jeton's container image: a static binary on nothing (FROM scratch), non-root, no shell.
# The same image is built without a Docker daemon by `go run ./cmd/jeton-image build`
# (what CI checks, .ci/image-check); cmd/jeton-image/image_test.go keeps the two in step.
#
#   docker build -t jeton:v1.4.0 --build-arg VERSION=v1.4.0 \
#     --build-arg COMMIT=$(git rev-parse HEAD) --build-arg COMMIT_TIME=$(git log -1 --format=%cI) .
#
# Build stage: any Go image of the go.mod version with CA certificates (Debian's has).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=unknown
ARG COMMIT_TIME=unknown
# A release is never "devel": refuse to build without a version.
RUN test -n "$VERSION" || { echo "pass --build-arg VERSION=v1.2.3" >&2; exit 1; }
# Static: modernc.org/sqlite is pure Go, so CGO_ENABLED=0 loses nothing.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.commitTime=${COMMIT_TIME}" \
      -o /rootfs/jeton ./cmd/jeton \
 && mkdir -p /rootfs/etc/ssl/certs /rootfs/tmp /data \
 && cp cmd/jeton-image/rootfs/etc/passwd cmd/jeton-image/rootfs/etc/group /rootfs/etc/ \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && chmod 1777 /rootfs/tmp

FROM scratch
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 --chmod=0700 /data /data
USER 65532:65532
WORKDIR /data
ENV JETON_DATA_DIR=/data JETON_ADDR=0.0.0.0:8080 JETON_ADMIN_ADDR=127.0.0.1:8081
EXPOSE 8080/tcp
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/jeton", "healthcheck"]
ENTRYPOINT ["/jeton"]
CMD ["serve"]
