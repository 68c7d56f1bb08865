#!/usr/bin/env bash
set -e
IMAGE=docker.io/acme/cli
docker build --pull -t "$IMAGE:$VERSION" .
if [[ "$GITHUB_REF" == refs/tags/* ]]; then
    docker push "$IMAGE:$VERSION"
fi
