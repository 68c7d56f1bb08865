group "default" {
  targets = ["image"]
}

target "image" {
  dockerfile = "Dockerfile"
  platforms = [
    "linux/amd64",
    "linux/386",
  ]
}

target "image-local" {
  inherits = ["image"]
  output = ["type=docker"]
}
