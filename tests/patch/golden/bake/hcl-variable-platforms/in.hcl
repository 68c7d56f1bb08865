variable "PLATFORMS" {
  default = "linux/amd64"
}

target "app" {
  platforms = split(",", PLATFORMS)
}
