target "app" {
  context = "."
  platforms = [
    "linux/amd64"
  ]
}