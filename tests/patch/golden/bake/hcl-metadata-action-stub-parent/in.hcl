group "default" {
  targets = ["server", "cli"]
}

target "docker-metadata-action" {}

target "server" {
  inherits = ["docker-metadata-action"]
  target = "server"
}

target "cli" {
  inherits = ["docker-metadata-action"]
  target = "cli"
}
