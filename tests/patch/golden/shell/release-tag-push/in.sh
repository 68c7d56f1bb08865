#!/usr/bin/env bash
# Build and publish the release image.
set -euo pipefail

IMAGE="${IMAGE:-ghcr.io/acme/widget}"
VERSION="$(git describe --tags --always)"

echo "Building ${IMAGE}:${VERSION}"
docker build \
  --build-arg VERSION="${VERSION}" \
  -t "${IMAGE}:${VERSION}" \
  .
docker tag "${IMAGE}:${VERSION}" "${IMAGE}:latest"
docker push "${IMAGE}:${VERSION}"
docker push "${IMAGE}:latest"
echo "Published ${IMAGE}:${VERSION}"
