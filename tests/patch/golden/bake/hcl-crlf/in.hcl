group "default" {
  targets = ["app"]
}

target "app" {
  context = "."
  tags = ["acme/app:latest"]
}
