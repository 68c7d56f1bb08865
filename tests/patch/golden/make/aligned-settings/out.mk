REGISTRY    ?= docker.io
IMAGE       ?= $(REGISTRY)/acme/gateway
VERSION     ?= $(shell cat VERSION)
PLATFORMS   ?= linux/amd64,linux/arm64

.PHONY: image
image:
	docker buildx build --platform $(PLATFORMS) \
	  --build-arg VERSION=$(VERSION) \
	  -t $(IMAGE):$(VERSION) \
	  -t $(IMAGE):latest \
	  --push .
