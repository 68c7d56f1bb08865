#!/bin/bash
set -ex
cd "$(dirname "$0")"
docker build -f Dockerfile \
    -t "quay.io/acme/svc:${GIT_SHA}" . && \
  docker push "quay.io/acme/svc:${GIT_SHA}" && \
  echo done
