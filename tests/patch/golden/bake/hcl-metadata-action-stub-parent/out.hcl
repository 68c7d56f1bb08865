group "default" {
  targets = ["server", "cli"]
}

target "docker-metadata-action" {
  platforms = ["linux/amd64", "linux/arm64"]
}

target "server" {
  inherits = ["docker-metadata-action"]
  target = "server"
}

target "cli" {
  inherits = ["docker-metadata-action"]
  target = "cli"
}
