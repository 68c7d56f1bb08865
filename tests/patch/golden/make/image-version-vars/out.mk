IMAGE ?= quay.io/acme/operator
VERSION ?= $(shell git describe --tags --always --dirty)
PLATFORMS ?= linux/amd64,linux/arm64

.PHONY: all docker-release test

all: test

docker-release:
	@echo "releasing $(IMAGE):$(VERSION)"
	@docker buildx build --platform $(PLATFORMS) \
		--build-arg VERSION=$(VERSION) \
		-t $(IMAGE):$(VERSION) --push .

test:
	go test ./...
