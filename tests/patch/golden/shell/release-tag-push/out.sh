#!/usr/bin/env bash
# Build and publish the release image.
set -euo pipefail

IMAGE="${IMAGE:-ghcr.io/acme/widget}"
VERSION="$(git describe --tags --always)"

echo "Building ${IMAGE}:${VERSION}"
docker buildx build --platform linux/amd64,linux/arm64 \
  --build-arg VERSION="${VERSION}" \
  -t "${IMAGE}:${VERSION}" \
  -t "${IMAGE}:latest" --push .
echo "Published ${IMAGE}:${VERSION}"
