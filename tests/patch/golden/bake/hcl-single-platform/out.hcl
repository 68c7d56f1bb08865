target "default" {
  context = "."
  platforms = ["linux/amd64", "linux/arm64"]
  tags = ["docker.io/acme/app:latest"]
}
