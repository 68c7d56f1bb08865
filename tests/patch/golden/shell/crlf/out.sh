#!/bin/sh
set -e
sudo docker buildx build --platform linux/amd64,linux/arm64 -t registry.example.com/app:$VERSION --push .
