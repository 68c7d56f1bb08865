IMAGE ?= acme/app
PLATFORMS ?= linux/amd64,linux/arm64

release:
	docker buildx build --platform $(PLATFORMS) -t $(IMAGE) --push .
