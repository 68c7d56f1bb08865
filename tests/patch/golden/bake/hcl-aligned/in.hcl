group "default" {
  targets = ["app"]
}

target "app" {
  context    = "."
  dockerfile = "build/Dockerfile"
  target     = "release"
  tags       = ["quay.io/acme/app:edge"]
}
