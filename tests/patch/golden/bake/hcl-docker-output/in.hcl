group "default" {
  targets = ["app", "app-local"]
}

target "app" {
  tags = ["ghcr.io/acme/app:latest"]
}

target "app-local" {
  tags = ["app:dev"]
  output = ["type=docker"]
}
