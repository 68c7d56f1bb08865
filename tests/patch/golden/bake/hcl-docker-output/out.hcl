group "default" {
  targets = ["app", "app-local"]
}

target "app" {
  tags = ["ghcr.io/acme/app:latest"]
  platforms = ["linux/amd64", "linux/arm64"]
}

target "app-local" {
  tags = ["app:dev"]
  output = ["type=docker"]
}
