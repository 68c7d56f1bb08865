#!/bin/bash
set -ex
cd "$(dirname "$0")"
docker buildx build --platform linux/amd64,linux/arm64 -f Dockerfile \
    -t "quay.io/acme/svc:${GIT_SHA}" --push . && \
  echo done
