group "default" {
  targets = ["app"]
}

target "app" {
  context = "."
  tags = ["acme/app:latest"]
  platforms = ["linux/amd64", "linux/arm64"]
}
