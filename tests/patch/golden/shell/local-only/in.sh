#!/bin/bash
set -e
docker build -t acme/app:dev .
docker run --rm -p 8080:8080 acme/app:dev
