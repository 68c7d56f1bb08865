#!/bin/sh
DOCKER_BUILDKIT=1 docker image build -t acme/x . && docker push acme/x