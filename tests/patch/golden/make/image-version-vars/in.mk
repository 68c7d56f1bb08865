IMAGE ?= quay.io/acme/operator
VERSION ?= $(shell git describe --tags --always --dirty)

.PHONY: all docker-release test

all: test

docker-release:
	@echo "releasing $(IMAGE):$(VERSION)"
	@docker build \
		--build-arg VERSION=$(VERSION) \
		-t $(IMAGE):$(VERSION) .
	@docker push $(IMAGE):$(VERSION)

test:
	go test ./...
