target "_platforms" {
  platforms = ["linux/amd64", "linux/arm64", "linux/arm/v7"]
}

target "app" {
  inherits = ["_platforms"]
}
