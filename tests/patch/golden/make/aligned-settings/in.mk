REGISTRY    ?= docker.io
IMAGE       ?= $(REGISTRY)/acme/gateway
VERSION     ?= $(shell cat VERSION)

.PHONY: image
image:
	docker build \
	  --build-arg VERSION=$(VERSION) \
	  -t $(IMAGE):$(VERSION) \
	  -t $(IMAGE):latest \
	  .
	docker push $(IMAGE):$(VERSION)
	docker push $(IMAGE):latest
