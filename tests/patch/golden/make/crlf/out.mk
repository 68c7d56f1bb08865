IMAGE=acme/win

image:
	-docker buildx build --platform linux/amd64,linux/arm64 -t $(IMAGE) --push .
