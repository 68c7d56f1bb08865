"""Scan stage: Dockerfiles, build paths, base-image verdicts and arch hazards."""
