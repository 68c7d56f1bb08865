publish:
	docker buildx build --platform linux/amd64,linux/arm64 -t acme/x:$(VERSION) --push .