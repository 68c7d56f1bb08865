target "app" {
  context = "."
  platforms = [
    "linux/amd64",
    "linux/arm64"
  ]
}