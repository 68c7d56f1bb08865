group "default" {
  targets = ["image"]
}

target "image" {
  dockerfile = "Dockerfile"
  platforms = [
    "linux/amd64",
    "linux/386",
    "linux/arm64",
  ]
}

target "image-local" {
  inherits = ["image"]
  platforms = ["linux/amd64"]  # the runner's own
  output = ["type=docker"]
}
