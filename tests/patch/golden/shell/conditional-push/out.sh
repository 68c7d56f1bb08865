#!/usr/bin/env bash
set -e
IMAGE=docker.io/acme/cli
docker build --pull -t "$IMAGE:$VERSION" .
if [[ "$GITHUB_REF" == refs/tags/* ]]; then
    docker buildx build --platform linux/amd64,linux/arm64 --pull -t "$IMAGE:$VERSION" --push .
fi
