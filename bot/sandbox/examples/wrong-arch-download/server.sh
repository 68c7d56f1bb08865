#!/bin/sh
exec echo "server 0.3 ready"
