/* A bake file with everything a naive scanner trips on:
   target "fake" { platforms = [] } */
variable "VERSION" { default = "1.0" }

function "tag" {
  params = [name]
  result = "ghcr.io/acme/${name}:${VERSION}"
}

target "app" {
  # a brace in a comment: {
  context = "."
  args = {
    GREETING = "hello } world"
    NESTED   = "${lower("A}B")}"
  }
  tags = [tag("app")]
  labels = {
    "description" = <<EOT
An app { with braces }
EOT
  }
}
