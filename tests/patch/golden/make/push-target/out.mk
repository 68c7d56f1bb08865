IMAGE := ghcr.io/acme/api
VERSION := 1.4.2

.PHONY: docker-build docker-push

docker-build:
	docker build -f build/Dockerfile -t $(IMAGE):$(VERSION) .

docker-push: docker-build
	docker buildx build --platform linux/amd64,linux/arm64 -f build/Dockerfile -t $(IMAGE):$(VERSION) --push .
