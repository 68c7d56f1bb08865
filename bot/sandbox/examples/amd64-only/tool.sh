#!/bin/sh
echo "legacy tool 1.0"
