#!/bin/sh
set -e
sudo docker build -t registry.example.com/app:$VERSION --load .
sudo docker push registry.example.com/app:$VERSION
