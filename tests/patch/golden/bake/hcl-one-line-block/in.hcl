target "app" { context = "." }
