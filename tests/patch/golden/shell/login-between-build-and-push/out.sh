#!/bin/sh
set -e
docker build -t acme/app:1 .
echo "$PASS" | docker login -u acme --password-stdin
docker buildx build --platform linux/amd64,linux/arm64 -t acme/app:1 --push .
