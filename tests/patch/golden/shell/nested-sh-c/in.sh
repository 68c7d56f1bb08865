#!/bin/sh
sh -c "docker build -t acme/nested . && docker push acme/nested"
