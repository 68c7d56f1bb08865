TAG = acme/tool:latest

release:
	docker buildx build --platform linux/amd64,linux/arm64 -t $(TAG) --push .
