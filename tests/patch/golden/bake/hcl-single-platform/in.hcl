target "default" {
  context = "."
  platforms = ["linux/amd64"]
  tags = ["docker.io/acme/app:latest"]
}
