#!/bin/sh
set -e
TAG=acme/api:$1
docker build -t $TAG .
docker run --rm $TAG ./run-tests.sh
docker push $TAG
