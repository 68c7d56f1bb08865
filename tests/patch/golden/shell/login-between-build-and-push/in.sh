#!/bin/sh
set -e
docker build -t acme/app:1 .
echo "$PASS" | docker login -u acme --password-stdin
docker push acme/app:1
