#!/bin/sh
DOCKER_BUILDKIT=1 docker buildx build --platform linux/amd64,linux/arm64 -t acme/x --push .