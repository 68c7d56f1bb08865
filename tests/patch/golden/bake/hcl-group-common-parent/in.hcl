variable "TAG" {
  default = "latest"
}

group "default" {
  targets = ["api", "worker"]
}

# shared by every image
target "_common" {
  args = {
    GO_VERSION = "1.22"
  }
  labels = {
    "org.opencontainers.image.source" = "https://github.com/acme/platform"
  }
}

target "api" {
  inherits = ["_common"]
  context = "./api"
  tags = ["ghcr.io/acme/api:${TAG}"]
}

target "worker" {
  inherits = ["_common"]
  context = "./worker"
  tags = ["ghcr.io/acme/worker:${TAG}"]
}
