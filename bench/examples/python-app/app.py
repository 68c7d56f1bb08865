"""A stand-in service: says which machine it runs on and exits (the benchmark's smoke run)."""

import platform
import sys

if __name__ == "__main__":
    print(f"python-app {platform.machine()} python {sys.version.split()[0]}")
